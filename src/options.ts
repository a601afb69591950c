/**
 * Options of a run, with defaults, resolved and validated once into a readonly Settings object.
 * The CLI and the library both go through `resolveSettings`.
 */
import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import { PLAIN_DECIMAL, decimalInteger, decimalNumber } from './decimal.js';
import { parseExpectCount, parseTolerance, type Tolerance } from './contract.js';
import { expectedNames, loadExpectedNames, type ExpectedNames } from './expected.js';
import { UsageError, errnoCode } from './errors.js';
import { quoteName, quoteValue } from './quote.js';
import { checkPatterns } from './patterns.js';
import { endpointOf, isS3Url, parseS3Url } from './s3/url.js';

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
  /** The input root: a directory, or `s3://bucket/prefix/` (keys under `prefix/`). */
  readonly dir: string;
  /** @default 'json' */
  readonly mode?: Mode;
  /**
   * Output file, written atomically; undefined or '-' for stdout. `/dev/stdout`, `/dev/stderr`,
   * `/dev/fd/N` and `/proc/self/fd/N` (here and for `stats`/`manifest`) mean the open descriptor.
   */
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
  /** Files read ahead when reads are slow (network volumes); text in decimal digits. @default 32 */
  readonly concurrency?: number | string;
  /** Only this part of the sorted file list: `{ index, count }` or the text `i/N`, 0 <= i < N. */
  readonly shard?: { readonly index: number; readonly count: number } | string | undefined;
  /** Write one JSON object keyed by each fragment's path without its extension. */
  readonly keyBy?: KeyBy | undefined;
  /**
   * A JSON Schema file (draft 2020-12, or draft-07 by its `$schema`) every emitted value must
   * satisfy (json mode); a value that does not makes its fragment invalid input.
   */
  readonly schema?: string | undefined;
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
  /** Compression level 0-9 (gzip, zip deflate); text in decimal digits. @default 6 */
  readonly level?: number | string;
  /** S3 input: endpoint of an S3-compatible store (path-style addressing). @default AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL */
  readonly endpoint?: string | undefined;
  /**
   * S3 input: seconds any request may go without progress (connect, first byte, next body byte,
   * a listing page) before it is retried; a number > 0 (a string is parsed). @default 30
   */
  readonly timeout?: number | string | undefined;
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
  /**
   * Where each output goes, resolved by `outputPath`: undefined is stdout, `/dev/fd/N` an open
   * descriptor, anything else an absolute path with symbolic links followed.
   */
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
  /** The --schema file as given (read and compiled once, before any fragment: json/schema.ts). */
  readonly schema: string | undefined;
  readonly expect: number | undefined;
  /** The names --expect-names lists, packed and indexed by their bytes (expected.ts). */
  readonly expectNames: ExpectedNames | undefined;
  readonly maxMissing: Tolerance | undefined;
  readonly maxInvalid: Tolerance | undefined;
  readonly gzip: boolean;
  readonly level: number;
  readonly endpoint: string | undefined;
  /** Seconds without progress before a request is retried (S3 input). */
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  readonly onWarning: (message: string) => void;
  readonly onProgress: ((progress: Progress) => void) | undefined;
}

function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new UsageError(`invalid ${name}: expected one of ${allowed.join(', ')} (a string), got ${shown(value)}`);
  if (!allowed.includes(value)) throw new UsageError(`invalid ${name} ${quoteValue(value)}: expected one of ${allowed.join(', ')}`);
  return value;
}

const DEFAULT_TIMEOUT = 30;
/** A day: a step stalled longer is better failed (and a timer cannot hold much more). */
const MAX_TIMEOUT = 86_400;

/** `--timeout`: seconds, a number > 0 (`0.5` allowed, as decimal.ts reads it), at most a day. */
export function parseTimeout(value: unknown): number {
  const n = typeof value === 'string' ? decimalNumber(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > MAX_TIMEOUT) {
    throw new UsageError(
      `invalid --timeout ${quoteValue(String(value))}: expected seconds, a number > 0 and at most ${MAX_TIMEOUT} in ${PLAIN_DECIMAL} (a fraction allowed: 0.5)`,
    );
  }
  return n;
}

/** Parse `i/N` (0-based i, decimal digits as decimal.ts allows). */
export function parseShard(text: string): { index: number; count: number } {
  // Spaces around the whole (a parameter read from a file) but not inside it: `0 /2` is a typo.
  const m = /^(\S*)\/(\S*)$/.exec(text.trim());
  const index = m ? decimalInteger(m[1]!) : undefined;
  const count = m ? decimalInteger(m[2]!) : undefined;
  if (index === undefined || count === undefined) {
    throw new UsageError(`invalid --shard ${quoteValue(text)}: expected i/N in ${PLAIN_DECIMAL}, e.g. 0/4 for the first of 4 shards (i is 0-based)`);
  }
  checkShard(`--shard ${quoteValue(text)}`, index, count);
  return { index, count };
}

function checkShard(what: string, index: number, count: number): void {
  if (count < 1) throw new UsageError(`invalid ${what}: need 0 <= i < N, and N is the number of shards, at least 1 (0/1 is the whole input)`);
  if (index >= count) {
    throw new UsageError(
      `invalid ${what}: need 0 <= i < N (i is 0-based): the ${count} shard${count === 1 ? ' is' : 's are'} ${count === 1 ? '0/1' : `0/${count} to ${count - 1}/${count}`}`,
    );
  }
}

/** Linux limits: a file name component, and a whole path (PATH_MAX counts the final NUL). */
const NAME_MAX = 255;
const PATH_MAX = 4096;
/** Symbolic links followed at most (Linux's MAXSYMLINKS). */
const MAX_LINKS = 40;

/** The descriptor behind a resolved output (`/dev/fd/N`), else undefined. */
export function descriptorOf(resolved: string): number | undefined {
  const m = /^\/dev\/fd\/(\d+)$/.exec(resolved);
  return m ? Number(m[1]) : undefined;
}

function tolerance(flag: string, value: number | string | undefined): Tolerance | undefined {
  return value === undefined ? undefined : parseTolerance(flag, String(numberOrText(`--${flag}`, value)));
}

/** --expect, --expect-names and the tolerances, checked against each other. */
function resolveContract(options: Options): Pick<Settings, 'expect' | 'expectNames' | 'maxMissing' | 'maxInvalid'> {
  const expect = options.expect === undefined ? undefined : parseExpectCount(numberOrText('--expect', options.expect));
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
  if (names !== undefined && typeof names !== 'string' && !(Array.isArray(names) && names.every((n) => typeof n === 'string' || Buffer.isBuffer(n)))) {
    throw new UsageError('invalid expectNames: expected a file name (string), or an array of names (strings or Buffers)');
  }
  const expectNames = names === undefined ? undefined : typeof names === 'string' ? loadExpectedNames(names) : expectedNames(names);
  return { expect, expectNames, maxMissing, maxInvalid };
}

/** The descriptor a path names, without opening it: /dev/stdout, /dev/fd/N, /proc/self/fd/N. */
function descriptorPath(abs: string): number | undefined {
  const named: Record<string, number> = { '/dev/stdin': 0, '/dev/stdout': 1, '/dev/stderr': 2 };
  if (abs in named) return named[abs];
  const m = /^\/(?:dev\/fd|proc\/self\/fd|proc\/(\d+)\/fd)\/(\d+)$/.exec(abs);
  if (!m || (m[1] !== undefined && Number(m[1]) !== process.pid)) return undefined;
  return Number(m[2]);
}

/** A descriptor given as an output must be open (inherited) and writable. */
function checkDescriptor(flag: string, given: string, fd: number): void {
  try {
    fs.fstatSync(fd);
  } catch {
    throw new UsageError(`${flag} ${quoteName(given)}: descriptor ${fd} is not open: open it in the shell (${fd}>FILE) or give a file name`);
  }
  let flags: number | undefined;
  try {
    const m = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    if (m) flags = parseInt(m[1]!, 8);
  } catch {
    // no /proc: a write at commit reports it
  }
  // epoll, eventfd and the like are node's own, never an output a user can mean.
  let kind = '';
  try {
    kind = fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    // no /proc
  }
  if (kind.startsWith('anon_inode:'))
    throw new UsageError(`${flag} ${quoteName(given)}: descriptor ${fd} is not open: open it in the shell (${fd}>FILE) or give a file name`);
  if (flags !== undefined && (flags & 3) === 0)
    throw new UsageError(`${flag} ${quoteName(given)}: descriptor ${fd} is open for reading only: open it for writing (${fd}>FILE) or give a file name`);
}

/**
 * The real path of `abs`: symbolic links followed, also a last one that dangles (the file it
 * names is written, the link kept, as write-file-atomic does), and the part that does not exist
 * yet appended. Throws a UsageError for an ancestor that is not a directory.
 */
function realTarget(flag: string, given: string, abs: string): string {
  let current = abs;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    // The longest existing prefix, resolved; the rest appended.
    let head = current;
    const rest: string[] = [];
    let real: string | undefined;
    while (real === undefined) {
      try {
        real = fs.realpathSync(head);
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOTDIR') {
          throw new UsageError(
            `${flag} ${quoteName(given)}: ${quoteName(notDirectoryAncestor(head))} is not a directory: give a path whose parents are directories`,
          );
        }
        if (code === 'ELOOP') throw new UsageError(`${flag} ${quoteName(given)}: too many levels of symbolic links: point it at a file, not at a link loop`);
        // EACCES and the like are the environment's, not the command line's: opening the temp
        // file reports them (exit 1).
        if (code !== 'ENOENT' || head === '/') return abs;
        rest.unshift(path.basename(head));
        head = path.dirname(head);
      }
    }
    if (rest.length > 0) {
      try {
        if (!fs.statSync(real).isDirectory())
          throw new UsageError(`${flag} ${quoteName(given)}: ${quoteName(real)} is not a directory: give a path whose parents are directories`);
      } catch (error) {
        if (error instanceof UsageError) throw error;
      }
    }
    const resolved = path.join(real, ...rest);
    // A dangling link as the last component: follow it to the file it names.
    let link: string | undefined;
    try {
      if (rest.length === 1 && fs.lstatSync(resolved).isSymbolicLink()) link = fs.readlinkSync(resolved);
    } catch {
      // not there: created by the rename
    }
    if (link === undefined) return resolved;
    current = path.resolve(path.dirname(resolved), link);
  }
  throw new UsageError(`${flag} ${quoteName(given)}: too many levels of symbolic links: point it at a file, not at a link loop`);
}

/** The deepest existing ancestor of `p` that is not a directory. */
function notDirectoryAncestor(p: string): string {
  let q = p;
  while (q !== '/') {
    try {
      if (!fs.statSync(q).isDirectory()) return q;
    } catch {
      // missing or under a non-directory: look higher
    }
    q = path.dirname(q);
  }
  return p;
}

/**
 * Validate and resolve one output (`--output`, `--stats`, `--manifest`): undefined for stdout,
 * `/dev/fd/N` for an open descriptor, else the real absolute path to write. Every mistake is a
 * UsageError that names it, before anything is read.
 */
function outputPath(flag: string, given: string | undefined): string | undefined {
  if (given === undefined) return undefined;
  if (given === '') throw new UsageError(`empty ${flag}: give a file name${flag === '--output' ? ', or - for standard output' : ''}`);
  if (flag === '--output' && given === '-') return undefined;
  const abs = path.resolve(given);
  const fd = descriptorPath(abs);
  if (fd !== undefined) {
    checkDescriptor(flag, given, fd);
    return flag === '--output' && fd === 1 ? undefined : `/dev/fd/${fd}`;
  }
  if (given.endsWith('/') || given.endsWith('/.') || given.endsWith('/..') || given === '.' || given === '..') {
    throw new UsageError(`${flag} ${quoteName(given)} names a directory: give a file name`);
  }
  checkLength(flag, given, abs);
  const real = realTarget(flag, given, abs);
  checkLength(flag, given, real);
  try {
    if (fs.statSync(real).isDirectory()) throw new UsageError(`${flag} ${quoteName(given)} is a directory: give a file name`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
  }
  return real;
}

function checkLength(flag: string, given: string, abs: string): void {
  const total = Buffer.byteLength(abs);
  if (total >= PATH_MAX) throw new UsageError(`${flag} ${quoteName(given)}: path too long (${total} bytes; the limit is ${PATH_MAX - 1}): give a shorter path`);
  for (const part of abs.split('/')) {
    const n = Buffer.byteLength(part);
    if (n > NAME_MAX) throw new UsageError(`${flag} ${quoteName(given)}: file name too long (${n} bytes; the limit is ${NAME_MAX}): give a shorter name`);
  }
}

let seq = 0;

/** Identity of what an output writes to, for finding two outputs that are one file. */
function identityOf(resolved: string | undefined): { key: string; ino?: string } {
  const fd = resolved === undefined ? 1 : descriptorOf(resolved);
  try {
    const st = fd !== undefined ? fs.fstatSync(fd) : fs.statSync(resolved!);
    // Writing /dev/null twice loses nothing: a device named by path is never "the same file".
    if (fd === undefined && st.isCharacterDevice()) return { key: `device:${seq++}` };
    const ino = st.isFile() ? `${st.dev}:${st.ino}` : undefined;
    return { key: fd !== undefined ? `fd:${fd}` : resolved!, ino };
  } catch {
    return { key: fd !== undefined ? `fd:${fd}` : resolved! };
  }
}

/** Two outputs naming one file (also through a link, `..`, or a descriptor) would lose one. */
function checkDistinct(outputs: readonly { flag: string; given: string | undefined; resolved: string | undefined }[]): void {
  const seen: { label: string; key: string; ino?: string }[] = [];
  for (const o of outputs) {
    const id = identityOf(o.resolved);
    const label = o.given === undefined ? 'standard output' : `${o.flag} ${quoteName(o.given)}`;
    const same = seen.find((s) => s.key === id.key || (s.ino !== undefined && s.ino === id.ino));
    if (same) throw new UsageError(`${same.label} and ${label} are the same file: give each output its own file`);
    seen.push({ label, ...id });
  }
}

/** Descriptors kept free for the run itself (output, spool, stdio, node's own). */
const FD_RESERVE = 64;

/** The soft RLIMIT_NOFILE (Linux, from /proc), or undefined when unknown or unlimited. */
function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** How a value from a library caller is named in a message. */
function shown(value: unknown): string {
  if (typeof value === 'number') return `the number ${String(value)}`;
  if (typeof value === 'string') return quoteValue(value);
  if (typeof value === 'bigint') return `the bigint ${String(value)}n`;
  if (value === null || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A numeric option from a library caller: a number, or its text for the flag's parser. Anything
 * else (an array, a bigint, null) is refused by type, never converted by String() (`[1]` is '1').
 */
function numberOrText(flag: string, value: unknown): number | string {
  if (typeof value === 'number' || typeof value === 'string') return value;
  throw new UsageError(`invalid ${flag}: expected a number (or its text in ${PLAIN_DECIMAL}), got ${shown(value)}`);
}

/**
 * A text option (a path, a URL): a string or nothing, never converted. A number from a library
 * caller has lost its spelling (the directory `1.0` is the number 1), so it is refused.
 */
function textOption(name: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new UsageError(
    `invalid ${name}: expected a string, got ${shown(value)}; pass the name as text (a number loses its spelling: '1.0' and '1' are the same number)`,
  );
}

function textListOption(name: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw new UsageError(`invalid ${name}: expected an array of strings, e.g. ['**/*.json']`);
}

function flagOption(name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new UsageError(`invalid ${name}: expected true or false, got ${shown(value)}`);
}

/** A whole number from `min` to `max`: a number from the library, decimal digits as text. */
function integerOption(flag: string, value: number | string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const v = numberOrText(flag, value);
  const n = typeof v === 'string' ? decimalInteger(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`invalid ${flag} ${quoteValue(String(value))}: expected an integer from ${min} to ${max} in ${PLAIN_DECIMAL}, e.g. ${fallback}`);
  }
  return n;
}

/** The read-ahead the options ask for, before the open-file limit caps it. */
export function requestedConcurrency(options: Pick<Options, 'concurrency'>): number {
  return integerOption('--concurrency', options.concurrency, 32, 1, 1024);
}

function resolveShard(shard: Options['shard']): Settings['shard'] {
  if (shard === undefined || typeof shard === 'string') return shard === undefined ? undefined : parseShard(shard);
  if (shard === null || typeof shard !== 'object' || Array.isArray(shard)) {
    throw new UsageError(`invalid shard: expected the text 'i/N' or { index, count }, got ${shown(shard)}`);
  }
  const { index, count } = shard;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 0) {
    throw new UsageError(`invalid shard { index: ${String(index)}, count: ${String(count)} }: expected integers 0 <= index < count`);
  }
  checkShard(`shard ${index}/${count}`, index, count);
  return { index, count };
}

/**
 * What an output's name says it holds, from its last extensions, case-insensitive: the packing
 * (`.json`, `.ndjson`, `.jsonl`, `.tar`, `.zip`) and the compression (`.gz`, `.xz`, ...; `.tgz`
 * and the like say both). `suffix` is the part of the name that says so.
 */
interface NamedFormat {
  readonly packing: Mode | undefined;
  readonly compression: string | undefined;
  readonly suffix: string;
}

const COMPRESSED: Record<string, readonly [Mode | undefined, string]> = {
  '.gz': [undefined, 'gzip'],
  '.tgz': ['tar', 'gzip'],
  '.xz': [undefined, 'xz'],
  '.txz': ['tar', 'xz'],
  '.lzma': [undefined, 'lzma'],
  '.tlz': ['tar', 'lzma'],
  '.bz2': [undefined, 'bzip2'],
  '.tbz': ['tar', 'bzip2'],
  '.tbz2': ['tar', 'bzip2'],
  '.zst': [undefined, 'zstd'],
  '.tzst': ['tar', 'zstd'],
  '.lz4': [undefined, 'lz4'],
  '.lz': [undefined, 'lzip'],
  '.br': [undefined, 'brotli'],
  '.z': [undefined, 'compress'],
  '.taz': ['tar', 'compress'],
  '.lzo': [undefined, 'lzop'],
  '.tzo': ['tar', 'lzop'],
};
const PACKED: Record<string, Mode> = { '.json': 'json', '.ndjson': 'json', '.jsonl': 'json', '.tar': 'tar', '.zip': 'zip' };

function namedFormat(name: string): NamedFormat | undefined {
  const base = path.basename(name).toLowerCase();
  const last = path.extname(base);
  const [packedIn, compression] = Object.hasOwn(COMPRESSED, last) ? COMPRESSED[last]! : [undefined, undefined];
  const inner = compression === undefined ? last : path.extname(base.slice(0, -last.length));
  const packing = packedIn ?? (Object.hasOwn(PACKED, inner) ? PACKED[inner] : undefined);
  if (packing === undefined && compression === undefined) return undefined;
  const suffix = (packedIn === undefined && packing !== undefined ? inner : '') + (compression !== undefined ? last : '');
  return { packing, compression, suffix };
}

function describeFormat(packing: Mode | undefined, compression: string | undefined): string {
  const c =
    compression === undefined
      ? ''
      : compression === 'gzip'
        ? 'gzipped '
        : compression === 'compress'
          ? 'LZW-compressed (compress) '
          : `${compression}-compressed `;
  if (packing === 'json') return `${c}JSON`;
  if (packing === undefined) return `${c}data`;
  const words = `${c}${packing} archive`;
  return `${/^(?:[aeiou]|xz|lz)/i.test(words) ? 'an' : 'a'} ${words}`;
}

/** The extension of what a run writes. */
function extensionOf(mode: Mode, gzip: boolean): string {
  return (mode === 'json' ? '.json' : `.${mode}`) + (gzip ? '.gz' : '');
}

/**
 * `-o x.tar.gz` in json mode (the default: the commonest slip), `-o x.zip` in tar mode, `-o
 * x.json` in an archive mode, `-o x.tar.xz`: the name says another format than the run writes,
 * and whoever opens the file by its name fails. A name without a known extension is left alone,
 * and so are explicit --gzip/--no-gzip (they override what the name says).
 */
function checkOutputName(given: string, named: NamedFormat | undefined, mode: Mode, modeText: string, explicitMode: boolean, gzip: boolean): void {
  if (named === undefined) return;
  const stem = given.slice(0, given.length - named.suffix.length);
  const writes = describeFormat(mode, mode !== 'zip' && gzip ? 'gzip' : undefined);
  if (named.packing !== undefined && named.packing !== mode) {
    const switchMode = explicitMode ? `use --mode ${named.packing} instead of --mode ${mode}` : `add --mode ${named.packing}`;
    const why = named.packing === 'json' ? 'to merge JSON fragments' : 'to archive the files';
    throw new UsageError(
      `--output ${quoteName(given)} names ${describeFormat(named.packing, named.compression)}, but ${modeText} writes ${writes}: ` +
        `${switchMode} ${why}, or name the output ${quoteName(stem + extensionOf(mode, mode !== 'zip' && gzip))}`,
    );
  }
  if (named.compression !== undefined && named.compression !== 'gzip') {
    const rename = stem + extensionOf(mode, mode !== 'zip');
    throw new UsageError(
      `--output ${quoteName(given)} names ${describeFormat(named.packing, named.compression)}, but aggregate compresses with gzip only: ` +
        `name the output ${quoteName(rename)}, or pipe standard output through ${named.compression}`,
    );
  }
}

/** `--stats` and `--manifest` write plain JSON: a name that says archive or compressed is a slip. */
function checkReportName(flag: string, given: string | undefined): void {
  const named = given === undefined ? undefined : namedFormat(given);
  if (named === undefined || (named.packing === 'json' && named.compression === undefined)) return;
  throw new UsageError(
    `${flag} ${quoteName(given!)} names ${describeFormat(named.packing, named.compression)}, but ${flag} writes plain JSON: name it ${quoteName(given!.slice(0, given!.length - named.suffix.length) + '.json')}`,
  );
}

/** Linux major device numbers of terminals: ttyN/ttySN, /dev/tty and /dev/console, pts, ttyACM, ttyUSB. */
const TERMINAL_MAJORS = new Set([4, 5, 136, 137, 138, 139, 140, 141, 142, 143, 166, 188, 204]);

function isTerminal(resolved: string | undefined): boolean {
  const fd = resolved === undefined ? 1 : descriptorOf(resolved);
  if (fd !== undefined) return tty.isatty(fd);
  try {
    const st = fs.statSync(resolved!);
    // Linux's dev_t: major in bits 8-19 and 32-43 (glibc's gnu_dev_major).
    const major = (Math.floor(st.rdev / 256) & 0xfff) | (Math.floor(st.rdev / 2 ** 32) & ~0xfff);
    return st.isCharacterDevice() && TERMINAL_MAJORS.has(major);
  } catch {
    return false;
  }
}

/** Archive or gzip bytes to a terminal garble it and help no one: refused, as gzip does. */
function checkNotTerminal(given: string | undefined, resolved: string | undefined, mode: Mode, gzip: boolean): void {
  if ((mode === 'json' && !gzip) || !isTerminal(resolved)) return;
  const where = resolved === undefined ? 'standard output' : `--output ${quoteName(given!)}`;
  const example = `out${extensionOf(mode, mode !== 'zip' && gzip)}`;
  throw new UsageError(
    `refusing to write ${describeFormat(mode, gzip ? 'gzip' : undefined)} to a terminal (${where}): give -o FILE (e.g. -o ${example}) or redirect standard output (> ${example})`,
  );
}

/** A callback option: a function or nothing (a string here would fail only at the first warning). */
function callbackOption<T>(name: string, value: T | undefined): T | undefined {
  if (value === undefined || typeof value === 'function') return value;
  throw new UsageError(`invalid ${name}: expected a function, got ${shown(value)}`);
}

export function resolveSettings(options: Options): Settings {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new UsageError(`invalid options: expected an object such as { dir: '/mnt' }, got ${shown(options)}`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new UsageError(`invalid signal: expected an AbortSignal (new AbortController().signal), got ${shown(options.signal)}`);
  }
  const onWarning = callbackOption('onWarning', options.onWarning);
  const onProgress = callbackOption('onProgress', options.onProgress);
  const schema = textOption('--schema', options.schema);
  const dir = textOption('dir', options.dir);
  if (dir === undefined || dir === '') throw new UsageError('missing input directory: give the directory (or s3://bucket/prefix/) to read');
  const mode = oneOf('mode', options.mode, MODES, 'json');
  const output = outputPath('--output', textOption('--output', options.output));
  const stats = outputPath('--stats', textOption('--stats', options.stats));
  const manifest = outputPath('--manifest', textOption('--manifest', options.manifest));
  checkReportName('--stats', options.stats);
  checkReportName('--manifest', options.manifest);
  checkDistinct([
    { flag: '--output', given: options.output, resolved: output },
    ...(options.stats !== undefined ? [{ flag: '--stats', given: options.stats, resolved: stats }] : []),
    ...(options.manifest !== undefined ? [{ flag: '--manifest', given: options.manifest, resolved: manifest }] : []),
  ]);
  const given = textListOption('patterns', options.patterns);
  const patterns = given && given.length > 0 ? given : [mode === 'json' ? '**/*.json' : '**/*'];
  const ignore = textListOption('ignore', options.ignore) ?? [];
  checkPatterns(patterns, ignore);
  const wanted = requestedConcurrency(options);
  // Read-ahead holds one descriptor per file: never more than RLIMIT_NOFILE allows (no EMFILE).
  const limit = openFileLimit();
  const concurrency = limit === undefined ? wanted : Math.max(1, Math.min(wanted, limit - FD_RESERVE));
  const level = integerOption('--level', options.level, 6, 0, 9);
  const format = oneOf('format', options.format, JSON_FORMATS, 'array');
  const flatten = flagOption('flatten', options.flatten) === true;
  const modeText = options.mode === undefined ? `json mode (the default)` : `--mode ${mode}`;
  if (mode !== 'json' && (options.format !== undefined || flatten)) {
    const given = [options.format !== undefined ? '--format' : undefined, flatten ? '--flatten' : undefined].filter(Boolean);
    throw new UsageError(
      `${given.join(' and ')} ${given.length > 1 ? 'apply' : 'applies'} to json mode only; this run is ${modeText}: leave ${given.length > 1 ? 'them' : 'it'} out, or use --mode json`,
    );
  }
  const named = output !== undefined && descriptorOf(output) === undefined ? namedFormat(options.output!) : undefined;
  const gzipByName = named?.compression === 'gzip';
  const gzip = flagOption('gzip', options.gzip) ?? gzipByName;
  checkOutputName(options.output!, named, mode, modeText, options.mode !== undefined, gzip);
  if (gzip && mode === 'zip') {
    // zip compresses its entries itself.
    throw new UsageError(
      options.gzip !== undefined
        ? `--gzip applies to json and tar modes only; this run is ${modeText}, which compresses each entry itself: leave --gzip out`
        : `--output ${quoteName(options.output!)} ends in .gz or .tgz, which means gzip, and gzip applies to json and tar modes only; this run is ${modeText}, which compresses each entry itself: name the output ${quoteName(options.output!.slice(0, options.output!.length - named!.suffix.length) + '.zip')}`,
    );
  }
  const keyBy = options.keyBy === undefined ? undefined : oneOf('key-by', options.keyBy, KEY_BY, 'path');
  if (keyBy !== undefined) {
    // An object needs exactly one value per key: no NDJSON lines, no spliced arrays, no archive.
    if (mode !== 'json') throw new UsageError(`--key-by applies to json mode only; this run is ${modeText}: leave --key-by out, or use --mode json`);
    if (format === 'ndjson') throw new UsageError('--key-by writes one JSON object: it cannot be combined with --format ndjson; leave one of them out');
    if (flatten) throw new UsageError('--key-by takes one value per fragment: it cannot be combined with --flatten; leave one of them out');
  }
  if (schema !== undefined) {
    if (mode !== 'json') throw new UsageError(`--schema applies to json mode only; this run is ${modeText}: leave --schema out, or use --mode json`);
    if (schema === '') throw new UsageError('empty --schema: give the file of a JSON Schema');
  }
  checkNotTerminal(options.output, output, mode, gzip);
  const contract = resolveContract(options);
  const shard = resolveShard(options.shard);
  const s3 = isS3Url(dir);
  if (s3) parseS3Url(dir);
  const endpoint = textOption('--endpoint', options.endpoint);
  if (endpoint !== undefined) {
    if (!s3) throw new UsageError('--endpoint applies to an s3:// input only: give an s3://bucket/prefix/ input, or leave --endpoint out');
    endpointOf(endpoint);
  }
  if (options.timeout !== undefined && !s3)
    throw new UsageError('--timeout applies to an s3:// input only: give an s3://bucket/prefix/ input, or leave --timeout out');
  const timeout = options.timeout === undefined ? DEFAULT_TIMEOUT : parseTimeout(numberOrText('--timeout', options.timeout));
  return Object.freeze({
    dir: s3 ? dir : path.resolve(dir),
    mode,
    output,
    patterns,
    ignore,
    sort: oneOf('sort', options.sort, SORT_ORDERS, 'natural'),
    onInvalid: oneOf('on-invalid', options.onInvalid, ON_INVALID, 'fail'),
    format,
    flatten,
    stats,
    manifest,
    concurrency,
    shard,
    keyBy,
    schema,
    ...contract,
    gzip,
    level,
    endpoint,
    timeout,
    signal: options.signal,
    onWarning: onWarning ?? (() => {}),
    onProgress,
  });
}
