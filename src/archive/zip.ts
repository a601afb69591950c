/**
 * `--mode zip`: a minimal, deterministic zip writer (APPNOTE 6.3), written here because archiver
 * (zip-stream, compress-commons) rewrites entry names and offers no way to stop it
 * (docs/design.md).
 *
 * Only what the collect step needs: regular files with a name, a size and a mode. Every other
 * field is fixed, so that the same files give the same bytes: one date for every entry (from
 * SOURCE_DATE_EPOCH, as UTC), version made by 3 (Unix) with the mode in the external
 * attributes, no extra timestamps, no comment.
 *
 * Layout of an entry is chosen by its size (fstat's, at open) alone, never by how it was read:
 *
 * - up to WHOLE_MAX bytes: the bytes are gathered, deflated in one call (or stored when deflate
 *   does not make them smaller, or at --level 0, or when empty), and the local header carries
 *   the CRC and both sizes;
 * - larger: streamed through node:zlib on the thread pool (reading and compressing overlap), the
 *   local header has bit 3 set and a data descriptor follows the data. Zip64 (local extra field,
 *   8-byte descriptor sizes) is used when the size could reach 4 GiB.
 *
 * The central directory gets a zip64 extra field where an offset needs it, and the end record a
 * zip64 record and locator when the count, the directory's size or its offset need them.
 *
 * Memory: a whole entry is at most WHOLE_MAX bytes; a streamed one queues at most QUEUED bytes
 * for zlib before the producer waits for 'drain'; the output target is synchronous. What grows
 * with the input is the central directory (46 bytes plus the name per entry), as in any zip.
 */
import { isUtf8 } from 'node:buffer';
import { once } from 'node:events';
import zlib from 'node:zlib';
import type { Settings } from '../options.js';
import { LONE_SURROGATE } from '../quote.js';
import { CHUNK_SIZE, type OpenedFile } from '../read.js';
import type { Added, ChunkFeed, Handler } from '../run.js';
import type { OutputTarget } from '../sink.js';
import { copyExactly, entryMode, modeString, shrank } from './entry.js';

/** 1980-01-01T00:00:00Z: the earliest time a DOS date holds. */
export const ZIP_MIN_TIME = 315532800;
/** 2107-12-31T23:59:59Z: the latest (stored as :58, DOS time has 2-second steps). */
export const ZIP_MAX_TIME = 4354819199;

/** Entries up to this size are deflated in one call with sizes in the local header. */
const WHOLE_MAX = 1 << 20;
/** Bytes queued for zlib (streamed entries) before the producer waits. */
const QUEUED = 8 << 20;
/** Size of the buffers chunks are copied into for zlib (the reader's chunk size). */
const POOLED = CHUNK_SIZE;

const SIG_LOCAL = 0x04034b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_ZIP64_END = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_END = 0x06054b50;
const FLAG_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
const STORED = 0;
const DEFLATED = 8;
/** Version made by: 3 (Unix) in the high byte, spec 6.3 in the low one. */
const MADE_BY = (3 << 8) | 63;
const NEEDS_DEFAULT = 20;
const NEEDS_ZIP64 = 45;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const ZIP64_EXTRA = 0x0001;

const PLAIN: Added = Object.freeze({ mode: modeString(0o644) });
const EXEC: Added = Object.freeze({ mode: modeString(0o755) });

/**
 * Why `rel` cannot be a zip entry name exactly as it is, or undefined when it can. Zip names
 * are UTF-8 (flag bit 11) or CP437, '/'-separated; extractors treat '\' as a separator too and
 * strip or refuse absolute and '..' paths, so such names would not come back as they went in.
 */
export function zipNameProblem(rel: Buffer | string): string | undefined {
  const name = typeof rel === 'string' ? Buffer.from(rel, 'utf8') : rel;
  const n = name.length;
  if (n === 0) return 'empty name';
  if (n > MAX16) return 'name longer than 65535 bytes, the most a zip entry name holds';
  // One pass over the bytes, no allocation: every matched name is checked before the contract.
  let high = false;
  let backslash = false;
  let nul = false;
  let badComponent = false;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    const b = i < n ? name[i]! : 0x2f;
    if (b === 0x2f) {
      const len = i - start;
      if (len === 0 || (len <= 2 && name[start] === 0x2e && (len === 1 || name[start + 1] === 0x2e))) badComponent = true;
      start = i + 1;
    } else if (b >= 0x80) high = true;
    else if (b === 0x5c) backslash = true;
    else if (b === 0) nul = true;
  }
  if (typeof rel === 'string' ? LONE_SURROGATE.test(rel) : high && !isUtf8(name))
    return 'name is not valid UTF-8, which a zip entry name must be to be read back exactly';
  if (backslash) return 'name contains a backslash, which zip extractors take as a directory separator';
  if (nul) return 'name contains a NUL byte';
  if (name[0] === 0x2f) return "name starts with '/'";
  if (badComponent) return `name has an empty, '.' or '..' component`;
  return undefined;
}

/** DOS date and time fields of `seconds` (UTC; the caller keeps it in the DOS range). */
export function dosDateTime(seconds: number): { date: number; time: number } {
  const d = new Date(seconds * 1000);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  return { date, time };
}

/**
 * The entry time: `mtime` clamped to what a DOS date holds. An explicit SOURCE_DATE_EPOCH out of
 * range is clamped with a warning (refusing it would stop a build whose environment sets one
 * for every tool, e.g. 0 or 1); the default (unset, 0) becomes 1980-01-01 silently.
 */
export function zipTime(mtime: number, explicit: boolean, warn: (message: string) => void): number {
  if (mtime >= ZIP_MIN_TIME && mtime <= ZIP_MAX_TIME) return mtime;
  const clamped = mtime < ZIP_MIN_TIME ? ZIP_MIN_TIME : ZIP_MAX_TIME;
  if (explicit) {
    const bound = mtime < ZIP_MIN_TIME ? 'before 1980-01-01, the earliest' : 'after 2107-12-31, the latest';
    const stamp = clamped === ZIP_MIN_TIME ? '1980-01-01 00:00:00' : '2107-12-31 23:59:58';
    warn(`SOURCE_DATE_EPOCH=${mtime} is ${bound} date a zip entry holds: entries are dated ${stamp} (UTC)`);
  }
  return clamped;
}

function u64(buf: Buffer, off: number, value: number): void {
  buf.writeUInt32LE(value % 0x100000000, off);
  buf.writeUInt32LE(Math.floor(value / 0x100000000), off + 4);
}

/** zlib's deflateBound for the default window and memLevel: the most deflate can produce. */
function deflateBound(size: number): number {
  return size + Math.floor(size / 4096) + Math.floor(size / 16384) + Math.floor(size / 33554432) + 13;
}

interface EntryRecord {
  readonly name: Buffer;
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly csize: number;
  readonly usize: number;
  readonly offset: number;
  readonly mode: number;
  /** Local header had a zip64 extra (sizes go to the central directory's extra too). */
  readonly zip64: boolean;
}

/** Appends records to a list of blocks (the central directory, written at the end). */
class BlockList {
  readonly blocks: Buffer[] = [];
  private block = Buffer.alloc(0);
  private used = 0;
  length = 0;

  /** A zeroed region of `n` bytes to fill in: [buffer, offset]. */
  reserve(n: number): [Buffer, number] {
    if (this.used + n > this.block.length) {
      if (this.used > 0) this.blocks.push(this.block.subarray(0, this.used));
      this.block = Buffer.alloc(Math.max(n, 64 << 10));
      this.used = 0;
    }
    const off = this.used;
    this.used += n;
    this.length += n;
    return [this.block, off];
  }

  done(): Buffer[] {
    if (this.used > 0) this.blocks.push(this.block.subarray(0, this.used));
    this.used = 0;
    this.block = Buffer.alloc(0);
    return this.blocks;
  }
}

export class ZipWriter {
  private readonly central = new BlockList();
  private count = 0;

  constructor(
    private readonly out: OutputTarget,
    private readonly date: { date: number; time: number },
  ) {}

  /** An entry whose bytes are all in `data` (valid until this returns). */
  addWhole(name: Buffer, mode: number, data: Buffer, level: number): void {
    const crc = zlib.crc32(data);
    let method = STORED;
    let body = data;
    if (level > 0 && data.length > 0) {
      const deflated = zlib.deflateRawSync(data, { level });
      if (deflated.length < data.length) {
        method = DEFLATED;
        body = deflated;
      }
    }
    const offset = this.out.length;
    this.local(name, 0, method, crc, body.length, data.length, false);
    this.out.write(body);
    this.record({ name, flags: this.flagsFor(name), method, crc, csize: body.length, usize: data.length, offset, mode, zip64: false });
  }

  /** Starts a streamed entry of exactly `size` bytes (the caller guarantees the count). */
  beginStream(name: Buffer, mode: number, size: number, level: number): StreamedEntry {
    const method = level > 0 ? DEFLATED : STORED;
    const zip64 = (method === DEFLATED ? deflateBound(size) : size) >= MAX32;
    const offset = this.out.length;
    this.local(name, FLAG_DESCRIPTOR, method, 0, 0, 0, zip64);
    return new StreamedEntry(this.out, level, (crc, csize) => {
      if (!zip64 && csize >= MAX32) throw new Error('internal: zip entry outgrew 4 GiB without zip64');
      const d = Buffer.alloc(zip64 ? 24 : 16);
      d.writeUInt32LE(SIG_DESCRIPTOR, 0);
      d.writeUInt32LE(crc, 4);
      if (zip64) {
        u64(d, 8, csize);
        u64(d, 16, size);
      } else {
        d.writeUInt32LE(csize, 8);
        d.writeUInt32LE(size, 12);
      }
      this.out.write(d);
      this.record({ name, flags: this.flagsFor(name) | FLAG_DESCRIPTOR, method, crc, csize, usize: size, offset, mode, zip64 });
    });
  }

  private flagsFor(name: Buffer): number {
    for (let i = 0; i < name.length; i++) if (name[i]! >= 0x80) return FLAG_UTF8;
    return 0;
  }

  private local(name: Buffer, flags: number, method: number, crc: number, csize: number, usize: number, zip64: boolean): void {
    const extra = zip64 ? 20 : 0;
    const h = Buffer.alloc(30 + name.length + extra);
    h.writeUInt32LE(SIG_LOCAL, 0);
    h.writeUInt16LE(zip64 ? NEEDS_ZIP64 : NEEDS_DEFAULT, 4);
    h.writeUInt16LE(flags | this.flagsFor(name), 6);
    h.writeUInt16LE(method, 8);
    h.writeUInt16LE(this.date.time, 10);
    h.writeUInt16LE(this.date.date, 12);
    h.writeUInt32LE(crc, 14);
    h.writeUInt32LE(zip64 ? MAX32 : csize, 18);
    h.writeUInt32LE(zip64 ? MAX32 : usize, 22);
    h.writeUInt16LE(name.length, 26);
    h.writeUInt16LE(extra, 28);
    name.copy(h, 30);
    if (zip64) {
      // Sizes follow in the data descriptor: zero here (APPNOTE 4.5.3).
      h.writeUInt16LE(ZIP64_EXTRA, 30 + name.length);
      h.writeUInt16LE(16, 32 + name.length);
    }
    this.out.write(h);
  }

  private record(e: EntryRecord): void {
    const bigOffset = e.offset >= MAX32;
    const extra = (e.zip64 ? 16 : 0) + (bigOffset ? 8 : 0);
    const extraLen = extra > 0 ? 4 + extra : 0;
    const [c, at] = this.central.reserve(46 + e.name.length + extraLen);
    c.writeUInt32LE(SIG_CENTRAL, at);
    c.writeUInt16LE(MADE_BY, at + 4);
    c.writeUInt16LE(extraLen > 0 ? NEEDS_ZIP64 : NEEDS_DEFAULT, at + 6);
    c.writeUInt16LE(e.flags, at + 8);
    c.writeUInt16LE(e.method, at + 10);
    c.writeUInt16LE(this.date.time, at + 12);
    c.writeUInt16LE(this.date.date, at + 14);
    c.writeUInt32LE(e.crc, at + 16);
    c.writeUInt32LE(e.zip64 ? MAX32 : e.csize, at + 20);
    c.writeUInt32LE(e.zip64 ? MAX32 : e.usize, at + 24);
    c.writeUInt16LE(e.name.length, at + 28);
    c.writeUInt16LE(extraLen, at + 30);
    // comment length, disk number, internal attributes: 0
    c.writeUInt32LE(((0o100000 | e.mode) << 16) >>> 0, at + 38);
    c.writeUInt32LE(bigOffset ? MAX32 : e.offset, at + 42);
    e.name.copy(c, at + 46);
    let x = at + 46 + e.name.length;
    if (extraLen > 0) {
      // Only the fields that hold 0xFFFFFFFF above, in this order (APPNOTE 4.5.3).
      c.writeUInt16LE(ZIP64_EXTRA, x);
      c.writeUInt16LE(extra, x + 2);
      x += 4;
      if (e.zip64) {
        u64(c, x, e.usize);
        u64(c, x + 8, e.csize);
        x += 16;
      }
      if (bigOffset) u64(c, x, e.offset);
    }
    this.count++;
  }

  /** The central directory and the end records. */
  finish(): void {
    const cdOffset = this.out.length;
    const cdSize = this.central.length;
    for (const block of this.central.done()) this.out.write(block);
    const count = this.count;
    const zip64 = count >= MAX16 || cdSize >= MAX32 || cdOffset >= MAX32;
    if (zip64) {
      const z = Buffer.alloc(56 + 20);
      const recordAt = this.out.length;
      z.writeUInt32LE(SIG_ZIP64_END, 0);
      u64(z, 4, 56 - 12);
      z.writeUInt16LE(MADE_BY, 12);
      z.writeUInt16LE(NEEDS_ZIP64, 14);
      // disk numbers (4 + 4 bytes): 0
      u64(z, 24, count);
      u64(z, 32, count);
      u64(z, 40, cdSize);
      u64(z, 48, cdOffset);
      z.writeUInt32LE(SIG_ZIP64_LOCATOR, 56);
      // disk with the zip64 end record: 0
      u64(z, 64, recordAt);
      z.writeUInt32LE(1, 72);
      this.out.write(z);
    }
    const e = Buffer.alloc(22);
    e.writeUInt32LE(SIG_END, 0);
    e.writeUInt16LE(Math.min(count, MAX16), 8);
    e.writeUInt16LE(Math.min(count, MAX16), 10);
    e.writeUInt32LE(Math.min(cdSize, MAX32), 12);
    e.writeUInt32LE(Math.min(cdOffset, MAX32), 16);
    this.out.write(e);
  }
}

/** The data of one streamed entry: CRC on the main thread, deflate on the thread pool. */
export class StreamedEntry {
  private crc = 0;
  private csize = 0;
  private error: Error | undefined;
  private waiting: (() => void) | undefined;
  private readonly pool: Buffer[] = [];
  private readonly deflate: zlib.DeflateRaw | undefined;

  constructor(
    private readonly out: OutputTarget,
    level: number,
    private readonly close: (crc: number, csize: number) => void,
  ) {
    if (level === 0) return;
    // zlib's default 16 KiB output chunks: 256 KiB ones made 3 x 120 MB take 1.6x as long here.
    // node passes stream options through to the Transform (not in @types/node's ZlibOptions).
    const options: zlib.ZlibOptions & { writableHighWaterMark: number } = { level, writableHighWaterMark: QUEUED };
    const deflate = zlib.createDeflateRaw(options);
    deflate.on('data', (chunk: Buffer) => {
      try {
        this.out.write(chunk);
        this.csize += chunk.length;
      } catch (error) {
        this.error ??= error as Error;
        deflate.destroy(this.error);
      }
      if (deflate.writableLength < QUEUED) this.wake();
    });
    deflate.on('drain', () => this.wake());
    deflate.on('error', (error) => {
      this.error ??= error;
      this.wake();
    });
    this.deflate = deflate;
  }

  /** Adds `chunk[0, end)`; a promise when the caller must wait before the next chunk. */
  write(chunk: Buffer, end: number): Promise<void> | undefined {
    const data = chunk.subarray(0, end);
    this.crc = zlib.crc32(data, this.crc);
    const deflate = this.deflate;
    if (deflate === undefined) {
      this.out.write(data);
      this.csize += end;
      return undefined;
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    // zlib keeps the bytes until it has compressed them and the reader reuses its buffer: copy
    // into one of a few buffers that come back when zlib is done (no 1 MiB allocation per chunk).
    const copy = end <= POOLED ? (this.pool.pop() ?? Buffer.allocUnsafe(POOLED)) : Buffer.allocUnsafe(end);
    data.copy(copy);
    deflate.write(copy.subarray(0, end), () => {
      if (copy.length === POOLED) this.pool.push(copy);
    });
    if (deflate.writableLength >= QUEUED) {
      // Wait for room, not for 'drain' (an empty queue): the pool never runs dry meanwhile.
      return new Promise<void>((resolve, reject) => {
        this.waiting = () => (this.error !== undefined ? reject(this.error) : resolve());
      });
    }
    // Let zlib's completions run (each starts the next job on the pool), then read on.
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  end(): Promise<void> | undefined {
    const deflate = this.deflate;
    if (deflate === undefined) {
      this.close(this.crc, this.csize);
      return undefined;
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    const ended = once(deflate, 'end');
    deflate.end();
    return ended.then(() => this.close(this.crc, this.csize));
  }
}

export function zipHandler(settings: Settings, out: OutputTarget, mtime: number): Handler {
  const explicit = (process.env.SOURCE_DATE_EPOCH ?? '').trim() !== '';
  const zip = new ZipWriter(out, dosDateTime(zipTime(mtime, explicit, settings.onWarning)));
  const level = settings.level;
  return {
    add(file: OpenedFile, feed: ChunkFeed): Added | Promise<Added> {
      const rel = file.entry.rel as Buffer | string;
      const problem = zipNameProblem(rel);
      if (problem !== undefined) return { skipped: problem };
      const name = typeof rel === 'string' ? Buffer.from(rel, 'utf8') : rel;
      const mode = entryMode(file.mode);
      const added = mode === 0o755 ? EXEC : PLAIN;
      const size = file.size;

      if (size <= WHOLE_MAX) {
        let data: Buffer | undefined;
        let got = 0;
        const gather = (chunk: Buffer, end: number): undefined => {
          // A complete head stays valid until the next file: no copy needed.
          if (file.complete && got === 0 && end === size) {
            data = chunk.subarray(0, end);
          } else {
            data ??= Buffer.allocUnsafe(size);
            chunk.copy(data, got, 0, end);
          }
          got += end;
          return undefined;
        };
        const write = (): undefined => {
          if (got < size) throw shrank(file);
          zip.addWhole(name, mode, data ?? Buffer.alloc(0), level);
          return undefined;
        };
        const pending = copyExactly(file, feed, settings, gather, write);
        return pending ? pending.then(() => added) : added;
      }

      const entry = zip.beginStream(name, mode, size, level);
      const pending = copyExactly(
        file,
        feed,
        settings,
        (chunk, end) => entry.write(chunk, end),
        () => entry.end(),
      );
      return pending ? pending.then(() => added) : added;
    },
    async finish(): Promise<void> {
      zip.finish();
    },
  };
}
