/**
 * Orderings of relative paths. Every comparator ends in byte order so the result is total and
 * deterministic whatever order the file system lists entries in.
 */

/** Maps UTF-16 code units so that comparing them gives code point (= UTF-8 byte) order. */
function unit(c: number): number {
  if (c >= 0xd800 && c <= 0xdfff) return c + 0x2000;
  if (c >= 0xe000) return c - 0x800;
  return c;
}

/** Byte order of the UTF-8 encodings, without encoding. */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unit(x) - unit(y);
  }
  return a.length - b.length;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Natural order: runs of digits compare as numbers (`part-2` before `part-10`), everything else
 * by code point; equal-looking names (`a01` vs `a1`) fall back to byte order.
 */
export function compareNatural(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(j);
    if (isDigit(x) && isDigit(y)) {
      // Skip leading zeros, then the longer run is the larger number.
      let si = i;
      let sj = j;
      while (si < a.length && a.charCodeAt(si) === 0x30) si++;
      while (sj < b.length && b.charCodeAt(sj) === 0x30) sj++;
      let ei = si;
      let ej = sj;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      const len = ei - si - (ej - sj);
      if (len !== 0) return len;
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (x !== y) return unit(x) - unit(y);
    i++;
    j++;
  }
  if (i < a.length || j < b.length) return a.length - i - (b.length - j);
  return compareBytes(a, b);
}

/*
 * The same orders on byte strings held in one buffer (the packed listing, see names.ts): names
 * are compared where they lie, without a string or a slice per comparison. On UTF-8 names they
 * give exactly the string orders above (UTF-8 byte order is code point order, digits are ASCII);
 * other names order by their bytes.
 */

/** Byte order of `buf[as..ae)` and `buf[bs..be)`. */
export function compareBytesAt(buf: Buffer, as: number, ae: number, bs: number, be: number): number {
  // Buffer#compare(target, targetStart, targetEnd, sourceStart, sourceEnd) compares source to target.
  return buf.compare(buf, bs, be, as, ae);
}

/** Natural order of `buf[as..ae)` and `buf[bs..be)`, ties in byte order (as `compareNatural`). */
export function compareNaturalAt(buf: Buffer, as: number, ae: number, bs: number, be: number): number {
  let i = as;
  let j = bs;
  while (i < ae && j < be) {
    const x = buf[i]!;
    const y = buf[j]!;
    if (isDigit(x) && isDigit(y)) {
      let si = i;
      let sj = j;
      while (si < ae && buf[si] === 0x30) si++;
      while (sj < be && buf[sj] === 0x30) sj++;
      let ei = si;
      let ej = sj;
      while (ei < ae && isDigit(buf[ei]!)) ei++;
      while (ej < be && isDigit(buf[ej]!)) ej++;
      const len = ei - si - (ej - sj);
      if (len !== 0) return len;
      for (let k = 0; k < ei - si; k++) {
        const d = buf[si + k]! - buf[sj + k]!;
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (x !== y) return x - y;
    i++;
    j++;
  }
  if (i < ae || j < be) return ae - i - (be - j);
  return compareBytesAt(buf, as, ae, bs, be);
}

/*
 * Sorting a packed listing without a JS comparator per pair. V8 runs a comparator called from
 * `Uint32Array#sort` unoptimised for most of a one-shot sort (~140k calls for 10k names), so
 * instead every name is read as a stream of sort-key bytes whose plain byte order is the order
 * above before its byte-order tie-break:
 *
 * - a byte that is not an ASCII digit stands for itself;
 * - a maximal run of digits becomes '0' (any digit byte compares with any other byte the way
 *   every digit does), the length of the run without its leading zeros (one byte below 255, else
 *   255 and four bytes big-endian: longer runs compare higher, equal lengths stay aligned), then
 *   those digits (equal lengths compare as numbers);
 * - after the name's end come zero bytes, below any byte a name continues with at that point
 *   (a new token starts there, and names hold no NUL: listings with one take the comparator).
 *
 * An MSD radix sort on that stream: each round takes the next 4-7 key bytes of every name in a
 * group, packs them with the name's index into a 64-bit integer (a BigUint64Array, written
 * through an Int32Array view: no BigInt is made) and sorts those natively (no JS per
 * comparison); runs of equal bytes become the next groups. A group whose names all ended
 * compares equal and falls back to byte order, then index order (what the stable comparator
 * sort gives). Each name keeps only a cursor and a phase between rounds: ~13 bytes per name
 * while sorting, no key is stored.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Int32 slots of the high and low halves of element p of a BigUint64Array: 2p + HI, 2p + LO. */
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/** Where a name's key stream stands: at a token start, in a digit run's length field (1-5), in its digits. */
const AT_TOKEN = 0;
const IN_DIGITS = 6;

/** The sort in progress (one object, not closures: the functions below run hot while still cold). */
interface KeySort {
  readonly buf: Uint8Array;
  readonly ends: Uint32Array;
  readonly natural: boolean;
  /** Per name: the next byte of the name its key stream reads, and the phase (above). */
  readonly cur: Uint32Array;
  readonly phase: Uint8Array;
  /** The values being sorted, as Int32 halves (see HI, LO). */
  readonly words: Int32Array;
  /** Bits of the name's index in the low half; key bytes per round: 4 in the high half, `chunk - 4` above the index. */
  readonly idxBits: number;
  readonly chunk: number;
}

/**
 * Packs the next `chunk` key bytes of every name in order[s..e) with its index into `words`,
 * advancing each name's key stream; returns whether all those chunks are equal.
 */
function fillGroup(k: KeySort, order: Uint32Array, s: number, e: number): boolean {
  const { buf, ends, cur, phase, words, natural, chunk, idxBits } = k;
  let same = true;
  let hi0 = 0;
  let lo0 = 0;
  for (let p = s; p < e; p++) {
    const i = order[p]!;
    const end = ends[i]!;
    let c = cur[i]!;
    let q = phase[i]!;
    let hi = 0;
    let lo = 0;
    for (let n = 0; n < chunk;) {
      let b = 0; // past the name's end
      if (q === AT_TOKEN) {
        if (c < end) {
          b = buf[c]!;
          if (natural && b >= 0x30 && b <= 0x39) {
            while (c < end && buf[c] === 0x30) c++;
            b = 0x30;
            q = 1;
          } else c++;
        }
      } else if (q === IN_DIGITS) {
        if (c < end && buf[c]! >= 0x30 && buf[c]! <= 0x39) b = buf[c++]!;
        else {
          q = AT_TOKEN;
          continue;
        }
      } else {
        // The length field: c is at the run's first significant digit.
        let r = c;
        while (r < end && buf[r]! >= 0x30 && buf[r]! <= 0x39) r++;
        const len = r - c;
        if (len < 255) {
          b = len;
          q = IN_DIGITS;
        } else {
          b = q === 1 ? 255 : (len >>> (8 * (5 - q))) & 255;
          q = q === 5 ? IN_DIGITS : q + 1;
        }
      }
      if (n < 4) hi = (hi << 8) | b;
      else lo = (lo << 8) | b;
      n++;
    }
    cur[i] = c;
    phase[i] = q;
    if (p === s) {
      hi0 = hi;
      lo0 = lo;
    } else if (hi !== hi0 || lo !== lo0) same = false;
    words[2 * p + HI] = hi;
    words[2 * p + LO] = (lo << idxBits) | i;
  }
  return same;
}

/** After the native sort of order[s..e)'s values: the indices back into `order`, runs of equal chunks onto `groups`. */
function splitGroup(k: KeySort, order: Uint32Array, s: number, e: number, groups: number[]): void {
  const { words, idxBits } = k;
  const mask = 2 ** idxBits - 1;
  let g = s;
  let ghi = words[2 * s + HI]!;
  let glo = words[2 * s + LO]! >>> idxBits;
  for (let p = s; p < e; p++) {
    const lo = words[2 * p + LO]!;
    order[p] = lo & mask;
    const hi = words[2 * p + HI]!;
    const clo = lo >>> idxBits;
    if (hi !== ghi || clo !== glo) {
      if (p - g > 1) groups.push(g, p);
      g = p;
      ghi = hi;
      glo = clo;
    }
  }
  if (e - g > 1) groups.push(g, e);
}

let warm = false;

/**
 * The indices 0..n-1 of the names `buf[ends[i-1]..ends[i])` (the first from 0) in natural order
 * (`natural`) or byte order, ties in index order: the order `Uint32Array#sort` gives with
 * `compareNaturalAt` or `compareBytesAt`, computed without calling a comparator per pair.
 * `minIdxBits` (tests) reserves more index bits, so fewer key bytes per round, as in a longer list.
 */
export function sortNamesAt(buf: Buffer, ends: Uint32Array, n: number, natural: boolean, minIdxBits = 1): Uint32Array {
  if (!warm && n >= 1000) warmUp();
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  const at =
    (cmp: typeof compareBytesAt) =>
    (a: number, b: number): number =>
      cmp(buf, a === 0 ? 0 : ends[a - 1]!, ends[a]!, b === 0 ? 0 : ends[b - 1]!, ends[b]!);
  // A NUL byte would read as the padding after a name's end (see above): the comparator then.
  if (n >= 2 ** 31 || buf.subarray(0, ends[n - 1]).indexOf(0) >= 0) return order.sort(at(natural ? compareNaturalAt : compareBytesAt));
  const bytesThenIndex = at(compareBytesAt);
  const byIndex = (a: number, b: number): number => bytesThenIndex(a, b) || a - b;

  let idxBits = Math.min(Math.max(minIdxBits, 1), 31);
  while (2 ** idxBits < n) idxBits++;
  const values = new BigUint64Array(n);
  const cur = new Uint32Array(n);
  cur.set(ends.subarray(0, n - 1), 1);
  const k: KeySort = { buf, ends, natural, cur, phase: new Uint8Array(n), words: new Int32Array(values.buffer), idxBits, chunk: 4 + ((32 - idxBits) >> 3) };
  const groups = [0, n];
  while (groups.length > 0) {
    const e = groups.pop()!;
    const s = groups.pop()!;
    // The names of a group agree on their keys so far. If one had ended, all have when the next
    // chunks agree too (a name that goes on has a non-zero byte where the ended one has padding).
    const first = order[s]!;
    const ended = cur[first]! >= ends[first]! && (k.phase[first] === AT_TOKEN || k.phase[first] === IN_DIGITS);
    if (fillGroup(k, order, s, e)) {
      if (ended) order.subarray(s, e).sort(byIndex);
      else groups.push(s, e);
      continue;
    }
    values.subarray(s, e).sort();
    splitGroup(k, order, s, e, groups);
  }
  return order;
}

/**
 * Runs the sort once on a few names that take every branch: V8 then has type feedback for all
 * of them when it optimises fillGroup in the middle of the first real sort, which otherwise
 * deoptimises on the first branch it had not seen (a cold sort of 10k names, medians: 24.6 ->
 * 14.6 ms on Node 24, 26.6 -> 20.4 on Node 20; bench/README.md).
 */
function warmUp(): void {
  warm = true;
  const names = ['a1', 'a01', 'b' + '7'.repeat(260), 'a', 'ab/c', 'a10b', 'a10', 'x0', 'x00', 'x', 'x1y', 'zz9', ''];
  const buf = Buffer.from(names.join(''), 'latin1');
  const ends = new Uint32Array(names.length);
  let end = 0;
  names.forEach((name, i) => (ends[i] = end += name.length));
  sortNamesAt(buf, ends, names.length, true);
  sortNamesAt(buf, ends, names.length, false);
}
