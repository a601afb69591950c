/**
 * Output that appears whole or not at all.
 *
 * File targets: bytes go to a temp file beside the target (a dotfile, so never matched as input),
 * then fsync, rename over the target, fsync of the directory. On any failure or signal the temp
 * file is removed and the target stays as it was (write-file-atomic's recipe).
 *
 * stdout: bytes are held in memory and spill to an unlinked temp file past a few MiB, and are
 * copied to stdout only when the run succeeds, so a failed run prints nothing on stdout.
 *
 * Both support mark/rollback, so a fragment found invalid halfway under `--on-invalid skip`
 * leaves no trace in the output.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { IoError, errnoCode } from './errors.js';

const BUFFER_SIZE = 4 << 20;
/** Writes at least this long go straight to an open file (after the buffer): no copy of big chunks. */
const WRITE_THROUGH = 256 << 10;

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

/** Write all of buf[start, end) to fd at `position` (or the current offset), retrying EAGAIN. */
export function writeFully(fd: number, buf: Buffer, start: number, end: number, position: number | null): void {
  let off = start;
  let pos = position;
  while (off < end) {
    let n: number;
    try {
      n = fs.writeSync(fd, buf, off, end - off, pos);
    } catch (error) {
      // stdout may be a non-blocking pipe: wait for the reader instead of failing.
      if (errnoCode(error) === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        continue;
      }
      throw error;
    }
    off += n;
    if (pos !== null) pos += n;
  }
}

export interface OutputTarget {
  /** Append bytes. */
  write(buf: Buffer, start?: number, end?: number): void;
  /** Bytes written so far: a mark to roll back to. */
  readonly length: number;
  /** Drop everything written after `mark`. */
  rollback(mark: number): void;
  /** Make the output visible (rename into place, or copy to stdout). */
  commit(): void;
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
  /** Where in the file our bytes start (non-zero only for `>>` onto stdout). */
  protected origin = 0;
  protected fd = -1;
  protected done = false;

  constructor(protected readonly targetName: string) {}

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
      src.copy(this.buf, this.used, start, end);
      this.used += len;
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
      writeFully(this.fd, src, start, end, this.origin + this.flushed);
    } catch (error) {
      throw new IoError('write', this.fileName(), error);
    }
    this.flushed += end - start;
  }

  rollback(mark: number): void {
    if (mark >= this.flushed) {
      this.used = mark - this.flushed;
      return;
    }
    try {
      fs.ftruncateSync(this.fd, this.origin + mark);
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

  abstract commit(): void;
  abstract abort(): void;
}

/** Atomic file output: temp file in the target's directory, fsync, rename. */
export class AtomicFileOutput extends BufferedOutput {
  private readonly temp: string;

  constructor(readonly target: string) {
    super(target);
    const dir = path.dirname(target);
    this.temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
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

  override commit(): void {
    if (this.done) throw new Error('output already finished');
    try {
      this.flush();
      try {
        fs.fsyncSync(this.fd);
      } catch (error) {
        throw new IoError('sync', this.target, error);
      }
      this.closeFd();
      try {
        fs.renameSync(this.temp, this.target);
      } catch (error) {
        throw new IoError('rename into place', this.target, error);
      }
      pending.delete(this.temp);
      this.done = true;
      syncDirectory(path.dirname(this.target));
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  override abort(): void {
    if (!this.finishQuietly()) return;
    try {
      fs.unlinkSync(this.temp);
    } catch {
      // never created or already gone
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

/** Where a deferred output is released to. */
interface Destination {
  readonly name: string;
  open(): number;
  close(fd: number): void;
}

const STDOUT: Destination = { name: 'standard output', open: () => 1, close: () => {} };

/** A target that is not a regular file (/dev/null, /dev/full, a FIFO): written in place. */
function device(target: string): Destination {
  return {
    name: target,
    open: () => fs.openSync(target, fs.constants.O_WRONLY),
    close: (fd) => fs.closeSync(fd),
  };
}

/**
 * Output released only on commit: memory first, then an unlinked spool file. Used for stdout and
 * for targets that cannot be replaced by a rename (devices, FIFOs).
 */
export class DeferredOutput extends BufferedOutput {
  constructor(private readonly destination: Destination = STDOUT) {
    super(destination.name);
  }

  protected override openFile(): void {
    const dir = os.tmpdir();
    const spool = path.join(dir, `.aggregate-spool.${process.pid}.${randomBytes(4).toString('hex')}`);
    try {
      this.fd = fs.openSync(spool, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      // Unlinked at once: nothing can be left behind, even after SIGKILL.
      fs.unlinkSync(spool);
    } catch (error) {
      throw new IoError('create a spool file in', dir, error);
    }
  }

  protected override fileName(): string {
    return `the spool file for ${this.destination.name}`;
  }

  override commit(): void {
    if (this.done) throw new Error('output already finished');
    this.done = true;
    const { destination } = this;
    let out = -1;
    try {
      out = destination.open();
      if (this.fd >= 0) {
        // Copy the spooled part, then what is still buffered.
        const copy = Buffer.allocUnsafe(1 << 20);
        let pos = 0;
        while (pos < this.flushed) {
          const n = fs.readSync(this.fd, copy, 0, Math.min(copy.length, this.flushed - pos), pos);
          if (n === 0) break;
          writeFully(out, copy, 0, n, null);
          pos += n;
        }
        this.closeFd();
      }
      writeFully(out, this.buf, 0, this.used, null);
    } catch (error) {
      const reader = errnoCode(error) === 'EPIPE' ? ' (the reader closed the pipe)' : '';
      throw new IoError('write', destination.name + reader, error);
    } finally {
      if (out >= 0) destination.close(out);
    }
  }

  override abort(): void {
    this.finishQuietly(); // the spool file is already unlinked
  }
}

/**
 * stdout redirected to a regular file (`> out.json`): written in place, and truncated back to
 * where it started on failure, so a failed run still leaves nothing. Saves the spool's extra
 * write and read of the whole output (a 256 MB merge would otherwise move 768 MB).
 */
export class StdoutFileOutput extends BufferedOutput {
  constructor(fd: number, size: number) {
    super('standard output');
    this.fd = fd;
    this.origin = size;
  }

  protected override openFile(): void {
    // Open from the start.
  }

  protected override fileName(): string {
    return 'standard output';
  }

  override commit(): void {
    if (this.done) throw new Error('output already finished');
    this.flush();
    this.done = true;
  }

  override abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      fs.ftruncateSync(this.fd, this.origin);
    } catch {
      // nothing more can be done about a stdout we cannot truncate
    }
  }
}

/** fstat of stdout when it is a regular file, else undefined. */
export function stdoutFile(): fs.Stats | undefined {
  try {
    const st = fs.fstatSync(1);
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}

/** The target for `output`: stdout when undefined. */
export function openOutput(output: string | undefined): OutputTarget {
  if (output === undefined) {
    const st = stdoutFile();
    return st ? new StdoutFileOutput(1, st.size) : new DeferredOutput();
  }
  const target = resolveTarget(output);
  return target.replaceable ? new AtomicFileOutput(target.path) : new DeferredOutput(device(target.path));
}

/**
 * Follow a symbolic link at the target (as a shell redirection would), and tell whether the
 * target can be replaced by a rename: not when it is a device or a FIFO.
 */
function resolveTarget(output: string): { path: string; replaceable: boolean } {
  let real = output;
  try {
    real = fs.realpathSync(output);
  } catch {
    // does not exist yet: created by the rename
  }
  try {
    const st = fs.statSync(real);
    if (st.isDirectory()) throw new IoError('write output to', real, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
    return { path: real, replaceable: st.isFile() };
  } catch (error) {
    if (error instanceof IoError) throw error;
    return { path: real, replaceable: true };
  }
}
