/**
 * Ordered reading of the input files, fast on a local disk and on a network volume.
 *
 * A synchronous open/read/close loop into one reused buffer reads ~150k small files/s here, but
 * on a network file system every open is a round trip and a serial loop is latency-bound. So
 * reading starts synchronously and switches to a bounded, ordered read-ahead window of
 * `concurrency` asynchronous opens once files turn out to be slow to open (a network volume, a
 * cold cache). Files are always handed over in list order, one at a time.
 *
 * Files are opened with O_NOFOLLOW (a link swapped in after discovery is never followed) and
 * O_NONBLOCK (a FIFO can't hang the run), then checked with fstat to be regular files.
 *
 * O_NOFOLLOW only guards the last component: a directory on the way swapped for a link after
 * the walk would be followed. So each opened descriptor's path (`/proc/self/fd/N`, what the
 * kernel resolved) must be the input root's real path and the walked name, byte for byte; a
 * file opened anywhere else is skipped with the reason, unread. The synchronous path checks a
 * directory at a time instead (see Directories): same guarantee, one readlink per directory.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { FileEntry, FileList, Listed } from './discover.js';
import { IoError, errnoCode } from './errors.js';
import { quoteName } from './quote.js';
import { SlowProbe } from './slow.js';

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
/** Chunk size for streaming large files, and the reused buffer of the synchronous path. */
export const CHUNK_SIZE = 1 << 20;
/** Largest head read ahead per file in the asynchronous window (bounds its memory). */
const PREFETCH_HEAD = 256 << 10;
/** Files timed per round of the slow-open probe (slow.ts), and slow rounds in a row that decide. */
const PROBE_FILES = 16;
const PROBE_ROUNDS = 2;

export type ReadMode = 'auto' | 'sync' | 'async';

/** How the files were read, for `--stats`: a window stuck below its size shows here. */
export interface ReadAheadStats {
  /** 'async' once the read-ahead window was used (slow opens, or `async` asked for). */
  readonly mode: 'sync' | 'async';
  /** The window's size (`--concurrency`). */
  readonly window: number;
  /** Most opens in flight at once (0 when every read was synchronous). */
  readonly maxInFlight: number;
}

export interface ReadOptions {
  readonly concurrency: number;
  /** Whether size and mode must be exact (archive headers); costs an fstat per file. */
  readonly stat: boolean;
  /** 'auto' (default) switches from sync to async when opens are slow. */
  readonly mode?: ReadMode;
  /** The real path of the input root and '/': every file opened must be the root + its `rel`. */
  readonly root?: Buffer;
}

/**
 * The two buffers a big file's chunks alternate between: one handed out, the other being read
 * into on the thread pool (see OpenedFile.readNext). Shared by the files of a reader.
 */
export interface ChunkBuffers {
  pair(): readonly [Buffer, Buffer];
  /** A read still in flight lands in the pair: never hand it out again. */
  drop(): void;
}

/** An open regular file whose first bytes are already read. */
export class OpenedFile {
  private fd: number;
  private ended: boolean;
  /** The read in flight (bytes read into `buffers.pair()[this.next]`), started by the last readNext. */
  private ahead: Promise<number> | undefined;
  private next = 0;
  /** Bytes handed out so far. */
  bytesRead: number;

  constructor(
    readonly entry: FileEntry,
    fd: number,
    /** Size reported by fstat when opened (the head's length for a complete file read unstat'ed). */
    readonly size: number,
    /** st_mode when opened (0o100644 when not stat'ed). */
    readonly mode: number,
    /** The first bytes; the whole file when `complete`. Valid until the next `readNext`. */
    readonly head: Buffer,
    /** The head holds the whole file (end of file was seen). */
    readonly complete: boolean,
    private readonly buffers: ChunkBuffers,
  ) {
    this.fd = fd;
    this.ended = complete;
    this.bytesRead = head.length;
  }

  /**
   * The next chunk after the head, or null at end of file; valid until the next call. Reads run
   * on the thread pool one chunk ahead of the consumer, so that a big file is read on another
   * core while the last chunk is scanned (a synchronous 1 MiB read cost the main thread ~0.6 ms,
   * ~150 ms per 256 MB). One read at a time, at the file's current offset, as a synchronous loop
   * would: a file that grows or shrinks meanwhile reads the same.
   */
  readNext(): Buffer | null | Promise<Buffer | null> {
    if (this.ended) return null;
    const pending = this.ahead ?? this.readAhead();
    this.ahead = undefined;
    const buf = this.buffers.pair()[this.next]!;
    return pending.then(
      (n) => {
        if (n === 0) {
          this.ended = true;
          return null;
        }
        this.bytesRead += n;
        this.next ^= 1;
        // Into the other buffer: the one handed out last time, which this call released.
        this.ahead = this.readAhead();
        return buf.subarray(0, n);
      },
      (error: unknown) => {
        throw new IoError('read', quoteName(this.entry.abs), error);
      },
    );
  }

  private readAhead(): Promise<number> {
    const buf = this.buffers.pair()[this.next]!;
    const p = call<number>((cb) => fs.read(this.fd, buf, 0, buf.length, null, cb));
    p.catch(() => {}); // reported by the readNext that takes it, if one does
    return p;
  }

  close(): void {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      this.ended = true;
      const ahead = this.ahead;
      if (ahead === undefined) return closeQuietly(fd);
      // The consumer stopped early (invalid fragment, error, signal) with a read in flight: its
      // descriptor stays open until the read is done (a number reused meanwhile would be read
      // from), and its buffer is not handed out again.
      this.ahead = undefined;
      this.buffers.drop();
      const closeFd = (): void => closeQuietly(fd);
      ahead.then(closeFd, closeFd);
    }
  }
}

/** Close a descriptor only read through: a failed close loses nothing. */
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Nothing was written through it.
  }
}

export type ReadResult =
  { readonly kind: 'file'; readonly file: OpenedFile } | { readonly kind: 'skipped'; readonly entry: FileEntry; readonly reason: string };

/** Hands out the listed files in order, opened; see FileReader. */
export interface Reader {
  next(): ReadResult | Promise<ReadResult> | undefined;
  /** How reads went, for --stats. */
  readAhead(): ReadAheadStats;
  /** Release what was read ahead and any connection (called once, at the end of every run). */
  dispose(): void;
}

/** Where a run's files come from: a local directory walk, or an S3 listing (s3/source.ts). */
export interface Source {
  readonly found: Listed;
  readonly reader: Reader;
}

function notRegular(st: fs.Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isSocket()) return 'socket';
  return 'not a regular file';
}

/** An open() failure that means "not a file we read" rather than an I/O failure. */
function skipReason(error: unknown): string | undefined {
  const code = errnoCode(error);
  if (code === 'ELOOP') return 'symbolic link (not followed)';
  if (code === 'ENXIO') return 'socket';
  return undefined;
}

function openError(entry: FileEntry, error: unknown): IoError {
  const hint = errnoCode(error) === 'ENOENT' ? 'it vanished after it was listed' : undefined;
  return new IoError('open', quoteName(entry.abs), error, hint);
}

/** Whether `/proc/self/fd` shows where descriptors lead (Linux); else the parent's real path is checked. */
let procFd: boolean | undefined;

function bytesOf(name: Buffer | string): Buffer {
  return typeof name === 'string' ? Buffer.from(name) : name;
}

/** Whether `where` is `root` followed by `rel`. */
function isAt(where: Buffer, root: Buffer, rel: Buffer): boolean {
  return (
    where.length === root.length + rel.length &&
    where.compare(root, 0, root.length, 0, root.length) === 0 &&
    where.compare(rel, 0, rel.length, root.length, where.length) === 0
  );
}

function escapeReason(where: Buffer): string {
  return `not read: it was opened at ${quoteName(where)}, outside the directory as walked (a directory on its path was replaced after listing, e.g. by a symbolic link)`;
}

/** One options object for every readlink (a string option is copied into a new object per call). */
const LATIN1 = { encoding: 'latin1' } as const;

/** `root` as one-byte text (latin1: one char per byte, so comparing texts compares bytes), cached. */
let rootText: { root: Buffer; text: string } | undefined;

/**
 * Whether `where` (a path /proc shows, as latin1 text) is the real `root` (with its '/') followed
 * by `rel` (latin1 text): compared in place, no concatenated string per file.
 */
function isWalkedPath(where: string, root: Buffer, rel: string): boolean {
  if (rootText?.root !== root) rootText = { root, text: root.toString('latin1') };
  const prefix = rootText.text;
  return where.length === prefix.length + rel.length && where.startsWith(prefix) && where.endsWith(rel);
}

/**
 * Why the file open at `fd` is not the walked `entry` under `root` (undefined when it is).
 * Costs one readlink per file (~2 us here, see docs/design.md). Read as latin1 text:
 * no Buffer per file, and the comparison is the bytes' (a latin1 string holds exactly the bytes).
 * Always synchronous: /proc answers from the kernel's own state, never from the volume.
 */
function containment(fd: number, entry: FileEntry, root: Buffer | undefined): string | undefined {
  if (root === undefined) return undefined;
  const rel = entry.rel;
  if (procFd !== false) {
    try {
      const where = fs.readlinkSync(`/proc/self/fd/${fd}`, LATIN1);
      procFd = true;
      return isWalkedPath(where, root, bytesOf(rel).toString('latin1')) ? undefined : escapeReason(Buffer.from(where, 'latin1'));
    } catch (error) {
      if (procFd === true) throw error;
      procFd = false;
    }
  }
  // No /proc: the real path of the file's directory, resolved after the open (narrower guard).
  const abs = bytesOf(entry.abs);
  const cut = abs.lastIndexOf(0x2f);
  const parent = fs.realpathSync.native(cut > 0 ? abs.subarray(0, cut) : Buffer.from('/'), { encoding: 'buffer' });
  const where = Buffer.concat([parent, Buffer.from(parent.length > 1 ? '/' : ''), abs.subarray(cut + 1)]);
  return isAt(where, root, bytesOf(rel)) ? undefined : escapeReason(where);
}

/** Directories held open at once (natural order can interleave two directories' files). */
const MAX_DIRS = 4;
const DIR_FLAGS = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY;

interface OpenDir {
  /** The directory's walked path relative to the root, without a trailing '/' ('' for the root). */
  readonly rel: Buffer;
  readonly fd: number;
  /** `/proc/<pid>/fd/<fd>/`: a file's name appended opens it inside this directory. */
  readonly prefix: Buffer;
  /** Bytes of the directory's full path as listed (`<dir>/<rel>`). */
  readonly pathLength: number;
}

/** Linux's PATH_MAX: a path of this many bytes or more does not open (ENAMETOOLONG). */
const PATH_MAX = 4096;

/** Index of the last '/' in `rel`, -1 for none. */
function lastSlash(rel: Buffer): number {
  let i = rel.length - 1;
  while (i >= 0 && rel[i] !== 0x2f) i--;
  return i;
}

/** Whether `a` and `b` share their first `n` bytes. A JS loop: Buffer#compare with ranges allocated ~370 bytes per call in its validators. */
function samePrefix(a: Buffer, b: Buffer, n: number): boolean {
  let i = n - 1;
  while (i >= 0 && a[i] === b[i]) i--;
  return i < 0;
}

/**
 * The synchronous path's containment, a directory at a time. Each directory is opened once and
 * its descriptor's path checked against the root's real path and the walked name; its files are
 * then opened as `/proc/<pid>/fd/<dir fd>/<name>`, Node's stand-in for openat(): the kernel
 * resolves that link to the open directory itself, never to a path, so a directory swapped after
 * its check is not followed, and a file needs no readlink of its own: one system call less per
 * file, ~18 ms of ~230 on 10k small files (bench/README.md). A directory costs an open and a
 * close more, so one is opened only when the next listed file is in it too (a directory per
 * file would cost 2 calls more per file). A directory that fails its check or cannot be opened,
 * or a path too long to open whole, gets undefined: the file is opened by its full path and
 * checked alone, which says what went wrong in the same words as ever.
 */
export class Directories {
  private readonly dirs: OpenDir[] = [];
  /** `/proc/<pid>/fd/`, or null when /proc does not show this process's descriptors; unset until first needed. */
  private base: string | null | undefined;

  constructor(private readonly root: Buffer) {}

  /**
   * The path to open `entry` by, through its directory; undefined: open `entry.abs` and check it.
   * `following()` is the file listed after it (a directory not held yet is opened only for two).
   */
  pathOf(entry: FileEntry, following: () => FileEntry | undefined): Buffer | undefined {
    const rel = entry.rel;
    const cut = lastSlash(rel);
    const dirLen = cut < 0 ? 0 : cut;
    let dir = this.find(rel, dirLen);
    if (dir === undefined) {
      const next = following()?.rel;
      if (next === undefined || lastSlash(next) !== cut || !samePrefix(rel, next, dirLen)) return undefined;
      dir = this.open(entry, rel.subarray(0, dirLen));
      if (dir === undefined) return undefined;
    }
    // The whole path would not open (ENAMETOOLONG): neither must this one, whatever the read mode.
    if (dir.pathLength + rel.length - dirLen >= PATH_MAX) return undefined;
    const prefix = dir.prefix;
    const path = Buffer.allocUnsafe(prefix.length + rel.length - cut - 1);
    path.set(prefix, 0);
    for (let i = cut + 1, at = prefix.length; i < rel.length; i++) path[at++] = rel[i]!;
    return path;
  }

  /** The held directory `rel[0..dirLen)`, moved to the front (least recently used goes first). */
  private find(rel: Buffer, dirLen: number): OpenDir | undefined {
    const dirs = this.dirs;
    for (let k = 0; k < dirs.length; k++) {
      const d = dirs[k]!;
      if (d.rel.length !== dirLen || !samePrefix(rel, d.rel, dirLen)) continue;
      if (k > 0) {
        dirs.splice(k, 1);
        dirs.unshift(d);
      }
      return d;
    }
    return undefined;
  }

  private open(entry: FileEntry, relDir: Buffer): OpenDir | undefined {
    if (this.base === undefined) {
      try {
        // /proc/<pid> skips resolving the /proc/self link per file; /proc mounted for another
        // PID namespace would show another process there, hence the comparison.
        this.base = fs.readlinkSync('/proc/self') === String(process.pid) ? `/proc/${process.pid}/fd/` : '/proc/self/fd/';
      } catch {
        this.base = null;
      }
    }
    if (this.base === null) return undefined;
    const abs = entry.abs;
    const at = abs.length - (entry.rel.length - relDir.length) - (relDir.length > 0 ? 0 : 1);
    let fd: number;
    try {
      fd = fs.openSync(at > 0 ? abs.subarray(0, at) : Buffer.from('/'), DIR_FLAGS);
    } catch {
      return undefined;
    }
    try {
      // A directory's path has no trailing '/' (but '/' itself); the root's does.
      const where = fs.readlinkSync(`${this.base}${fd}`, LATIN1);
      if (!isWalkedPath(where === '/' ? where : `${where}/`, this.root, relDir.length > 0 ? `${relDir.toString('latin1')}/` : '')) {
        fs.closeSync(fd);
        return undefined;
      }
    } catch {
      fs.closeSync(fd);
      return undefined;
    }
    if (this.dirs.length === MAX_DIRS) fs.closeSync(this.dirs.pop()!.fd);
    const dir = { rel: Buffer.from(relDir), fd, prefix: Buffer.from(`${this.base}${fd}/`), pathLength: Math.max(at, 1) };
    this.dirs.unshift(dir);
    return dir;
  }

  /** Close every directory held (the end of a run). */
  close(): void {
    for (const d of this.dirs.splice(0)) closeQuietly(d.fd);
  }
}

/**
 * Synchronous open + first read into `buf`. fstat is only called when its answer is needed (tar
 * headers, or a head that fills the buffer): on small files it was a third of the per-file cost.
 * Discovery already saw a regular file; a FIFO or directory swapped in since then shows up here
 * as EAGAIN or EISDIR.
 */
function openSync(
  entry: FileEntry,
  buf: Buffer,
  chunk: ChunkBuffers,
  wantStat: boolean,
  root: Buffer | undefined,
  dirs: Directories | undefined,
  following: () => FileEntry | undefined,
): ReadResult {
  let fd: number;
  const via = dirs?.pathOf(entry, following);
  try {
    fd = fs.openSync(via ?? entry.abs, OPEN_FLAGS);
  } catch (error) {
    const reason = skipReason(error);
    if (reason) return { kind: 'skipped', entry, reason };
    throw openError(entry, error);
  }
  try {
    const outside = via === undefined ? containment(fd, entry, root) : undefined;
    if (outside) {
      fs.closeSync(fd);
      return { kind: 'skipped', entry, reason: outside };
    }
    let st: fs.Stats | undefined;
    if (wantStat) {
      st = fs.fstatSync(fd);
      const reason = notRegular(st);
      if (reason) {
        fs.closeSync(fd);
        return { kind: 'skipped', entry, reason };
      }
    }
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (error) {
      const reason = readSkipReason(error);
      if (reason === undefined) throw error;
      fs.closeSync(fd);
      return { kind: 'skipped', entry, reason };
    }
    const complete = n < buf.length;
    if (!complete && st === undefined) {
      st = fs.fstatSync(fd);
      const reason = notRegular(st);
      if (reason) {
        fs.closeSync(fd);
        return { kind: 'skipped', entry, reason };
      }
    }
    const file = new OpenedFile(entry, fd, st?.size ?? n, st?.mode ?? 0o100644, buf.subarray(0, n), complete, chunk);
    if (complete) file.close();
    return { kind: 'file', file };
  } catch (error) {
    fs.closeSync(fd);
    throw new IoError('read', quoteName(entry.abs), error);
  }
}

/** A read() failure that means a FIFO or directory took the file's place after discovery. */
function readSkipReason(error: unknown): string | undefined {
  const code = errnoCode(error);
  if (code === 'EAGAIN') return 'FIFO (named pipe)';
  if (code === 'EISDIR') return 'directory';
  return undefined;
}

function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/**
 * Closes handed to the pool and not done yet. Past MAX_CLOSING a close is waited for, so that
 * descriptors held stay within the read-ahead window plus what options.ts keeps in reserve.
 */
let closing = 0;
const MAX_CLOSING = 16;

/**
 * Close without waiting when few closes are pending (nothing was written through `fd`, so a
 * failed close loses nothing); else returns a promise of the close, to wait for.
 */
function closeLater(fd: number): Promise<void> | undefined {
  if (closing >= MAX_CLOSING) return new Promise<void>((resolve) => fs.close(fd, () => resolve()));
  closing++;
  fs.close(fd, () => void closing--);
  return undefined;
}

/**
 * Asynchronous open and first read into a buffer of its own; the rest is synchronous. Only open
 * and read can wait on a network volume: the containment readlink answers from /proc, fstat from
 * the attributes the open just fetched, and the close is not waited for (while few are pending).
 * Each asynchronous call is a round trip through libuv's thread pool, and waking a pool thread
 * costs the main thread far more than a synchronous call (30-60 us each on two busy cores).
 */
async function openAsync(entry: FileEntry, chunk: ChunkBuffers, root: Buffer | undefined): Promise<ReadResult> {
  let fd: number;
  try {
    fd = await call<number>((cb) => fs.open(entry.abs, OPEN_FLAGS, cb));
  } catch (error) {
    const reason = skipReason(error);
    if (reason) return { kind: 'skipped', entry, reason };
    throw openError(entry, error);
  }
  try {
    const outside = containment(fd, entry, root);
    if (outside) {
      await closeLater(fd);
      return { kind: 'skipped', entry, reason: outside };
    }
    const st = fs.fstatSync(fd);
    const reason = notRegular(st);
    if (reason) {
      await closeLater(fd);
      return { kind: 'skipped', entry, reason };
    }
    // One byte more than fstat's size, so a file read whole is known complete without a 2nd read.
    const buf = Buffer.allocUnsafe(Math.min(st.size + 1, PREFETCH_HEAD));
    const n = await call<number>((cb) => fs.read(fd, buf, 0, buf.length, null, cb));
    const complete = n < buf.length;
    if (complete) await closeLater(fd);
    return { kind: 'file', file: new OpenedFile(entry, complete ? -1 : fd, st.size, st.mode, buf.subarray(0, n), complete, chunk) };
  } catch (error) {
    void closeLater(fd);
    throw new IoError('read', quoteName(entry.abs), error);
  }
}

/**
 * An ordered read-ahead window: up to `size` opens in flight, handed out oldest first, from
 * `entries.at(start)` on. Shared by the local reader's asynchronous mode and the S3 reader.
 */
export class ReadAhead<E extends FileEntry> {
  private readonly window: Promise<ReadResult>[] = [];
  /** Opens started and not yet answered (a settled head waiting its turn is not in flight). */
  private inFlight = 0;
  /** The most opens in flight at once (shown in --stats as readAhead.maxInFlight). */
  maxInFlight = 0;

  constructor(
    private readonly entries: FileList<E>,
    private i: number,
    private readonly size: number,
    private readonly open: (entry: E) => Promise<ReadResult>,
  ) {}

  /** The next file, or undefined when all were handed out. */
  next(): Promise<ReadResult> | undefined {
    this.fill();
    const head = this.window.shift();
    if (head === undefined) return undefined;
    return head.then((r) => {
      this.fill();
      return r;
    });
  }

  private fill(): void {
    while (this.window.length < this.size && this.i < this.entries.length) {
      const p = this.open(this.entries.at(this.i++)!);
      if (++this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
      const landed = (): void => void this.inFlight--;
      p.then(landed, landed); // errors are handled when its turn comes
      this.window.push(p);
    }
  }

  /** Close whatever was read ahead (the consumer stopped early: error, signal). */
  dispose(): void {
    for (const p of this.window.splice(0)) {
      p.then(
        (r) => {
          if (r.kind === 'file') r.file.close();
        },
        () => {},
      );
    }
  }
}

/** The chunk buffers of a reader's big files, allocated on the first big file. */
class ReaderBuffers implements ChunkBuffers {
  private buffers: readonly [Buffer, Buffer] | undefined;

  pair(): readonly [Buffer, Buffer] {
    return (this.buffers ??= [Buffer.allocUnsafe(CHUNK_SIZE), Buffer.allocUnsafe(CHUNK_SIZE)]);
  }

  drop(): void {
    this.buffers = undefined;
  }
}

/**
 * Hands out every entry, in order, opened with its head read (or as skipped). The consumer must
 * finish with a file (and close it) before asking for the next one. `next()` answers without a
 * promise while reads are synchronous: on 10k small files the promise round trips cost more than
 * the reads.
 */
export class FileReader implements Reader {
  /** The heads of the synchronous path: a buffer reused for every file. */
  private readonly shared = Buffer.allocUnsafe(CHUNK_SIZE);
  private readonly chunk = new ReaderBuffers();
  /** The synchronous path's open directories (containment a directory at a time). */
  private readonly dirs: Directories | undefined;
  private mode: ReadMode;
  private i = 0;
  private readonly slow = new SlowProbe(PROBE_FILES, PROBE_ROUNDS);
  /** The asynchronous read-ahead window, once reads went asynchronous. */
  private ahead: ReadAhead<FileEntry> | undefined;
  /** entries.at(i), once looked at (see Directories.pathOf). */
  private upcoming: FileEntry | undefined;
  private readonly following = (): FileEntry | undefined => (this.upcoming ??= this.entries.at(this.i));

  constructor(
    private readonly entries: FileList,
    private readonly options: ReadOptions,
  ) {
    this.mode = options.mode ?? 'auto';
    this.dirs = options.root !== undefined ? new Directories(options.root) : undefined;
  }

  /** The next file, or undefined when all were handed out. */
  next(): ReadResult | Promise<ReadResult> | undefined {
    if (this.mode !== 'async') {
      if (this.i >= this.entries.length) return undefined;
      const entry = this.upcoming ?? this.entries.at(this.i)!;
      this.upcoming = undefined;
      this.i++;
      if (this.mode === 'sync') return openSync(entry, this.shared, this.chunk, this.options.stat, this.options.root, this.dirs, this.following);
      const t0 = performance.now();
      const result = openSync(entry, this.shared, this.chunk, this.options.stat, this.options.root, this.dirs, this.following);
      this.probe(performance.now() - t0);
      return result;
    }
    this.ahead ??= new ReadAhead(this.entries, this.i, this.options.concurrency, (entry) => openAsync(entry, this.chunk, this.options.root));
    return this.ahead.next();
  }

  /**
   * Switch to concurrent reads when two rounds in a row found even the faster quarter of opens
   * slow. On a network volume every open pays the round trip; on a loaded machine a page-cache
   * open is only slow when the process was preempted, which the median alone mistook for a slow
   * volume in 1 of 5 runs of 10k local files under a load average of 9 (see bench/README.md).
   */
  private probe(ms: number): void {
    if (this.slow.add(ms)) {
      this.mode = 'async';
      this.dirs?.close();
    }
  }

  readAhead(): ReadAheadStats {
    return { mode: this.ahead ? 'async' : 'sync', window: this.options.concurrency, maxInFlight: this.ahead?.maxInFlight ?? 0 };
  }

  /** Close whatever was read ahead (the consumer stopped early: error, signal), and the directories held. */
  dispose(): void {
    this.ahead?.dispose();
    this.dirs?.close();
  }
}
