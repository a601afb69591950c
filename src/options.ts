/**
 * Options of a run, with defaults, resolved and validated once into a readonly Settings object.
 * The CLI and the library both go through `resolveSettings`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseExpectCount, parseTolerance, type Tolerance } from './contract.js';
import { expectedNames, loadExpectedNames, type ExpectedNames } from './expected.js';
import { UsageError, errnoCode } from './errors.js';
import { quoteName } from './quote.js';
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
  /** S3 input: endpoint of an S3-compatible store (path-style addressing). @default AWS_ENDPOINT_URL */
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
  if (!allowed.includes(value)) throw new UsageError(`invalid ${name} '${value}': expected one of ${allowed.join(', ')}`);
  return value;
}

const DEFAULT_TIMEOUT = 30;
/** A day: a step stalled longer is better failed (and a timer cannot hold much more). */
const MAX_TIMEOUT = 86_400;

/** `--timeout`: seconds, a decimal number > 0 (`0.5` allowed), at most a day. */
export function parseTimeout(value: unknown): number {
  const n = typeof value === 'string' && /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > MAX_TIMEOUT) {
    throw new UsageError(`invalid --timeout '${String(value)}': expected seconds, a number > 0 and at most ${MAX_TIMEOUT}`);
  }
  return n;
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
        : expectedNames(names);
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
    throw new UsageError(`${flag} ${quoteName(given)}: descriptor ${fd} is not open`);
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
  if (kind.startsWith('anon_inode:')) throw new UsageError(`${flag} ${quoteName(given)}: descriptor ${fd} is not open`);
  if (flags !== undefined && (flags & 3) === 0) throw new UsageError(`${flag} ${quoteName(given)}: descriptor ${fd} is open for reading only`);
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
          throw new UsageError(`${flag} ${quoteName(given)}: ${quoteName(notDirectoryAncestor(head))} is not a directory`);
        }
        if (code === 'ELOOP') throw new UsageError(`${flag} ${quoteName(given)}: too many levels of symbolic links`);
        // EACCES and the like are the environment's, not the command line's: opening the temp
        // file reports them (exit 1).
        if (code !== 'ENOENT' || head === '/') return abs;
        rest.unshift(path.basename(head));
        head = path.dirname(head);
      }
    }
    if (rest.length > 0) {
      try {
        if (!fs.statSync(real).isDirectory()) throw new UsageError(`${flag} ${quoteName(given)}: ${quoteName(real)} is not a directory`);
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
  throw new UsageError(`${flag} ${quoteName(given)}: too many levels of symbolic links`);
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
  if (total >= PATH_MAX) throw new UsageError(`${flag} ${quoteName(given)}: path too long (${total} bytes; the limit is ${PATH_MAX - 1})`);
  for (const part of abs.split('/')) {
    const n = Buffer.byteLength(part);
    if (n > NAME_MAX) throw new UsageError(`${flag} ${quoteName(given)}: file name too long (${n} bytes; the limit is ${NAME_MAX})`);
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


export function resolveSettings(options: Options): Settings {
  if (typeof options.dir !== 'string' || options.dir === '') throw new UsageError('missing input directory');
  const mode = oneOf('mode', options.mode, MODES, 'json');
  const output = outputPath('--output', options.output);
  const stats = outputPath('--stats', options.stats);
  const manifest = outputPath('--manifest', options.manifest);
  checkDistinct([
    { flag: '--output', given: options.output, resolved: output },
    ...(options.stats !== undefined ? [{ flag: '--stats', given: options.stats, resolved: stats }] : []),
    ...(options.manifest !== undefined ? [{ flag: '--manifest', given: options.manifest, resolved: manifest }] : []),
  ]);
  const patterns = (options.patterns && options.patterns.length > 0
    ? options.patterns
    : [mode === 'json' ? '**/*.json' : '**/*']
  );
  const ignore = options.ignore ?? [];
  checkPatterns(patterns, ignore);
  const wanted = options.concurrency ?? 32;
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > 1024) {
    throw new UsageError(`invalid --concurrency '${String(options.concurrency)}': expected an integer from 1 to 1024`);
  }
  // Read-ahead holds one descriptor per file: never more than RLIMIT_NOFILE allows (no EMFILE).
  const limit = openFileLimit();
  const concurrency = limit === undefined ? wanted : Math.max(1, Math.min(wanted, limit - FD_RESERVE));
  const level = options.level ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new UsageError(`invalid --level '${String(options.level)}': expected an integer from 0 to 9`);
  }
  const format = oneOf('format', options.format, JSON_FORMATS, 'array');
  const flatten = options.flatten === true;
  const modeText = options.mode === undefined ? `json mode (the default)` : `--mode ${mode}`;
  if (mode !== 'json' && (options.format !== undefined || flatten)) {
    const given = [options.format !== undefined ? '--format' : undefined, flatten ? '--flatten' : undefined].filter(Boolean);
    throw new UsageError(`${given.join(' and ')} ${given.length > 1 ? 'apply' : 'applies'} to json mode only; this run is ${modeText}`);
  }
  const gzipByName = output !== undefined && descriptorOf(output) === undefined && /\.(t?gz)$/i.test(options.output!);
  const gzip = options.gzip ?? gzipByName;
  if (gzip && mode === 'zip') {
    // zip compresses its entries itself.
    throw new UsageError(
      options.gzip !== undefined
        ? `--gzip applies to json and tar modes only; this run is ${modeText}`
        : `--output ${quoteName(options.output!)} ends in .gz or .tgz, which means gzip, and gzip applies to json and tar modes only; this run is ${modeText}`,
    );
  }
  const keyBy = options.keyBy === undefined ? undefined : oneOf('key-by', options.keyBy, KEY_BY, 'path');
  if (keyBy !== undefined) {
    // An object needs exactly one value per key: no NDJSON lines, no spliced arrays, no archive.
    if (mode !== 'json') throw new UsageError(`--key-by applies to json mode only; this run is ${modeText}`);
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
  const s3 = isS3Url(options.dir);
  if (s3) parseS3Url(options.dir);
  if (options.endpoint !== undefined) {
    if (!s3) throw new UsageError('--endpoint applies to an s3:// input only');
    endpointOf(options.endpoint);
  }
  if (options.timeout !== undefined && !s3) throw new UsageError('--timeout applies to an s3:// input only');
  const timeout = options.timeout === undefined ? DEFAULT_TIMEOUT : parseTimeout(options.timeout);
  return Object.freeze({
    dir: s3 ? options.dir : path.resolve(options.dir),
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
    shard: options.shard,
    keyBy,
    ...contract,
    gzip,
    level,
    endpoint: options.endpoint,
    timeout,
    signal: options.signal,
    onWarning: options.onWarning ?? (() => {}),
    onProgress: options.onProgress,
  });
}
