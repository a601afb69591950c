/**
 * The walk: every entry under <dir>, depth first, never following a symbolic link, never
 * entering a dot-directory or `lost+found` at the root, listed into packed byte strings.
 *
 * Directories are read with `opendirSync` (string names, 1024 entries per batch): on 100k files
 * that was faster than `readdirSync` with Buffer names, and unlike any `readdirSync` it holds a
 * batch at a time, not one Dirent per entry of a million-entry directory (~250 MB). Node decodes
 * names as UTF-8 and turns invalid bytes into U+FFFD; a directory where a name holds U+FFFD is
 * read again with Buffer names, so every name keeps its exact bytes.
 *
 * On an object store mounted through FUSE every directory open is a request (tens of ms), and a
 * serial walk of 100 directories took ~2.75 s. So the walk times its directory opens as the
 * reader times file opens (slow.ts), and once they are slow lists the rest with up to
 * `concurrency` directories in flight (`fs.promises.opendir`, same batches). Each directory is
 * collected apart and the parts are put back together in the serial walk's depth-first order,
 * so the listing (and `--sort none`, "the walk's order") is the same whichever way it was read,
 * and an error is the one the serial walk would have met first.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { IoError } from './errors.js';
import { PackedNames } from './names.js';
import type { PatternSet, Selector } from './patterns.js';
import { quoteName } from './quote.js';
import { SlowProbe } from './slow.js';

/** Why a matched entry is not read (indices stored per skipped entry). */
export const KINDS = ['symbolic link (not followed)', 'directory', 'FIFO (named pipe)', 'socket', 'device', 'not a regular file'] as const;

/** 'auto' (default): serial, concurrent once directory opens are slow; the others force one (tests). */
export type WalkMode = 'auto' | 'sync' | 'async';

export interface WalkOptions {
  readonly patterns: PatternSet;
  /** Report matched directories as skipped (json mode names files; archive patterns match dirs). */
  readonly reportDirectories: boolean;
  /** Record each file's mtime (a lstat per file). */
  readonly mtimes: boolean;
  /** Relative paths never listed (the run's own outputs inside <dir>). */
  readonly exclude: readonly Buffer[];
  /** Most directories listed at once when listing concurrently (`--concurrency`). */
  readonly concurrency: number;
  readonly mode?: WalkMode;
}

/** How the directories were listed, for `--stats`. */
export interface WalkStats {
  /** 'async' once directories were listed concurrently (slow opens, or `async` asked for). */
  readonly mode: 'sync' | 'async';
  /** The most directories listed at once (`--concurrency`). */
  readonly window: number;
  /** Most directories in flight at once (0 when every listing was synchronous). */
  readonly maxInFlight: number;
}

export interface Listing {
  readonly files: PackedNames;
  /** mtimeMs of file i (when asked for). */
  readonly mtimes: Float64Array | undefined;
  readonly skipped: PackedNames;
  /** Index into KINDS of skipped entry i. */
  readonly kinds: Uint8Array;
  readonly stats: WalkStats;
}

const BATCH = 1024;
/** Directories timed per round of the slow-open probe (slow.ts), and slow rounds in a row that decide. */
const PROBE_DIRS = 4;
const PROBE_ROUNDS = 2;
const SLASH = Buffer.from('/');
const EMPTY = Buffer.alloc(0);
/** What `take` answers for an entry that is not a file listed, and for a lossy name. */
const NOT_FILE = -1;
const LOSSY = -2;

function kindOf(d: fs.Dirent): number {
  if (d.isSymbolicLink()) return 0;
  if (d.isDirectory()) return 1;
  if (d.isFIFO()) return 2;
  if (d.isSocket()) return 3;
  if (d.isBlockDevice() || d.isCharacterDevice()) return 4;
  return 5;
}

interface Pending {
  /** Path to open: a string while every name on the way was valid UTF-8. */
  readonly abs: string | Buffer;
  /** Relative path bytes with a trailing '/' (empty at the root). */
  readonly rel: Buffer;
  /** The same as text, for matching. */
  readonly relText: string;
  readonly depth: number;
}

/** What the walk collects: the whole listing, or one directory's part of it (concurrent walk). */
class Collected {
  readonly files: PackedNames;
  mtimes: Float64Array | undefined;
  readonly skipped: PackedNames;
  kinds: Uint8Array;

  /** `small`: one directory's part (most hold a few entries; grows by doubling). */
  constructor(small: boolean, mtimes: boolean) {
    this.files = small ? new PackedNames(256, 16) : new PackedNames(1 << 20, 1 << 14);
    this.skipped = small ? new PackedNames(16, 2) : new PackedNames(1 << 10, 1 << 6);
    this.kinds = new Uint8Array(small ? 2 : 64);
    this.mtimes = mtimes ? new Float64Array(small ? 16 : 1 << 14) : undefined;
  }

  skip(i: number, kind: number): void {
    if (i === this.kinds.length) {
      const k = new Uint8Array(this.kinds.length * 2);
      k.set(this.kinds);
      this.kinds = k;
    }
    this.kinds[i] = kind;
  }

  setMtime(i: number, ms: number): void {
    let m = this.mtimes!;
    if (i === m.length) {
      m = new Float64Array(m.length * 2);
      m.set(this.mtimes!);
      this.mtimes = m;
    }
    m[i] = ms;
  }

  /** Appends every entry of `part` (a directory collected apart), in its order. */
  append(part: Collected): void {
    const { files, skipped } = part;
    for (let i = 0; i < files.length; i++) {
      const j = this.files.pushBytes(files.buffer, files.start(i), files.end(i));
      if (this.mtimes !== undefined) this.setMtime(j, part.mtimes![i]!);
    }
    for (let i = 0; i < skipped.length; i++) this.skip(this.skipped.pushBytes(skipped.buffer, skipped.start(i), skipped.end(i)), part.kinds[i]!);
  }

  listing(stats: WalkStats): Listing {
    return { files: this.files, mtimes: this.mtimes, skipped: this.skipped, kinds: this.kinds, stats };
  }
}

/** Lists `dir` (an absolute path) as `options` say. */
export async function walk(dir: string, options: WalkOptions): Promise<Listing> {
  const mode = options.mode ?? 'auto';
  const out = new Collected(false, options.mtimes);
  const stack: Pending[] = [{ abs: dir === '/' ? '' : dir, rel: EMPTY, relText: '', depth: 0 }];
  if (mode !== 'async') {
    const probe = mode === 'auto' ? new SlowProbe(PROBE_DIRS, PROBE_ROUNDS) : undefined;
    const subdirs: Pending[] = [];
    for (;;) {
      const at = stack.pop();
      if (at === undefined) return out.listing({ mode: 'sync', window: options.concurrency, maxInFlight: 0 });
      subdirs.length = 0;
      const slow = listSync(at, out, subdirs, options, probe);
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
      if (slow) break;
    }
  }
  // The rest, concurrently: the stack's top is the next directory in depth-first order.
  const maxInFlight = await walkConcurrently(stack.reverse(), out, options);
  return out.listing({ mode: 'async', window: options.concurrency, maxInFlight });
}

/**
 * Takes one entry of directory `at` into `out` (a subdirectory to enter into `subdirs`): the
 * index of the file listed, NOT_FILE, or LOSSY when a name came back lossy in text mode (read
 * the directory again as bytes).
 */
function take(d: fs.Dirent, at: Pending, selects: Selector, out: Collected, subdirs: Pending[], options: WalkOptions): number {
  const raw = d.name as string | Buffer;
  // Dotfiles and dot-directories are never read: writers use them as temp files (and so does
  // aggregate: `.aggregate-*.tmp`).
  if (typeof raw === 'string' ? raw.charCodeAt(0) === 0x2e : raw[0] === 0x2e) return NOT_FILE;
  let text: string;
  if (typeof raw === 'string') {
    if (raw.includes('\ufffd')) return LOSSY;
    text = raw;
  } else {
    text = raw.toString('utf8');
  }
  if (at.depth === 0 && text === 'lost+found') return NOT_FILE; // root-only, never data
  if (d.isFile()) {
    if (!selects(text)) return NOT_FILE;
    const i = out.files.push(at.rel, raw);
    if (options.exclude.length > 0 && isExcluded(out.files, i, options.exclude)) {
      out.files.truncate(i);
      return NOT_FILE;
    }
    return i;
  }
  const isDir = d.isDirectory();
  const relText = at.relText + text;
  if (isDir && options.patterns.enters(relText, at.depth + 1)) {
    const relBytes = Buffer.concat([at.rel, typeof raw === 'string' ? Buffer.from(raw) : raw, SLASH]);
    subdirs.push({ abs: childPath(at.abs, raw), rel: relBytes, relText: relText + '/', depth: at.depth + 1 });
  }
  if (isDir && !options.reportDirectories) return NOT_FILE;
  if (selects(text)) out.skip(out.skipped.push(at.rel, raw), kindOf(d));
  return NOT_FILE;
}

function isExcluded(files: PackedNames, i: number, exclude: readonly Buffer[]): boolean {
  for (const e of exclude) {
    if (files.end(i) - files.start(i) === e.length && files.name(i).equals(e)) return true;
  }
  return false;
}

function pathOf(at: Pending): string | Buffer {
  return at.abs === '' ? '/' : at.abs;
}

function listError(at: Pending, error: unknown): IoError {
  return new IoError('list', quoteName(pathOf(at)), error);
}

function dirOptions(bytes: boolean): fs.OpenDirOptions {
  return bytes ? { encoding: 'buffer' as BufferEncoding, bufferSize: BATCH } : { bufferSize: BATCH };
}

/** Lists directory `at` into `out` and `subdirs`; true when `probe` found directory opens slow. */
function listSync(at: Pending, out: Collected, subdirs: Pending[], options: WalkOptions, probe: SlowProbe | undefined): boolean {
  const fileMark = out.files.mark();
  const skipMark = out.skipped.mark();
  const t0 = probe !== undefined ? performance.now() : 0;
  const handle = openSync(at, false);
  const slow = probe !== undefined && probe.add(performance.now() - t0);
  if (!readSync(handle, at, out, subdirs, options)) {
    out.files.truncate(fileMark);
    out.skipped.truncate(skipMark);
    subdirs.length = 0;
    readSync(openSync(at, true), at, out, subdirs, options);
  }
  return slow;
}

function openSync(at: Pending, bytes: boolean): fs.Dir {
  try {
    return fs.opendirSync(pathOf(at), dirOptions(bytes));
  } catch (error) {
    throw listError(at, error);
  }
}

/** Reads every entry of `handle` (then closes it); false when a name came back lossy. */
function readSync(handle: fs.Dir, at: Pending, out: Collected, subdirs: Pending[], options: WalkOptions): boolean {
  const selects = options.patterns.selector(at.relText);
  try {
    for (;;) {
      let d: fs.Dirent | null;
      try {
        d = handle.readSync();
      } catch (error) {
        throw listError(at, error);
      }
      if (d === null) return true;
      const i = take(d, at, selects, out, subdirs, options);
      if (i === LOSSY) return false;
      if (i >= 0 && out.mtimes !== undefined) out.setMtime(i, lstatMtime(childPath(at.abs, d.name)));
    }
  } finally {
    handle.closeSync();
  }
}

/** A directory of the concurrent walk: listed apart, then put back in depth-first order. */
interface Node {
  readonly at: Pending;
  part: Collected | undefined;
  children: Node[];
  done: boolean;
  failed: boolean;
  error: unknown;
}

function nodeOf(at: Pending): Node {
  return { at, part: undefined, children: [], done: false, failed: false, error: undefined };
}

/**
 * Lists the trees under `roots` (in depth-first order) with up to `concurrency` directories in
 * flight, appending them to `out` in the serial walk's order as soon as every directory before
 * them is in (parts wait only that long: memory stays near the serial walk's). The first error
 * in that order is thrown, once the listings in flight ended. Answers the most in flight.
 */
async function walkConcurrently(roots: Pending[], out: Collected, options: WalkOptions): Promise<number> {
  const top = roots.map(nodeOf);
  /** Directories to list, the next in depth-first order on top. */
  const queue = top.slice().reverse();
  /** Directories to append to `out`, the next on top (children join when their parent is in). */
  const emit = top.slice().reverse();
  let failure: Node | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  const advance = (): void => {
    for (;;) {
      const n = emit[emit.length - 1];
      if (n === undefined || !n.done) return;
      if (n.failed) {
        failure = n;
        queue.length = 0;
        return;
      }
      emit.pop();
      out.append(n.part!);
      for (let i = n.children.length - 1; i >= 0; i--) emit.push(n.children[i]!);
      n.part = undefined;
      n.children = [];
    }
  };
  await new Promise<void>((resolve) => {
    const launch = (): void => {
      while (failure === undefined && inFlight < options.concurrency && queue.length > 0) {
        const n = queue.pop()!;
        inFlight++;
        if (inFlight > maxInFlight) maxInFlight = inFlight;
        void listAsync(n, options).then(() => {
          inFlight--;
          for (let i = n.children.length - 1; i >= 0; i--) queue.push(n.children[i]!);
          advance();
          launch();
        });
      }
      if (inFlight === 0) resolve();
    };
    launch();
  });
  if (failure !== undefined) throw failure.error;
  return maxInFlight;
}

/** Lists `n`'s directory into its own part; never rejects (an error is kept on the node). */
async function listAsync(n: Node, options: WalkOptions): Promise<void> {
  const { at } = n;
  try {
    for (const bytes of [false, true]) {
      const part = new Collected(true, options.mtimes);
      const subdirs: Pending[] = [];
      let handle: fs.Dir;
      try {
        handle = await fs.promises.opendir(pathOf(at), dirOptions(bytes));
      } catch (error) {
        throw listError(at, error);
      }
      if (await readAsync(handle, at, part, subdirs, options)) {
        n.part = part;
        n.children = subdirs.map(nodeOf);
        break;
      }
    }
  } catch (error) {
    n.failed = true;
    n.error = error;
  }
  n.done = true;
}

/** readSync's asynchronous twin (the same `take` per entry). */
async function readAsync(handle: fs.Dir, at: Pending, out: Collected, subdirs: Pending[], options: WalkOptions): Promise<boolean> {
  const selects = options.patterns.selector(at.relText);
  try {
    for (;;) {
      let d: fs.Dirent | null;
      try {
        d = await handle.read();
      } catch (error) {
        throw listError(at, error);
      }
      if (d === null) return true;
      const i = take(d, at, selects, out, subdirs, options);
      if (i === LOSSY) return false;
      if (i >= 0 && out.mtimes !== undefined) out.setMtime(i, await lstatMtimeAsync(childPath(at.abs, d.name)));
    }
  } finally {
    await handle.close();
  }
}

function childPath(abs: string | Buffer, name: string | Buffer): string | Buffer {
  if (typeof abs === 'string' && typeof name === 'string') return abs + '/' + name;
  return Buffer.concat([typeof abs === 'string' ? Buffer.from(abs) : abs, SLASH, typeof name === 'string' ? Buffer.from(name) : name]);
}

function lstatMtime(p: string | Buffer): number {
  try {
    return fs.lstatSync(p).mtimeMs;
  } catch (error) {
    throw new IoError('stat', quoteName(p), error);
  }
}

async function lstatMtimeAsync(p: string | Buffer): Promise<number> {
  try {
    return (await fs.promises.lstat(p)).mtimeMs;
  } catch (error) {
    throw new IoError('stat', quoteName(p), error);
  }
}

/**
 * The walk's rules for the paths of a flat listing (S3 keys relative to the prefix, text): a
 * path is selected exactly when the walk would list a regular file there. No segment may start
 * with '.' (dotfiles and dot-directories are never read), `lost+found` at the root is left out,
 * every directory on the way must be one the walk enters (`--ignore` of a directory prunes all
 * under it), and the name must pass its directory's selector. Answers are cached per directory.
 */
export function pathSelector(patterns: PatternSet): (rel: string) => boolean {
  const selectors = new Map<string, Selector>();
  const entered = new Map<string, boolean>([['', true]]);
  /** Whether the walk enters `dir` ('a/b/', with its trailing '/'). */
  const enters = (dir: string): boolean => {
    let yes = entered.get(dir);
    if (yes !== undefined) return yes;
    const inner = dir.slice(0, -1);
    const slash = inner.lastIndexOf('/');
    const parent = inner.slice(0, slash + 1);
    const name = inner.slice(slash + 1);
    const depth = segmentsOf(dir);
    yes = enters(parent) && name.charCodeAt(0) !== 0x2e && !(depth === 1 && name === 'lost+found') && patterns.enters(inner, depth);
    entered.set(dir, yes);
    return yes;
  };
  return (rel) => {
    const slash = rel.lastIndexOf('/');
    const dir = rel.slice(0, slash + 1);
    const name = rel.slice(slash + 1);
    if (name.charCodeAt(0) === 0x2e || (dir === '' && name === 'lost+found')) return false;
    if (!enters(dir)) return false;
    let selects = selectors.get(dir);
    if (selects === undefined) {
      selects = patterns.selector(dir);
      selectors.set(dir, selects);
    }
    return selects(name);
  };
}

/** Segments of `dir` ('a/b/' is 2 deep). */
function segmentsOf(dir: string): number {
  let n = 0;
  for (let i = 0; i < dir.length; i++) if (dir.charCodeAt(i) === 0x2f) n++;
  return n;
}
