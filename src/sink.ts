/**
 * Outputs that appear whole or not at all, together.
 *
 * File targets: bytes go to a temp file beside the target, then fsync. Only when every output of
 * the run is complete are they renamed into place; a previous target is first hard-linked to a
 * backup name, so that a rename failing halfway puts back what was already replaced. On any
 * failure or signal the temp files are removed and every previous target stays as it was.
 *
 * Descriptors (stdout, `-o -`, `/dev/stdout`, `/dev/fd/N`) and devices: bytes are held in memory,
 * then in an unlinked spool file, and written at commit with plain write() at the descriptor's
 * current offset, which advances it: a shell group (`{ aggregate d; echo END; } > f`, `2>&1`,
 * `>>`) gets the output whole and in order, and a failed run writes nothing there.
 *
 * Both support mark/rollback, so a fragment found invalid halfway under `--on-invalid skip`
 * leaves no trace in the output.
 */
import fs, { type Stats as FileStats } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import { InterruptedError, IoError, errnoCode } from './errors.js';
import { descriptorOf } from './options.js';
import { quoteName } from './quote.js';

const BUFFER_SIZE = 4 << 20;
/** Writes at least this long go straight to an open file (after the buffer): no copy of big chunks. */
const WRITE_THROUGH = 256 << 10;
/**
 * Spans shorter than this are copied with a plain loop: Node 20's Buffer.copy allocates a view per
 * call (~150 ns), which a JSON output of one short span and one comma per record pays millions of
 * times. Measured crossover of the loop against the native copy: ~40 bytes.
 */
const SHORT_COPY = 40;
/**
 * A file output starts a background fdatasync each time this much more has been written, so that
 * the fsync before the rename finds little left to write (256 MB took 150-300 ms to sync at the
 * end, 20-35 ms with this), while the disk works during the run instead of after it.
 */
const SYNC_BEHIND = 32 << 20;

/** Temp files of outputs in progress, removed on exit whatever happens. */
const pending = new Set<string>();
let exitHookInstalled = false;
function track(file: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', removePendingTempFiles);
  }
  pending.add(file);
}

/** Remove every temp file still in progress (used on exit and on signals). */
export function removePendingTempFiles(): void {
  for (const file of pending) {
    try {
      fs.unlinkSync(file);
    } catch {
      // already gone
    }
  }
  pending.clear();
}

/**
 * Write all of buf[start, end) to fd at `position` (or the current offset). For regular files
 * (temp files, spools, a descriptor onto a file): their writes never wait for a reader, so a
 * signal is handled at the next checkpoint. Pipes, sockets and devices go through `openWriter`.
 */
export function writeFully(fd: number, buf: Buffer, start: number, end: number, position: number | null): void {
  let off = start;
  let pos = position;
  while (off < end) {
    const n = fs.writeSync(fd, buf, off, end - off, pos);
    off += n;
    if (pos !== null) pos += n;
  }
}

/** Writes to a destination; `write` resolves once the bytes are handed to the kernel. */
interface Writer {
  write(buf: Buffer, start: number, end: number): Promise<void> | undefined;
  /** Everything written; undefined when nothing is pending. */
  flush(): Promise<void> | undefined;
  close(): void;
}

/** The run's abort signal as a promise that rejects (with its reason) when it fires. */
function aborted(signal: AbortSignal | undefined): { promise: Promise<never>; dispose(): void } | undefined {
  if (signal === undefined) return undefined;
  let onAbort = (): void => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(interruption(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {}); // observed by whoever races it
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

function interruption(signal: AbortSignal): unknown {
  return signal.reason instanceof InterruptedError ? signal.reason : new InterruptedError('SIGTERM');
}

/** A regular file: plain synchronous writes (a disk does not wait on a reader). */
function fileWriter(fd: number): Writer {
  return {
    write: (buf, start, end) => {
      writeFully(fd, buf, start, end, null);
      return undefined;
    },
    flush: () => undefined,
    close: () => {},
  };
}

/**
 * A pipe, FIFO or socket: written through a libuv stream (non-blocking, woken by epoll), so the
 * event loop keeps running while the reader is slow or stopped, and a signal ends the run. The
 * descriptor is a private one (reopened through /proc, its own O_NONBLOCK) when it can be, so
 * that the caller's shared one keeps its flags; a socket cannot be reopened and is used as is.
 */
function streamWriter(fd: number, own: boolean, abort: AbortSignal | undefined): Writer {
  const stream: net.Socket = !own && fd === 1 ? process.stdout : !own && fd === 2 ? process.stderr : new net.Socket({ fd, readable: false, writable: true });
  let failure: unknown;
  /** The one wait in progress (at most one: the caller awaits each write). */
  let waiter: ((error: unknown) => void) | undefined;
  const onError = (error: unknown): void => {
    failure ??= error;
    waiter?.(error);
  };
  stream.on('error', onError);
  let drained = true;
  const until = (settled: Promise<void>): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      const a = aborted(abort);
      const done = (error?: unknown): void => {
        waiter = undefined;
        a?.dispose();
        if (error === undefined) resolve();
        else reject(error);
      };
      waiter = done;
      a?.promise.catch(done);
      settled.then(() => done(), done);
    });
  let last: Promise<void> | undefined;
  return {
    write: (buf, start, end) => {
      if (failure !== undefined) throw failure;
      // The stream keeps the buffer until written: hand it a copy (the caller reuses its own).
      const written = new Promise<void>((resolve, reject) => {
        if (!stream.write(Buffer.from(buf.subarray(start, end)), (error) => (error ? reject(error) : resolve()))) drained = false;
      });
      written.catch(() => {}); // reported through `until` or the 'error' event
      last = written;
      if (drained) return undefined;
      return until(new Promise<void>((resolve) => stream.once('drain', resolve))).then(() => {
        drained = true;
      });
    },
    flush: () => (last ? until(last) : undefined),
    close: () => {
      stream.off('error', onError);
      if (own) stream.destroy();
    },
  };
}

/**
 * A terminal or another device: a private non-blocking descriptor (closed after), written until it would
 * block, then retried after a short sleep on a timer (the event loop runs: a signal ends the run).
 */
function pollWriter(fd: number, abort: AbortSignal | undefined): Writer {
  const write = async (buf: Buffer, start: number, end: number): Promise<void> => {
    let off = start;
    let wait = 1;
    while (off < end) {
      try {
        off += fs.writeSync(fd, buf, off, end - off, null);
        wait = 1;
      } catch (error) {
        if (errnoCode(error) !== 'EAGAIN') throw error;
        if (abort?.aborted) throw interruption(abort);
        await new Promise((resolve) => setTimeout(resolve, wait));
        if (abort?.aborted) throw interruption(abort);
        wait = Math.min(wait * 2, 16);
      }
    }
  };
  return {
    write: (buf, start, end) => {
      // Synchronous while the device takes everything (the usual case).
      let off = start;
      while (off < end) {
        try {
          off += fs.writeSync(fd, buf, off, end - off, null);
        } catch (error) {
          if (errnoCode(error) !== 'EAGAIN') throw error;
          return write(buf, off, end);
        }
      }
      return undefined;
    },
    flush: () => undefined,
    close: () => fs.closeSync(fd),
  };
}

/**
 * A writer for `fd` by what it is (see fileWriter, streamWriter, pollWriter). Only pipes and
 * terminals are reopened: reopening some devices has effects (a tape rewinds on close), and
 * the others (/dev/null, /dev/full) never make a writer wait.
 */
function openWriter(fd: number, abort: AbortSignal | undefined): Writer {
  const st = fs.fstatSync(fd);
  const pipe = st.isFIFO();
  if (!pipe && !st.isSocket() && !(st.isCharacterDevice() && tty.isatty(fd))) return fileWriter(fd);
  let own = -1;
  if (!st.isSocket()) {
    try {
      own = fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch {
      // no /proc, or a pipe whose reader is gone (ENXIO): the descriptor itself
    }
  }
  if (pipe || st.isSocket()) return streamWriter(own >= 0 ? own : fd, own >= 0, abort);
  return own >= 0 ? pollWriter(own, abort) : fileWriter(fd);
}

export interface OutputTarget {
  /** Append bytes. */
  write(buf: Buffer, start?: number, end?: number): void;
  /** Bytes written so far: a mark to roll back to. */
  readonly length: number;
  /** Drop everything written after `mark`. */
  rollback(mark: number): void;
  /** Make the output visible (rename into place, or copy to its descriptor): `commitAll([this])`. */
  commit(abort?: AbortSignal): Promise<void>;
  /** Commit protocol, step 1: everything written and synced; nothing visible yet. */
  prepare(): void;
  /** Discard everything; the target is untouched. Safe to call more than once. */
  abort(): void;
}

/**
 * Buffered, positional writer over a file descriptor that may be opened lazily (stdout spills to
 * a file only when the output outgrows the buffer).
 */
abstract class BufferedOutput implements OutputTarget {
  protected buf = Buffer.allocUnsafe(BUFFER_SIZE);
  protected used = 0;
  /** Bytes already in the file. */
  protected flushed = 0;
  protected fd = -1;
  protected done = false;

  /** Open the backing file (its descriptor in `fd`). */
  protected abstract openFile(): void;
  protected abstract fileName(): string;

  get length(): number {
    return this.flushed + this.used;
  }

  write(src: Buffer, start = 0, end = src.length): void {
    // Late bytes from an async producer (gzip, zip) after abort must not recreate the temp file.
    if (this.done) return;
    const len = end - start;
    if (len >= WRITE_THROUGH && this.fd >= 0) {
      this.flush();
      this.writeAt(src, start, end);
      return;
    }
    if (len <= this.buf.length - this.used) {
      if (len < SHORT_COPY) {
        const buf = this.buf;
        let used = this.used;
        for (let i = start; i < end; i++) buf[used++] = src[i]!;
        this.used = used;
      } else {
        src.copy(this.buf, this.used, start, end);
        this.used += len;
      }
      return;
    }
    this.flush();
    if (len >= this.buf.length) {
      this.writeAt(src, start, end);
      return;
    }
    src.copy(this.buf, 0, start, end);
    this.used = len;
  }

  protected flush(): void {
    if (this.used === 0) return;
    this.writeAt(this.buf, 0, this.used);
    this.used = 0;
  }

  private writeAt(src: Buffer, start: number, end: number): void {
    if (this.fd < 0) this.openFile();
    try {
      writeFully(this.fd, src, start, end, this.flushed);
    } catch (error) {
      throw new IoError('write', this.fileName(), error);
    }
    this.flushed += end - start;
    this.wrote();
  }

  /** Called after bytes reach the file. */
  protected wrote(): void {}

  rollback(mark: number): void {
    if (this.done) return; // discarded already (--on-invalid fail keeps validating)
    if (mark >= this.flushed) {
      this.used = mark - this.flushed;
      return;
    }
    try {
      fs.ftruncateSync(this.fd, mark);
    } catch (error) {
      throw new IoError('truncate', this.fileName(), error);
    }
    this.flushed = mark;
    this.used = 0;
  }

  /** Mark finished and close the backing file, ignoring errors; false if it already was. */
  protected finishQuietly(): boolean {
    if (this.done) return false;
    this.done = true;
    try {
      this.closeFd();
    } catch {
      // a file being discarded: a failed close loses nothing
    }
    return true;
  }

  protected closeFd(): void {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      fs.closeSync(fd);
    }
  }

  commit(abort?: AbortSignal): Promise<void> {
    return commitAll([this], abort);
  }

  abstract prepare(): void;
  abstract abort(): void;
}

/**
 * Short, fixed-form temp name (`.aggregate-XXXXXXXX.tmp`): fits wherever the target's name fits.
 * Created with O_EXCL, so the name needs to be unlikely, not secret: Math.random (seeded from the
 * OS per process) rather than node:crypto, whose loading cost ~4 ms of every run's start.
 */
export function tempName(dir: string): string {
  return path.join(
    dir,
    `.aggregate-${Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0')}.tmp`,
  );
}

/** Atomic file output: temp file in the target's directory, fsync; renamed by commitAll. */
export class AtomicFileOutput extends BufferedOutput {
  private readonly temp: string;
  /** A second descriptor of the temp file for background syncs: closed only once none is in flight. */
  private syncFd = -1;
  private syncing = false;
  private syncedTo = 0;
  /** A hard link to (or copy of) the previous target, while the commit can still be undone. */
  private backup: string | undefined;

  constructor(readonly target: string) {
    super();
    this.temp = tempName(path.dirname(target));
    // Open now, so an unwritable destination fails before any input is read.
    this.openFile();
  }

  protected override openFile(): void {
    try {
      // Like `mkdir -p`: an Argo container template has no shell to create /tmp/out first.
      fs.mkdirSync(path.dirname(this.target), { recursive: true });
      this.fd = fs.openSync(this.temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
    } catch (error) {
      throw new IoError('create output file in', path.dirname(this.target), error);
    }
    track(this.temp);
  }

  protected override fileName(): string {
    return this.target;
  }

  /** Sync behind the writes, on the thread pool; the commit's fsync stays the one that counts. */
  protected override wrote(): void {
    if (this.syncing || this.flushed - this.syncedTo < SYNC_BEHIND) return;
    if (this.syncFd < 0) {
      try {
        this.syncFd = fs.openSync(this.temp, fs.constants.O_RDONLY);
      } catch {
        this.syncedTo = Infinity; // no second descriptor: the commit's fsync does it all
        return;
      }
    }
    this.syncing = true;
    const upTo = this.flushed;
    fs.fdatasync(this.syncFd, () => {
      // An error here changes nothing: the fsync before the rename reports it.
      this.syncing = false;
      this.syncedTo = upTo;
      if (this.fd < 0) this.closeSyncFd();
    });
  }

  private closeSyncFd(): void {
    if (this.syncFd < 0 || this.syncing) return;
    const fd = this.syncFd;
    this.syncFd = -1;
    try {
      fs.closeSync(fd);
    } catch {
      // read-only descriptor: nothing to lose
    }
  }

  override prepare(): void {
    if (this.done) throw new Error('output already finished');
    this.flush();
    try {
      fs.fsyncSync(this.fd);
    } catch (error) {
      throw new IoError('sync', this.target, error);
    }
    try {
      this.closeFd();
    } catch (error) {
      throw new IoError('close', this.target, error);
    }
    this.closeSyncFd();
  }

  /** Rename over the target, keeping the previous one as a backup until `settle` or `restore`. */
  install(): void {
    const backup = tempName(path.dirname(this.target));
    try {
      fs.linkSync(this.target, backup);
      this.backup = backup;
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') {
        // No hard links here (some network and FUSE file systems): a copy does the same job.
        try {
          fs.copyFileSync(this.target, backup, fs.constants.COPYFILE_EXCL);
          this.backup = backup;
        } catch (copyError) {
          fs.rmSync(backup, { force: true });
          throw new IoError('keep a backup of', this.target, copyError);
        }
      }
    }
    if (this.backup) track(this.backup);
    try {
      fs.renameSync(this.temp, this.target);
    } catch (error) {
      // Nothing replaced: the target is as it was; drop the backup.
      if (this.backup) fs.rmSync(this.backup, { force: true });
      this.backup = undefined;
      throw new IoError('rename into place', this.target, error);
    }
    pending.delete(this.temp);
  }

  /** Undo `install`: the previous target back, or no file when there was none. */
  restore(): void {
    try {
      if (this.backup) fs.renameSync(this.backup, this.target);
      else fs.unlinkSync(this.target);
      if (this.backup) pending.delete(this.backup);
      this.backup = undefined;
    } catch {
      // best effort: the error that made us restore is the one reported
    }
  }

  /** The commit stands: drop the backup, make the rename durable. */
  settle(): void {
    this.done = true;
    if (this.backup) {
      fs.rmSync(this.backup, { force: true });
      pending.delete(this.backup);
      this.backup = undefined;
    }
    syncDirectory(path.dirname(this.target));
  }

  override abort(): void {
    if (!this.finishQuietly()) return;
    this.closeSyncFd();
    try {
      fs.unlinkSync(this.temp);
    } catch {
      // never created, already gone, or renamed into place and restored
    }
    pending.delete(this.temp);
  }
}

/** Make a rename durable; not every file system supports fsync on a directory. */
function syncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort (EINVAL/EISDIR on some file systems)
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** Where a deferred output is released to: an open descriptor, or a device opened at commit. */
interface Destination {
  /** How messages name it. */
  readonly name: string;
  open(abort: AbortSignal | undefined): number | Promise<number>;
  close(fd: number): void;
  /** Where a spool file may go, best first. */
  spoolDirs(): string[];
}

function descriptor(fd: number, name: string): Destination {
  return {
    name,
    open: () => fd,
    close: () => {},
    // os.tmpdir() first; on a read-only root file system, beside the file the descriptor is on.
    spoolDirs: () => {
      const dirs = [os.tmpdir()];
      try {
        if (fs.fstatSync(fd).isFile()) dirs.push(path.dirname(fs.readlinkSync(`/proc/self/fd/${fd}`)));
      } catch {
        // no /proc, or not a file
      }
      return dirs;
    },
  };
}

/**
 * A target that is not a regular file (/dev/null, /dev/full, a FIFO): opened at commit, without
 * blocking. A FIFO with no reader yet is waited for on a timer, so a signal still ends the run.
 */
function device(target: string): Destination {
  return {
    name: target,
    open: async (abort) => {
      for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
        try {
          return fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        } catch (error) {
          if (errnoCode(error) !== 'ENXIO') throw error; // ENXIO: a FIFO nobody reads yet
        }
        if (abort?.aborted) throw interruption(abort);
        await new Promise((resolve) => setTimeout(resolve, wait));
        if (abort?.aborted) throw interruption(abort);
      }
    },
    close: (fd) => fs.closeSync(fd),
    spoolDirs: () => [os.tmpdir()],
  };
}

/**
 * The spool of a file output that must be held uncompressed until the end (json.gz under
 * `--on-invalid skip`): beside the output first (the disk chosen to hold it; TMPDIR is often a
 * small tmpfs, i.e. memory), then TMPDIR. Never released: its owner drains it.
 */
export function spoolOf(out: OutputTarget): Destination {
  if (out instanceof DeferredOutput) return out.destination;
  const target = out instanceof AtomicFileOutput ? out.target : undefined;
  return {
    name: target === undefined ? 'the output' : `the output ${quoteName(target)}`,
    open: () => {
      throw new Error('internal: a spool is not released');
    },
    close: () => {},
    spoolDirs: () => (target === undefined ? [os.tmpdir()] : [path.dirname(target), os.tmpdir()]),
  };
}

/**
 * Output released only on commit: memory first, then an unlinked spool file, then written with
 * plain write() at the destination's current offset. Used for descriptors and devices.
 */
export class DeferredOutput extends BufferedOutput {
  constructor(readonly destination: Destination = descriptor(1, 'standard output')) {
    super();
  }

  protected override openFile(): void {
    const dirs = [...new Set(this.destination.spoolDirs())];
    let lastError: unknown;
    for (const dir of dirs) {
      const spool = tempName(dir);
      try {
        this.fd = fs.openSync(spool, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
        // Unlinked at once: nothing can be left behind, even after SIGKILL.
        fs.unlinkSync(spool);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    const tried = dirs.map((d) => quoteName(d)).join(' and ');
    throw new IoError(
      `hold ${this.destination.name} in a spool file: tried ${tried}; last error in`,
      dirs[dirs.length - 1]!,
      lastError,
      'set TMPDIR to a writable directory',
    );
  }

  protected override fileName(): string {
    return `the spool file for ${this.destination.name}`;
  }

  override prepare(): void {
    if (this.done) throw new Error('output already finished');
  }

  /**
   * Write everything to the destination; cannot be undone, so it comes last in commitAll. Waits
   * for a slow reader without blocking the event loop: `abort` (a signal) ends it.
   */
  async release(abort: AbortSignal | undefined): Promise<void> {
    this.done = true;
    const { destination } = this;
    let out = -1;
    let writer: Writer | undefined;
    try {
      const opened = destination.open(abort);
      out = typeof opened === 'number' ? opened : await opened;
      writer = openWriter(out, abort);
      if (this.fd >= 0) {
        // Copy the spooled part, then what is still buffered.
        const copy = Buffer.allocUnsafe(1 << 20);
        let pos = 0;
        while (pos < this.flushed) {
          const n = fs.readSync(this.fd, copy, 0, Math.min(copy.length, this.flushed - pos), pos);
          if (n === 0) break;
          const w = writer.write(copy, 0, n);
          if (w) await w;
          pos += n;
        }
        this.closeFd();
      }
      const w = writer.write(this.buf, 0, this.used);
      if (w) await w;
      const f = writer.flush();
      if (f) await f;
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      const reader = errnoCode(error) === 'EPIPE' ? ' (the reader closed the pipe)' : '';
      throw new IoError('write', destination.name + reader, error);
    } finally {
      writer?.close();
      if (out >= 0) destination.close(out);
    }
  }

  override abort(): void {
    this.finishQuietly(); // the spool file is already unlinked
  }
}

/**
 * Commit a run's outputs together: every temp file complete and synced first; then the renames
 * (each previous target kept as a backup); then the descriptors. Any failure puts back every
 * target already replaced and discards the rest: all or nothing. (Bytes already written to a
 * descriptor cannot be taken back: descriptors come last, after everything that can fail.)
 */
export async function commitAll(outputs: readonly OutputTarget[], abort?: AbortSignal): Promise<void> {
  const files = outputs.filter((o): o is AtomicFileOutput => o instanceof AtomicFileOutput);
  const streams = outputs.filter((o): o is DeferredOutput => o instanceof DeferredOutput);
  try {
    for (const o of outputs) o.prepare();
    const installed: AtomicFileOutput[] = [];
    try {
      for (const f of files) {
        f.install();
        installed.push(f);
      }
      for (const s of streams) await s.release(abort);
    } catch (error) {
      for (const f of installed.reverse()) f.restore();
      throw error;
    }
    for (const f of files) f.settle();
  } catch (error) {
    for (const o of outputs) o.abort();
    throw error;
  }
}

/**
 * The target for `output` as resolved by options.ts: stdout when undefined, `/dev/fd/N` for an
 * open descriptor, else a path (links already followed).
 */
export function openOutput(output: string | undefined): OutputTarget {
  if (output === undefined) return new DeferredOutput();
  const fd = descriptorOf(output);
  if (fd !== undefined) return new DeferredOutput(descriptor(fd, fd === 1 ? 'standard output' : fd === 2 ? 'standard error' : `descriptor ${fd}`));
  let replaceable = true;
  try {
    replaceable = fs.statSync(output).isFile();
  } catch {
    // does not exist yet: created by the rename
  }
  return replaceable ? new AtomicFileOutput(output) : new DeferredOutput(device(output));
}

/** fstat of stdout when it is a regular file, else undefined. */
export function stdoutFile(): FileStats | undefined {
  try {
    const st = fs.fstatSync(1);
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}
