/**
 * A minimal, deterministic POSIX tar (ustar + PAX) writer.
 *
 * Only what the collect step needs: regular files with a name, a size and a mode. Every other
 * field is fixed so that the same files give the same bytes: mtime from the caller (the
 * SOURCE_DATE_EPOCH or 0), uid/gid 0, no user or group names, no device numbers.
 *
 * Layout of a 512-byte ustar header (POSIX.1-1988, pax format of POSIX.1-2001 on top):
 *
 *   off len field        off len field
 *     0 100 name         257   6 magic "ustar\0"
 *   100   8 mode         263   2 version "00"
 *   108   8 uid          265  32 uname
 *   116   8 gid          297  32 gname
 *   124  12 size         329   8 devmajor
 *   136  12 mtime        337   8 devminor
 *   148   8 chksum       345 155 prefix
 *   156   1 typeflag     500  12 (padding)
 *   157 100 linkname
 *
 * Names are byte strings. An ASCII name that fits name (100 bytes) or prefix/name (155 + 100,
 * split at a '/') goes there; so does a name that is not valid UTF-8, byte for byte, as GNU tar
 * stores one. A valid UTF-8 name that is not ASCII, or any name that does not fit, gets a PAX
 * extended header ('x') with a `path` record holding the exact bytes, as GNU tar 1.34 writes
 * it (no `hdrcharset=BINARY` record: GNU tar warns "Ignoring unknown extended header keyword"
 * on it, and extracts the raw bytes without it); a size of 8 GiB or
 * more (beyond 11 octal digits) gets a `size` record, and the ustar field holds it in GNU
 * base-256 so that readers without PAX support still skip the data correctly.
 */
import { quoteName } from '../quote.js';

import { isUtf8 } from 'node:buffer';

export const BLOCK = 512;
/** Largest value of an 11-digit octal field (8 GiB - 1). */
export const MAX_OCTAL_11 = 0o77777777777;

/** Zero bytes for padding and the trailer (never written to). */
export const ZEROS: Buffer = Buffer.alloc(2 * BLOCK);

export interface TarEntry {
  /** Entry name (exact bytes; a string is UTF-8): relative, '/'-separated, never '..' (`checkEntryName`). */
  readonly name: Buffer | string;
  readonly size: number;
  /** Permission bits, 0o644 or 0o755 here (any value up to 0o7777 is encoded). */
  readonly mode: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
}

/** Bytes of padding after `size` bytes of data, up to the next 512-byte boundary. */
export function paddingFor(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/** An absolute path, an empty or '..' segment, or a NUL: what must never name an entry. */
const UNSAFE_NAME = /^$|^\/|\/$|\/\/|(^|\/)\.\.(\/|$)|\0/;

/** Throws unless `name` is a safe relative entry name (what extraction would keep inside its root). */
export function checkEntryName(name: Buffer | string): void {
  // latin1: one character per byte, so the test sees the exact bytes.
  const text = typeof name === 'string' ? name : name.toString('latin1');
  if (UNSAFE_NAME.test(text)) throw new Error(`unsafe archive entry name: ${quoteName(name)}`);
}

function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** Writes `value` (< 8^(width-1)) as zero-padded octal in `width - 1` digits and a NUL. */
function octal(buf: Buffer, off: number, width: number, value: number): void {
  let v = value;
  buf[off + width - 1] = 0;
  for (let i = off + width - 2; i >= off; i--) {
    buf[i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
}

/** GNU base-256: 0x80 then the value big-endian in the remaining bytes (values < 2^53). */
function base256(buf: Buffer, off: number, width: number, value: number): void {
  buf.fill(0, off, off + width);
  buf[off] = 0x80;
  let v = value;
  for (let i = off + width - 1; i > off && v > 0; i--) {
    buf[i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** One PAX record: "<len> <key>=<value>\n", where len counts the whole record in bytes. */
export function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), typeof value === 'string' ? Buffer.from(value) : value, Buffer.from('\n')]);
  const bodyLen = body.length;
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** Cut a UTF-8 byte string to at most `max` bytes without splitting a character. */
function truncateUtf8(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** Where the name goes: ustar name/prefix split, or a PAX `path` record (split = null). */
function splitName(bytes: Buffer, raw: boolean): { prefix: Buffer; name: Buffer } | null {
  if (!raw) return null;
  if (bytes.length <= 100) return { prefix: bytes.subarray(0, 0), name: bytes };
  // prefix + '/' + name, prefix <= 155 bytes, name <= 100: take the first '/' that leaves a
  // name short enough (deterministic).
  for (let i = bytes.length - 101; i <= 155 && i < bytes.length - 1; i++) {
    if (i > 0 && bytes[i] === 0x2f) return { prefix: bytes.subarray(0, i), name: bytes.subarray(i + 1) };
  }
  return null;
}

/**
 * Encodes the header block(s) of entries, into a caller's buffer (`encodePlainInto`, the fast path:
 * no allocation for an ASCII name that fits) or a new one (`encode`).
 */
export class TarHeaderEncoder {
  /** Template holding the fields common to every entry. */
  private readonly template = Buffer.alloc(BLOCK);
  /** Sum of the template's bytes 156..511, which a plain header keeps as they are. */
  private readonly tailSum: number;

  constructor() {
    const t = this.template;
    octal(t, 108, 8, 0); // uid
    octal(t, 116, 8, 0); // gid
    t[156] = 0x30; // typeflag '0': regular file
    t.write('ustar\0', 257, 6, 'latin1');
    t.write('00', 263, 2, 'latin1');
    octal(t, 329, 8, 0); // devmajor
    octal(t, 337, 8, 0); // devminor
    let sum = 0;
    for (let i = 156; i < BLOCK; i++) sum += t[i]!;
    this.tailSum = sum;
  }

  /** Whether `entry` needs no PAX header and fits the ustar name field as is. */
  static plain(entry: TarEntry): boolean {
    const name = entry.name;
    const n = name.length;
    if (n > 100 || entry.size > MAX_OCTAL_11 || entry.mtime > MAX_OCTAL_11) return false;
    return typeof name === 'string' ? Buffer.byteLength(name) === n : isAscii(name);
  }

  /**
   * Writes the header of an entry that is `plain` (ASCII name of at most 100 bytes, ordinary
   * size and time) at `target[off..off+512)`.
   */
  encodePlainInto(entry: TarEntry, target: Buffer, off: number): void {
    this.template.copy(target, off);
    if (typeof entry.name === 'string') target.write(entry.name, off, 'latin1');
    else entry.name.copy(target, off);
    octal(target, off + 100, 8, entry.mode & 0o7777);
    octal(target, off + 124, 12, entry.size);
    octal(target, off + 136, 12, entry.mtime);
    checksum(target, off, this.tailSum);
  }

  /** The header bytes of any entry: one 512-byte block, or a PAX header (2+ blocks) and the block. */
  encode(entry: TarEntry): Buffer {
    if (TarHeaderEncoder.plain(entry)) {
      const h = Buffer.allocUnsafe(BLOCK);
      this.encodePlainInto(entry, h, 0);
      return h;
    }
    const bytes = typeof entry.name === 'string' ? Buffer.from(entry.name, 'utf8') : entry.name;
    const binary = !isUtf8(bytes);
    // ASCII and non-UTF-8 names go into the ustar fields as they are when they fit.
    const split = splitName(bytes, binary || isAscii(bytes));
    const bigSize = entry.size > MAX_OCTAL_11;
    const bigTime = entry.mtime > MAX_OCTAL_11;
    const records: Buffer[] = [];
    if (split === null) records.push(paxRecord('path', bytes));
    if (bigSize) records.push(paxRecord('size', String(entry.size)));
    if (bigTime) records.push(paxRecord('mtime', String(entry.mtime)));

    const h = Buffer.alloc(BLOCK);
    this.template.copy(h);
    if (split !== null) {
      split.name.copy(h, 0);
      split.prefix.copy(h, 345);
    } else {
      truncateUtf8(bytes, 100).copy(h, 0);
    }
    octal(h, 100, 8, entry.mode & 0o7777);
    if (bigSize) base256(h, 124, 12, entry.size);
    else octal(h, 124, 12, entry.size);
    octal(h, 136, 12, bigTime ? MAX_OCTAL_11 : entry.mtime);
    checksum(h, 0);
    if (records.length === 0) return h;

    const data = Buffer.concat(records);
    const x = Buffer.alloc(BLOCK);
    this.template.copy(x);
    const base = bytes.subarray(bytes.lastIndexOf(0x2f) + 1);
    truncateUtf8(Buffer.concat([Buffer.from('PaxHeaders/'), base]), 100).copy(x, 0);
    x[156] = 0x78; // 'x': extended header for the next entry
    octal(x, 100, 8, 0o644);
    octal(x, 124, 12, data.length);
    octal(x, 136, 12, bigTime ? MAX_OCTAL_11 : entry.mtime);
    checksum(x, 0);
    const pad = paddingFor(data.length);
    return Buffer.concat([x, data, ZEROS.subarray(0, pad), h], BLOCK + data.length + pad + BLOCK);
  }
}

/** Fills the chksum field of the header at `off`: the sum of its bytes, the field read as spaces. */
export function checksum(h: Buffer, off: number, tailSum?: number): void {
  h.fill(0x20, off + 148, off + 156);
  let sum = 0;
  // `tailSum`: the known sum of bytes 156..511 (the template's, for a plain header).
  const end = off + (tailSum === undefined ? BLOCK : 156);
  for (let i = off; i < end; i++) sum += h[i]!;
  sum += tailSum ?? 0;
  // Six octal digits, NUL, space (the form GNU tar and POSIX use).
  octal(h, off + 148, 7, sum);
  h[off + 155] = 0x20;
}

/** The end of an archive: two zero blocks. */
export const TRAILER_LENGTH = 2 * BLOCK;

/** Where the writer's bytes go (see byte-sink.ts). */
export interface TarSink {
  write(buf: Buffer, start: number, end: number): void;
}

/** Staging size: small entries are assembled here and handed on in one write. */
const STAGE = 256 << 10;
/** Data chunks at least this long bypass the staging buffer. */
const DIRECT = 64 << 10;

/**
 * Assembles a tar stream: headers are encoded in place in a staging buffer, small data and
 * padding are copied/zeroed next to them, so a small file costs one copy and no allocation.
 */
export class TarWriter {
  private readonly encoder = new TarHeaderEncoder();
  private stage = Buffer.allocUnsafe(STAGE);
  private used = 0;

  constructor(private readonly sink: TarSink) {}

  header(entry: TarEntry): void {
    if (TarHeaderEncoder.plain(entry)) {
      if (STAGE - this.used < BLOCK) this.flush();
      this.encoder.encodePlainInto(entry, this.stage, this.used);
      this.used += BLOCK;
    } else {
      const h = this.encoder.encode(entry);
      this.data(h, 0, h.length);
    }
  }

  data(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n >= DIRECT) {
      this.flush();
      this.sink.write(buf, start, end);
      return;
    }
    if (STAGE - this.used < n) this.flush();
    buf.copy(this.stage, this.used, start, end);
    this.used += n;
  }

  /** Zeros up to the next block boundary after `size` bytes of data. */
  pad(size: number): void {
    const n = paddingFor(size);
    if (n === 0) return;
    if (STAGE - this.used < n) this.flush();
    this.stage.fill(0, this.used, this.used + n);
    this.used += n;
  }

  /** The end-of-archive marker (then `flush`). */
  trailer(): void {
    if (STAGE - this.used < TRAILER_LENGTH) this.flush();
    this.stage.fill(0, this.used, this.used + TRAILER_LENGTH);
    this.used += TRAILER_LENGTH;
  }

  /** Hand the staged bytes to the sink (which copies them). */
  flush(): void {
    if (this.used === 0) return;
    this.sink.write(this.stage, 0, this.used);
    this.used = 0;
  }
}
