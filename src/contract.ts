/**
 * The fan-in contract: which files a run must find (`--expect N`, `--expect-names FILE`) and how
 * much loss it tolerates (`--max-missing`, `--max-invalid`).
 *
 * The expectation is checked right after discovery, before any fragment is read, so that a
 * partial input fails fast and cheaply. It applies to the whole matched set (after --pattern and
 * --ignore, before --shard): every shard checks the same set, so a missing file fails every shard
 * of a tree reduce, not only the one it would have fallen into.
 *
 * Names are byte strings: an expected name matches a found file when their bytes are equal.
 */
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import { IncompleteInputError, IoError, TooManyInvalidError, UsageError, errnoCode } from './errors.js';
import { nameFields, quoteName } from './quote.js';

type Name = Buffer | string;

/** A loss allowance: a count of files, or a percentage of a total. */
export type Tolerance = { readonly count: number } | { readonly percent: number };

/** Names listed in a message; the rest are counted. */
const MESSAGE_NAMES = 10;
/** Names listed in `--stats` (an Argo parameter must stay small); the full lists go to --manifest. */
export const STATS_NAMES = 20;

/** Parse `N` (files) or `P%` (0-100, decimals allowed). */
export function parseTolerance(flag: string, text: string): Tolerance {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (m) {
    const percent = Number(m[1]);
    if (percent <= 100) return { percent };
  } else if (/^\d+$/.test(t) && Number.isSafeInteger(Number(t))) {
    return { count: Number(t) };
  }
  throw new UsageError(`invalid --${flag} '${text}': expected a count of files (e.g. 2) or a percentage from 0% to 100% (e.g. 5%)`);
}

/** Files a tolerance allows out of `total` (a percentage rounds down: 5% of 10 files allows 0). */
export function allowed(tolerance: Tolerance, total: number): number {
  return 'count' in tolerance ? tolerance.count : Math.floor((total * tolerance.percent) / 100 + 1e-9);
}

export function formatTolerance(tolerance: Tolerance): string {
  return 'count' in tolerance ? String(tolerance.count) : `${tolerance.percent}%`;
}

/** Parse `--expect N`: a non-negative integer. */
export function parseExpectCount(value: unknown): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(`invalid --expect '${String(value)}': expected the number of fragment files, an integer >= 0`);
  }
  return n;
}

/**
 * A name as an exact Map key: the name itself when it is valid UTF-8 (an expected name read
 * from a UTF-8 list is a string already; a walked name is a Buffer, decoded once here), else its
 * bytes as latin1 behind a NUL, which no file name contains, so the two kinds never collide.
 */
function keyOf(name: Name): string {
  if (typeof name === 'string') return name;
  return isUtf8(name) ? name.toString('utf8') : '\u0000' + name.toString('latin1');
}

/** A leading '/', or an empty, '.' or '..' component. */
const NOT_RELATIVE = /^\/|(^|\/)\.{0,2}(\/|$)/;

/**
 * Read the expected names from `file` (`-`: stdin). Either a JSON array whose elements are
 * strings or `{ "path": ... }` / `{ "pathBase64": ... }` objects (what --manifest and --stats
 * write), or one name per line (exact bytes; a trailing CR is dropped, empty lines are ignored).
 */
export function loadExpectedNames(file: string): Name[] {
  let text: Buffer;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file);
  } catch (error) {
    const shown = file === '-' ? 'standard input' : file;
    if (errnoCode(error) === 'ENOENT') throw new UsageError(`--expect-names ${shown}: no such file`);
    if (errnoCode(error) === 'EISDIR') throw new UsageError(`--expect-names ${shown}: is a directory, expected a file of names`);
    throw new IoError('read --expect-names', shown, error);
  }
  const where = `--expect-names ${file === '-' ? 'standard input' : file}`;
  const names = /^\s*\[/.test(text.subarray(0, 64).toString('latin1')) ? namesFromJson(text, where) : namesFromLines(text);
  return checkExpectedNames(names, where);
}

/** Every name must be one discovery can report, and listed once. */
export function checkExpectedNames(names: Name[], where: string): Name[] {
  const seen = new Set<string>();
  for (const name of names) {
    if ((typeof name === 'string' ? name.indexOf('\u0000') : name.indexOf(0)) >= 0) throw new UsageError(`${where}: ${quoteName(name)} holds a NUL byte, which no file name can`);
    const s = keyOf(name);
    if (NOT_RELATIVE.test(s.charCodeAt(0) === 0 ? s.slice(1) : s)) {
      throw new UsageError(`${where}: ${quoteName(name)} is not a relative path as discovery reports it (no leading '/', no '.', '..' or empty components)`);
    }
    if (seen.has(s)) throw new UsageError(`${where}: ${quoteName(name)} is listed twice`);
    seen.add(s);
  }
  return names;
}

function namesFromLines(text: Buffer): Name[] {
  // Valid UTF-8 (the usual case): strings, compared without a conversion per name.
  if (isUtf8(text)) return text.toString('utf8').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l !== '');
  const names: Buffer[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(0x0a, start);
    if (end < 0) end = text.length;
    let last = end;
    if (last > start && text[last - 1] === 0x0d) last--;
    if (last > start) names.push(text.subarray(start, last));
    start = end + 1;
  }
  return names;
}

function namesFromJson(text: Buffer, where: string): Name[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch (error) {
    throw new UsageError(`${where}: not valid JSON (${(error as Error).message}); give a JSON array of paths or one path per line`);
  }
  if (!Array.isArray(parsed)) throw new UsageError(`${where}: expected a JSON array of paths`);
  return parsed.map((item, i) => {
    if (typeof item === 'string') return item;
    if (item && typeof item === 'object') {
      const o = item as { path?: unknown; pathBase64?: unknown };
      if (typeof o.pathBase64 === 'string') return Buffer.from(o.pathBase64, 'base64');
      if (typeof o.path === 'string') return o.path;
    }
    throw new UsageError(`${where}: element ${i} is not a path (a string, or an object with "path" or "pathBase64")`);
  });
}

/** What the expectation found; `missing`/`extra` are full lists (capped where they are shown). */
export interface ContractReport {
  readonly expected: number | null;
  readonly found: number;
  readonly missing: number;
  readonly extra: number;
  /** Names of the missing files (only with --expect-names). */
  readonly missingNames: readonly Name[];
  readonly extraNames: readonly Name[];
}

export interface Expectation {
  readonly expect: number | undefined;
  readonly expectNames: readonly Name[] | undefined;
  readonly maxMissing: Tolerance | undefined;
}

const NONE: ContractReport = Object.freeze({ expected: null, found: 0, missing: 0, extra: 0, missingNames: [], extraNames: [] });

/**
 * Compare the whole matched set (before --shard) with the expectation; throws
 * IncompleteInputError (exit 4) on unexpected extra files or more missing ones than allowed.
 */
export function checkExpectation(settings: Expectation, dir: string, matched: { readonly length: number; at(index: number): { readonly rel: Name } | undefined }): ContractReport {
  const { expect, expectNames, maxMissing } = settings;
  if (expect === undefined && expectNames === undefined) return { ...NONE, found: matched.length };
  let report: ContractReport;
  if (expectNames !== undefined) {
    const wanted = new Map<string, Name>();
    for (const n of expectNames) wanted.set(keyOf(n), n);
    const extraNames: Name[] = [];
    for (let i = 0; i < matched.length; i++) {
      const rel = matched.at(i)!.rel;
      if (!wanted.delete(keyOf(rel))) extraNames.push(rel);
    }
    const missingNames = [...wanted.values()]; // in the order the list gave them
    report = { expected: expectNames.length, found: matched.length, missing: missingNames.length, extra: extraNames.length, missingNames, extraNames };
  } else {
    const n = expect!;
    report = { expected: n, found: matched.length, missing: Math.max(0, n - matched.length), extra: Math.max(0, matched.length - n), missingNames: [], extraNames: [] };
  }
  const allowedMissing = maxMissing ? allowed(maxMissing, report.expected!) : 0;
  if (report.extra > 0 || report.missing > allowedMissing) {
    throw new IncompleteInputError(incompleteMessage(report, dir, maxMissing, allowedMissing), contractStats(report));
  }
  return report;
}

function incompleteMessage(r: ContractReport, dir: string, maxMissing: Tolerance | undefined, allowedMissing: number): string {
  const parts = [`incomplete input under ${quoteName(dir)}: expected ${r.expected} file${r.expected === 1 ? '' : 's'}, found ${r.found}`];
  if (r.missing > 0) {
    const tolerated = maxMissing ? ` (--max-missing ${formatTolerance(maxMissing)} allows ${allowedMissing})` : '';
    parts.push(`${r.missing} missing${tolerated}${listed(r.missingNames, r.missing)}`);
  }
  if (r.extra > 0) parts.push(`${r.extra} unexpected${listed(r.extraNames, r.extra)}`);
  return `${parts.join('; ')}. Nothing was written; a retry reads the same input (exit 4). Check the fan-out's outputs, --pattern/--ignore and the mount.`;
}

function listed(names: readonly Name[], count: number): string {
  if (names.length === 0) return '';
  const shown = names.slice(0, MESSAGE_NAMES).map(quoteName).join(', ');
  return `: ${shown}${count > MESSAGE_NAMES ? ` and ${count - MESSAGE_NAMES} more` : ''}`;
}

/** The contract's stats fields: counts, and the first STATS_NAMES names of each list. */
export function contractStats(r: ContractReport): {
  expected: number | null;
  missing: number;
  extra: number;
  missingFiles: { path: string; pathBase64?: string }[];
  extraFiles: { path: string; pathBase64?: string }[];
} {
  return {
    expected: r.expected,
    missing: r.missing,
    extra: r.extra,
    missingFiles: r.missingNames.slice(0, STATS_NAMES).map(nameFields),
    extraFiles: r.extraNames.slice(0, STATS_NAMES).map(nameFields),
  };
}

export type ContractStats = ReturnType<typeof contractStats>;

/** The contract's manifest fields: the full lists. */
export function contractManifest(r: ContractReport): { expected: number | null; missing: { path: string; pathBase64?: string }[]; extra: { path: string; pathBase64?: string }[] } {
  return { expected: r.expected, missing: r.missingNames.map(nameFields), extra: r.extraNames.map(nameFields) };
}

/**
 * Counts fragments left out as invalid under `--on-invalid skip` and stops the run (exit 3) as
 * soon as `--max-invalid` is exceeded. A percentage is of the files this run reads (after
 * --shard), known before the first read, so the check needs no second pass.
 */
export class InvalidBudget {
  count = 0;
  private readonly limit: number;

  constructor(
    private readonly tolerance: Tolerance | undefined,
    private readonly total: number,
  ) {
    this.limit = tolerance ? allowed(tolerance, total) : Infinity;
  }

  /** Record one invalid fragment; throws once there are more than allowed. */
  add(file: Name, reason: string): void {
    this.count++;
    if (this.count > this.limit) {
      throw new TooManyInvalidError(
        `too many invalid fragments: more than ${this.limit} of ${this.total} (--max-invalid ${formatTolerance(this.tolerance!)}); ` +
          `the last: ${quoteName(file)}: ${reason}. Nothing was written; fix the writer, or raise --max-invalid.`,
      );
    }
  }
}
