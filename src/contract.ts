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
import { PLAIN_DECIMAL, decimalInteger, decimalPercent } from './decimal.js';
import { IncompleteInputError, TooManyInvalidError, UsageError } from './errors.js';
import type { ExpectedNames, OrderedNames } from './expected.js';
import { nameFields, quoteName, quoteValue } from './quote.js';

type Name = Buffer | string;

/** A loss allowance: a count of files, or a percentage of a total. */
export type Tolerance = { readonly count: number } | { readonly percent: number };

/** Names listed in a message; the rest are counted. */
const MESSAGE_NAMES = 10;
/** Names listed in `--stats` (an Argo parameter must stay small); the full lists go to --manifest. */
export const STATS_NAMES = 20;

/** Parse `N` (files) or `P%` (0-100, decimals allowed), written as decimal.ts allows. */
export function parseTolerance(flag: string, text: string): Tolerance {
  const percent = decimalPercent(text);
  if (percent !== undefined && percent <= 100) return { percent };
  const count = decimalInteger(text);
  if (count !== undefined) return { count };
  throw new UsageError(
    `invalid --${flag} ${quoteValue(text)}: expected a count of files (e.g. 2) or a percentage from 0% to 100% (e.g. 5%), in ${PLAIN_DECIMAL}`,
  );
}

/** Files a tolerance allows out of `total` (a percentage rounds down: 5% of 10 files allows 0). */
export function allowed(tolerance: Tolerance, total: number): number {
  return 'count' in tolerance ? tolerance.count : Math.floor((total * tolerance.percent) / 100 + 1e-9);
}

export function formatTolerance(tolerance: Tolerance): string {
  return 'count' in tolerance ? String(tolerance.count) : `${tolerance.percent}%`;
}

/** Parse `--expect N`: a non-negative integer (a number from the library, decimal digits as text). */
export function parseExpectCount(value: unknown): number {
  const n = typeof value === 'string' ? decimalInteger(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(
      `invalid --expect ${quoteValue(String(value))}: expected the number of fragment files, an integer >= 0 in ${PLAIN_DECIMAL} (e.g. 100)`,
    );
  }
  return n;
}

/** What the expectation found: counts, and the full lists of names (capped where they are shown). */
export interface ContractReport {
  readonly expected: number | null;
  readonly found: number;
  readonly missing: number;
  readonly extra: number;
  /** Names of the missing and the unexpected files; null when no names were expected (no --expect-names). */
  readonly missingNames: readonly Name[] | null;
  readonly extraNames: readonly Name[] | null;
}

export interface Expectation {
  readonly expect: number | undefined;
  readonly expectNames: ExpectedNames | undefined;
  readonly maxMissing: Tolerance | undefined;
}

const NONE: ContractReport = Object.freeze({ expected: null, found: 0, missing: 0, extra: 0, missingNames: null, extraNames: null });

/** A matched file the artifact will not hold, and why (a name the format cannot carry, a file gone). */
export interface LeftOut {
  readonly name: Buffer;
  readonly reason: string;
}

/**
 * Compare the whole matched set (before --shard; `matched.order` is the run order) with the
 * expectation, judged on what the artifact will hold: a matched file in `leftOut` counts as
 * missing. Throws IncompleteInputError (exit 4) on unexpected extra files or more missing ones
 * than allowed.
 */
export function checkExpectation(settings: Expectation, dir: string, matched: OrderedNames, leftOut: readonly LeftOut[] = []): ContractReport {
  const { expect, expectNames, maxMissing } = settings;
  const found = matched.order.length - leftOut.length;
  if (expect === undefined && expectNames === undefined) return { ...NONE, found };
  let report: ContractReport;
  if (expectNames !== undefined) {
    // Missing names in the order the list gave them, extra ones in run order.
    const { missing, extra } = expectNames.difference(matched);
    if (leftOut.length > 0) {
      // An expected file left out is missing; an unexpected one stays extra.
      const unexpected = new Set(extra.map(key));
      for (const l of leftOut) if (!unexpected.has(key(l.name))) missing.push(l.name);
    }
    report = { expected: expectNames.length, found, missing: missing.length, extra: extra.length, missingNames: missing, extraNames: extra };
  } else {
    const n = expect!;
    // A count says how many, not which: the names are unknown (null), not none.
    report = { expected: n, found, missing: Math.max(0, n - found), extra: Math.max(0, matched.order.length - n), missingNames: null, extraNames: null };
  }
  const allowedMissing = maxMissing ? allowed(maxMissing, report.expected!) : 0;
  if (report.extra > 0 || report.missing > allowedMissing) {
    throw new IncompleteInputError(incompleteMessage(report, dir, maxMissing, allowedMissing, leftOut), contractStats(report));
  }
  return report;
}

const key = (name: Buffer): string => name.toString('latin1');

function incompleteMessage(r: ContractReport, dir: string, maxMissing: Tolerance | undefined, allowedMissing: number, leftOut: readonly LeftOut[]): string {
  const parts = [`incomplete input under ${quoteName(dir)}: expected ${r.expected} file${r.expected === 1 ? '' : 's'}, found ${r.found}`];
  if (r.missing > 0) {
    const tolerated = maxMissing ? ` (--max-missing ${formatTolerance(maxMissing)} allows ${allowedMissing})` : '';
    parts.push(`${r.missing} missing${tolerated}${listed(r.missingNames, r.missing)}`);
  }
  if (r.extra > 0) parts.push(`${r.extra} unexpected${listed(r.extraNames, r.extra)}`);
  if (leftOut.length > 0) {
    const shown = leftOut
      .slice(0, MESSAGE_NAMES)
      .map((l) => `${quoteName(l.name)} (${l.reason})`)
      .join(', ');
    const more = leftOut.length > MESSAGE_NAMES ? ` and ${leftOut.length - MESSAGE_NAMES} more` : '';
    parts.push(`${leftOut.length} matched but left out of the output, counted as missing: ${shown}${more}`);
  }
  const retry = leftOut.length > 0 ? '' : '; a retry reads the same input';
  return `${parts.join('; ')}. Nothing was written${retry} (exit 4). Check the fan-out's outputs, --pattern/--ignore and the mount.`;
}

function listed(names: readonly Name[] | null, count: number): string {
  if (names === null || names.length === 0) return '';
  const shown = names.slice(0, MESSAGE_NAMES).map(quoteName).join(', ');
  return `: ${shown}${count > MESSAGE_NAMES ? ` and ${count - MESSAGE_NAMES} more` : ''}`;
}

/**
 * The contract's stats fields: counts, and the first STATS_NAMES names of each list; the lists
 * are null when names are unknown (no --expect-names: `--expect N` counts files, it does not name them).
 */
export function contractStats(r: ContractReport): {
  expected: number | null;
  missing: number;
  extra: number;
  missingFiles: { path: string; pathBase64?: string }[] | null;
  extraFiles: { path: string; pathBase64?: string }[] | null;
} {
  return {
    expected: r.expected,
    missing: r.missing,
    extra: r.extra,
    missingFiles: r.missingNames?.slice(0, STATS_NAMES).map(nameFields) ?? null,
    extraFiles: r.extraNames?.slice(0, STATS_NAMES).map(nameFields) ?? null,
  };
}

export type ContractStats = ReturnType<typeof contractStats>;

/** The contract's manifest fields: the full lists (null when names are unknown, as in --stats). */
export function contractManifest(r: ContractReport): {
  expected: number | null;
  missing: { path: string; pathBase64?: string }[] | null;
  extra: { path: string; pathBase64?: string }[] | null;
} {
  return { expected: r.expected, missing: r.missingNames?.map(nameFields) ?? null, extra: r.extraNames?.map(nameFields) ?? null };
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
