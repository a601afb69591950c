/**
 * The names `--expect-names` lists, held as bytes: the list's own buffer (or one packed buffer)
 * with start/end offsets, and a hash table of typed arrays over them, with no string or object
 * per name. Checking them against the matched files is one lookup per file, in run order: no
 * decoding, no sort, and objects only for the names that are missing or extra.
 *
 * (A merge walk of both lists in discovery's order would need the list sorted first: ~100 ms per
 * 100k names in natural order, 6-8% of a run over tiny files, unless it came sorted. Hashing
 * the bytes costs the same in any order. Every per-byte pass is one loop in one function: these
 * run once per process, mostly before the JIT has optimized anything.)
 */
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import { IoError, UsageError, errnoCode } from './errors.js';
import { PackedNames } from './names.js';
import { LONE_SURROGATE, quoteName } from './quote.js';

/** Packed names and an order of them: `order[k]` is the index of the k-th name. */
export interface OrderedNames {
  readonly names: PackedNames;
  readonly order: Uint32Array;
}

// FNV-1a, 32 bits.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const NUL = 'holds a NUL byte, which no file name can';
const NOT_RELATIVE = "is not a relative path as discovery reports it (no leading '/', no '.', '..' or empty components)";

/** The expected names, in the order the list gave them, each listed once. */
export class ExpectedNames {
  private readonly hashes: Uint32Array;
  /** Open addressing with linear probing: slot -> name index + 1 (0: empty). */
  private readonly slots: Uint32Array;

  /**
   * Name `i` is `bytes[starts[i]..ends[i])`. Throws a UsageError at the first name, in list
   * order, that discovery can never report or that is listed a second time.
   */
  constructor(
    private readonly bytes: Buffer,
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    readonly length: number,
    where: string,
  ) {
    let size = 16;
    while (size < length * 2) size *= 2;
    const slots = new Uint32Array(size);
    const mask = size - 1;
    const hashes = new Uint32Array(length);
    for (let i = 0; i < length; i++) {
      const start = starts[i]!;
      const end = ends[i]!;
      // One pass: the hash, a NUL byte, and no leading '/' nor empty, '.' or '..' component.
      let h = FNV_OFFSET;
      let nul = false;
      let relative = true;
      let component = start;
      for (let k = start; k <= end; k++) {
        const b = k < end ? bytes[k]! : 0x2f;
        if (b === 0x2f) {
          const n = k - component;
          if (n === 0 || (n <= 2 && bytes[component] === 0x2e && (n === 1 || bytes[component + 1] === 0x2e))) relative = false;
          component = k + 1;
        } else if (b === 0) {
          nul = true;
        }
        h = Math.imul(h ^ b, FNV_PRIME);
      }
      if (nul || !relative) throw new UsageError(`${where}: ${quoteName(bytes.subarray(start, end))} ${nul ? NUL : NOT_RELATIVE}`);
      h >>>= 0;
      hashes[i] = h;
      for (let s = h & mask; ; s = (s + 1) & mask) {
        const at = slots[s]!;
        if (at === 0) {
          slots[s] = i + 1;
          break;
        }
        if (hashes[at - 1] === h && sameBytes(bytes, starts[at - 1]!, ends[at - 1]!, bytes, start, end)) {
          throw new UsageError(`${where}: ${quoteName(bytes.subarray(start, end))} is listed twice`);
        }
      }
    }
    this.hashes = hashes;
    this.slots = slots;
  }

  /**
   * The expected names not in `matched` (in list order) and the matched names not expected
   * (in `matched.order`), as copies of their bytes.
   */
  difference(matched: OrderedNames): { missing: Buffer[]; extra: Buffer[] } {
    const { bytes, starts, ends, hashes, slots } = this;
    const mask = slots.length - 1;
    const { names, order } = matched;
    const buf = names.buffer;
    const offsets = names.offsets;
    const found = new Uint8Array(this.length);
    // Names are looked up in the order they lie in their buffer (the walk's), not in run order:
    // memory is read in sequence. Only extra ones are put in run order, afterwards.
    let unexpected: Uint8Array | undefined;
    let start = 0;
    for (let i = 0; i < names.length; i++) {
      const end = offsets[i]!;
      // The same hash as the constructor's (which also mixes in a final '/').
      let h = FNV_OFFSET;
      for (let b = start; b < end; b++) h = Math.imul(h ^ buf[b]!, FNV_PRIME);
      h = Math.imul(h ^ 0x2f, FNV_PRIME) >>> 0;
      let hit = -1;
      for (let s = h & mask; ; s = (s + 1) & mask) {
        const at = slots[s]!;
        if (at === 0) break;
        const j = at - 1;
        if (hashes[j] !== h) continue;
        const js = starts[j]!;
        if (ends[j]! - js !== end - start) continue;
        let d = 0;
        while (d < end - start && bytes[js + d] === buf[start + d]) d++;
        if (d === end - start) {
          hit = j;
          break;
        }
      }
      if (hit >= 0) found[hit] = 1;
      else (unexpected ??= new Uint8Array(names.length))[i] = 1;
      start = end;
    }
    const extra: Buffer[] = [];
    if (unexpected) for (const i of order) if (unexpected[i] === 1) extra.push(Buffer.from(names.name(i)));
    const missing: Buffer[] = [];
    for (let i = 0; i < found.length; i++) if (found[i] === 0) missing.push(Buffer.from(bytes.subarray(starts[i], ends[i])));
    return { missing, extra };
  }
}

function sameBytes(a: Buffer, as: number, ae: number, b: Buffer, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let k = 0; k < ae - as; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}

/**
 * Read the expected names from `file` (`-`: stdin), one of:
 *
 * - a JSON array whose elements are strings or `{ "path": ... }` / `{ "pathBase64": ... }`
 *   objects (the lists --manifest and --stats write);
 * - a manifest that --manifest wrote (an object with `entries`): the files its run matched, i.e.
 *   its entries and the skipped files marked `"matched": true`;
 * - one name per line (exact bytes, UTF-8 or not; a trailing CR is dropped, empty lines are
 *   ignored).
 *
 * JSON text must be UTF-8 (RFC 8259): a byte order mark before it is ignored, invalid UTF-8 in it
 * is refused (it would be read as U+FFFD and match another name).
 */
export function loadExpectedNames(file: string): ExpectedNames {
  let text: Buffer;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file);
  } catch (error) {
    const shown = file === '-' ? 'standard input' : quoteName(file);
    if (errnoCode(error) === 'ENOENT') throw new UsageError(`--expect-names ${shown}: no such file`);
    if (errnoCode(error) === 'EISDIR') throw new UsageError(`--expect-names ${shown}: is a directory, expected a file of names`);
    throw new IoError('read --expect-names', file === '-' ? 'standard input' : file, error);
  }
  const where = `--expect-names ${file === '-' ? 'standard input' : quoteName(file)}`;
  // UTF-16 (as some editors save): its NUL bytes would read as names no file can have.
  if (text.length >= 2 && ((text[0] === 0xff && text[1] === 0xfe) || (text[0] === 0xfe && text[1] === 0xff))) {
    throw new UsageError(`${where}: starts with a UTF-16 byte order mark; save the list as UTF-8 (a JSON array, or one name per line)`);
  }
  // A byte order mark says nothing about the names: dropped from either form.
  const bom = text.length >= 3 && text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf ? 3 : 0;
  if (/^\s*[[{]/.test(text.subarray(bom, bom + 64).toString('latin1'))) {
    return expectedNames(namesFromJson(text.subarray(bom), where, bom), where);
  }
  return namesFromLines(bom ? text.subarray(bom) : text, where);
}

/** Names given as strings (UTF-8) or bytes. */
export function expectedNames(list: Iterable<string | Buffer>, where = 'expectNames'): ExpectedNames {
  const names = new PackedNames();
  const none = Buffer.alloc(0);
  let i = 0;
  for (const name of list) {
    const at = names.push(none, name);
    // A lone surrogate has no UTF-8 form (it would be written as U+FFFD and match another name).
    if (typeof name === 'string' && names.end(at) - names.start(at) !== name.length && LONE_SURROGATE.test(name)) {
      throw new UsageError(
        `${where}: element ${i} ${JSON.stringify(name)} holds a lone UTF-16 surrogate, which no UTF-8 name can; give its bytes as {"pathBase64": ...}`,
      );
    }
    i++;
  }
  const ends = names.offsets.subarray(0, names.length);
  const starts = new Uint32Array(names.length);
  if (names.length > 0) starts.set(ends.subarray(0, names.length - 1), 1);
  return new ExpectedNames(names.buffer, starts, ends, names.length, where);
}

/** One name per line, as the bytes of `text` itself: a trailing CR is dropped, empty lines are ignored. */
function namesFromLines(text: Buffer, where: string): ExpectedNames {
  let starts: Uint32Array = new Uint32Array(1024);
  let ends: Uint32Array = new Uint32Array(1024);
  let n = 0;
  let start = 0;
  // String#indexOf is a builtin; Buffer#indexOf a call into C++ per line (~10x the cost).
  const chars = text.toString('latin1');
  while (start < text.length) {
    let end = chars.indexOf('\n', start);
    if (end < 0) end = text.length;
    let last = end;
    if (last > start && text[last - 1] === 0x0d) last--;
    if (last > start) {
      if (n === starts.length) {
        starts = grow(starts);
        ends = grow(ends);
      }
      starts[n] = start;
      ends[n++] = last;
    }
    start = end + 1;
  }
  return new ExpectedNames(text, starts, ends, n, where);
}

function grow(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

function namesFromJson(text: Buffer, where: string, skipped: number): (string | Buffer)[] {
  if (!isUtf8(text)) {
    throw new UsageError(
      `${where}: not valid UTF-8 at byte ${skipped + firstInvalidUtf8(text)}, and JSON text is UTF-8; ` +
        'give a name that is not UTF-8 as {"pathBase64": ...}, or list the names one per line',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch (error) {
    throw new UsageError(`${where}: not valid JSON (${(error as Error).message}); give a JSON array of paths, a manifest, or one path per line`);
  }
  let list: unknown = parsed;
  let matchedSkips: unknown[] = [];
  if (isManifest(parsed)) {
    list = parsed.entries;
    if (Array.isArray(parsed.skipped))
      matchedSkips = parsed.skipped.filter((s) => s !== null && typeof s === 'object' && (s as { matched?: unknown }).matched === true);
  } else if (!Array.isArray(parsed)) {
    throw new UsageError(`${where}: expected a JSON array of paths, or a manifest (an object with "entries")`);
  }
  if (!Array.isArray(list)) throw new UsageError(`${where}: the manifest's "entries" is not an array`);
  const what = list === parsed ? 'element' : 'entry';
  const names = list.map((item, i) => pathOf(item, `${where}: ${what} ${i}`));
  for (let i = 0; i < matchedSkips.length; i++) names.push(pathOf(matchedSkips[i], `${where}: skipped file ${i}`));
  return names;
}

function isManifest(v: unknown): v is { entries: unknown; skipped?: unknown } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && 'entries' in v;
}

function pathOf(item: unknown, what: string): string | Buffer {
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object') {
    const o = item as { path?: unknown; pathBase64?: unknown };
    if (typeof o.pathBase64 === 'string') {
      // Buffer.from skips what is not base64: a typo would name another file.
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(o.pathBase64)) {
        throw new UsageError(`${what}: "pathBase64" ${JSON.stringify(o.pathBase64)} is not base64`);
      }
      return Buffer.from(o.pathBase64, 'base64');
    }
    if (typeof o.path === 'string') return o.path;
  }
  throw new UsageError(`${what} is not a path (a string, or an object with "path" or "pathBase64")`);
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence (for messages only). */
export function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > b.length || !isUtf8(b.subarray(i, i + n))) return i;
    i += n;
  }
  return b.length;
}
