/**
 * Options of a run, with defaults, resolved and validated once into a readonly Settings object.
 * The CLI and the library both go through `resolveSettings`.
 */
import path from 'node:path';
import { checkExpectedNames, loadExpectedNames, parseExpectCount, parseTolerance, type Tolerance } from './contract.js';
import { UsageError } from './errors.js';

export type Mode = 'json' | 'tar' | 'zip';
export type SortOrder = 'natural' | 'name' | 'mtime' | 'none';
export type OnInvalid = 'fail' | 'skip';
export type JsonFormat = 'array' | 'ndjson';
export type KeyBy = 'path';

export const MODES: readonly Mode[] = ['json', 'tar', 'zip'];
export const SORT_ORDERS: readonly SortOrder[] = ['natural', 'name', 'mtime', 'none'];
export const ON_INVALID: readonly OnInvalid[] = ['fail', 'skip'];
export const JSON_FORMATS: readonly JsonFormat[] = ['array', 'ndjson'];
export const KEY_BY: readonly KeyBy[] = ['path'];

export interface Options {
  /** The input root. */
  readonly dir: string;
  /** @default 'json' */
  readonly mode?: Mode;
  /** Output file, written atomically; undefined or '-' for stdout. */
  readonly output?: string | undefined;
  /** Globs relative to `dir`. @default ['**\/*.json'] in json mode, ['**\/*'] in archive modes */
  readonly patterns?: readonly string[];
  /** Globs relative to `dir` to leave out. @default [] */
  readonly ignore?: readonly string[];
  /** @default 'natural' */
  readonly sort?: SortOrder;
  /** @default 'fail' */
  readonly onInvalid?: OnInvalid;
  /** JSON output layout. @default 'array' */
  readonly format?: JsonFormat;
  /** Splice the elements of array fragments instead of the arrays. @default false */
  readonly flatten?: boolean;
  /** Write a JSON summary here. */
  readonly stats?: string | undefined;
  /** Write a JSON list of every entry (path, size, sha256) and skipped file here. */
  readonly manifest?: string | undefined;
  /** Files read ahead when reads are slow (network volumes). @default 32 */
  readonly concurrency?: number;
  /** Only this part of the sorted file list: `{ index, count }`, 0 <= index < count. */
  readonly shard?: { readonly index: number; readonly count: number } | undefined;
  /** Write one JSON object keyed by each fragment's path without its extension. */
  readonly keyBy?: KeyBy | undefined;
  /** The number of files the run must match (before sharding), else exit 4. */
  readonly expect?: number | string | undefined;
  /** The relative paths the run must match: a list, or a file of them (`-`: stdin). */
  readonly expectNames?: string | readonly (string | Buffer)[] | undefined;
  /** Missing files tolerated with expect/expectNames: a count, or `P%` of the expected count. */
  readonly maxMissing?: number | string | undefined;
  /** Invalid fragments tolerated under onInvalid 'skip': a count, or `P%` of the files read. */
  readonly maxInvalid?: number | string | undefined;
  /** gzip the output (json and tar modes). @default true when the output ends in .gz or .tgz */
  readonly gzip?: boolean | undefined;
  /** Compression level 0-9 (gzip, zip deflate). @default 6 */
  readonly level?: number;
  /** Aborts the run (SIGINT/SIGTERM); the output target stays untouched. */
  readonly signal?: AbortSignal | undefined;
  /** Warnings (skipped files) go here. @default nothing */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Called about every 250 ms with running counts. */
  readonly onProgress?: ((progress: Progress) => void) | undefined;
}

export interface Progress {
  readonly files: number;
  readonly totalFiles: number;
  readonly bytesIn: number;
}

export interface Settings {
  readonly dir: string;
  readonly mode: Mode;
  readonly output: string | undefined;
  readonly patterns: readonly string[];
  readonly ignore: readonly string[];
  readonly sort: SortOrder;
  readonly onInvalid: OnInvalid;
  readonly format: JsonFormat;
  readonly flatten: boolean;
  readonly stats: string | undefined;
  readonly manifest: string | undefined;
  readonly concurrency: number;
  readonly shard: { readonly index: number; readonly count: number } | undefined;
  readonly keyBy: KeyBy | undefined;
  readonly expect: number | undefined;
  readonly expectNames: readonly (Buffer | string)[] | undefined;
  readonly maxMissing: Tolerance | undefined;
  readonly maxInvalid: Tolerance | undefined;
  readonly gzip: boolean;
  readonly level: number;
  readonly signal: AbortSignal | undefined;
  readonly onWarning: (message: string) => void;
  readonly onProgress: ((progress: Progress) => void) | undefined;
}

function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new UsageError(`invalid ${name} '${value}': expected one of ${allowed.join(', ')}`);
  return value;
}

function checkGlob(kind: string, glob: string): string {
  if (glob === '') throw new UsageError(`empty ${kind}`);
  if (path.posix.isAbsolute(glob) || glob.split('/').includes('..')) {
    throw new UsageError(`${kind} '${glob}' must be relative to the input directory (no leading '/', no '..')`);
  }
  return glob;
}

/** Parse `i/N` (0-based i). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid --shard '${text}': expected i/N, e.g. 0/4 (i is 0-based)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) {
    throw new UsageError(`invalid --shard '${text}': need 0 <= i < N (i is 0-based)`);
  }
  return { index, count };
}

export function isStdout(output: string | undefined): boolean {
  return output === undefined || output === '-';
}

function tolerance(flag: string, value: number | string | undefined): Tolerance | undefined {
  return value === undefined ? undefined : parseTolerance(flag, String(value));
}

/** --expect, --expect-names and the tolerances, checked against each other. */
function resolveContract(options: Options): Pick<Settings, 'expect' | 'expectNames' | 'maxMissing' | 'maxInvalid'> {
  const expect = options.expect === undefined ? undefined : parseExpectCount(options.expect);
  if (expect !== undefined && options.expectNames !== undefined) {
    throw new UsageError('give either --expect or --expect-names, not both (--expect-names implies the count)');
  }
  const maxMissing = tolerance('max-missing', options.maxMissing);
  if (maxMissing && expect === undefined && options.expectNames === undefined) {
    throw new UsageError('--max-missing needs --expect N or --expect-names FILE (missing out of what?)');
  }
  const maxInvalid = tolerance('max-invalid', options.maxInvalid);
  if (maxInvalid && options.onInvalid !== 'skip') {
    throw new UsageError('--max-invalid needs --on-invalid skip (under fail, one invalid fragment already fails the run)');
  }
  const names = options.expectNames;
  const expectNames =
    names === undefined
      ? undefined
      : typeof names === 'string'
        ? loadExpectedNames(names)
        : checkExpectedNames([...names], 'expectNames');
  return { expect, expectNames, maxMissing, maxInvalid };
}

export function resolveSettings(options: Options): Settings {
  if (typeof options.dir !== 'string' || options.dir === '') throw new UsageError('missing input directory');
  const mode = oneOf('mode', options.mode, MODES, 'json');
  const output = isStdout(options.output) ? undefined : path.resolve(options.output!);
  const patterns = (options.patterns && options.patterns.length > 0
    ? options.patterns
    : [mode === 'json' ? '**/*.json' : '**/*']
  ).map((g) => checkGlob('pattern', g));
  const ignore = (options.ignore ?? []).map((g) => checkGlob('ignore pattern', g));
  const concurrency = options.concurrency ?? 32;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024) {
    throw new UsageError(`invalid --concurrency '${String(options.concurrency)}': expected an integer from 1 to 1024`);
  }
  const level = options.level ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new UsageError(`invalid --level '${String(options.level)}': expected an integer from 0 to 9`);
  }
  const format = oneOf('format', options.format, JSON_FORMATS, 'array');
  const flatten = options.flatten === true;
  if (mode !== 'json' && (options.format !== undefined || flatten)) {
    throw new UsageError(`--format and --flatten apply to --mode json only`);
  }
  const gzipByName = mode !== 'zip' && output !== undefined && /\.(t?gz)$/i.test(output);
  const gzip = options.gzip ?? gzipByName;
  if (gzip && mode === 'zip') throw new UsageError('--gzip applies to --mode json and tar (zip compresses its entries itself)');
  const keyBy = options.keyBy === undefined ? undefined : oneOf('key-by', options.keyBy, KEY_BY, 'path');
  if (keyBy !== undefined) {
    // An object needs exactly one value per key: no NDJSON lines, no spliced arrays, no archive.
    if (mode !== 'json') throw new UsageError('--key-by applies to --mode json only');
    if (format === 'ndjson') throw new UsageError('--key-by writes one JSON object: it cannot be combined with --format ndjson');
    if (flatten) throw new UsageError('--key-by takes one value per fragment: it cannot be combined with --flatten');
  }
  const contract = resolveContract(options);
  if (options.shard !== undefined) {
    const { index, count } = options.shard;
    if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 0 || index >= count) {
      throw new UsageError(`invalid shard ${index}/${count}: need 0 <= i < N (i is 0-based)`);
    }
  }
  const resolveOptional = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(p));
  return Object.freeze({
    dir: path.resolve(options.dir),
    mode,
    output,
    patterns,
    ignore,
    sort: oneOf('sort', options.sort, SORT_ORDERS, 'natural'),
    onInvalid: oneOf('on-invalid', options.onInvalid, ON_INVALID, 'fail'),
    format,
    flatten,
    stats: resolveOptional(options.stats),
    manifest: resolveOptional(options.manifest),
    concurrency,
    shard: options.shard,
    keyBy,
    ...contract,
    gzip,
    level,
    signal: options.signal,
    onWarning: options.onWarning ?? (() => {}),
    onProgress: options.onProgress,
  });
}
