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
  if (i < a.length || j < b.length) return (a.length - i) - (b.length - j);
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
