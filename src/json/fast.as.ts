// The scanner's fast path as a WebAssembly kernel (AssemblyScript, compiled by scripts/wasm.mjs;
// not part of the TypeScript build). It mirrors the `fast:` loop of JsonScanner.write in
// scan.ts exactly: inside an emitted value it consumes only whole tokens that are complete and
// valid within the chunk, and stops at the first byte it cannot handle, where the JS code takes
// over from the same state and reports any error. It never reports an error itself.
//
// Whitespace between tokens is skipped 16 bytes at a time, and the output is compacted here: the
// bytes from `span` up to the last whitespace run dropped, without the runs, are gathered at
// `dst`, so the JS side hands them to the sink in one call, not one per run (on Python's `", "`
// separators that was a call every ~8 bytes). The bytes after the last run stay where they are,
// as they would in the JS paths (which hand output on at each run): so every path has handed the
// sink the same bytes at every point, an error's included.
//
// Memory layout (fixed; the JS side grows the memory to fit the chunk and the output):
//   OUT    i32 results: state, depth, output length (-1: nothing dropped), newlines, index of
//          the last newline, end of the last whitespace run dropped
//   STACK  the nesting stack (1 = array, 2 = object), STACK_CAP bytes
//   CHUNK  the chunk's bytes, followed by at least 16 bytes of slack (16-byte loads); the
//          compacted output goes to `dst`, past the chunk, with 16 bytes of slack too
//          (16-byte stores)

const OUT: usize = 0x100;
const STACK: usize = 0x400;
const STACK_CAP: i32 = 0xc00;
const CHUNK: usize = 0x30000;

const S_VALUE = 2;
const S_ARR_FIRST = 3;
const S_OBJ_FIRST = 4;
const S_OBJ_KEY = 5;
const S_COLON = 6;
const S_AFTER = 7;
const ARRAY = 1;
const OBJECT = 2;

export const LAYOUT_OUT: i32 = <i32>OUT;
export const LAYOUT_STACK: i32 = <i32>STACK;
export const LAYOUT_STACK_CAP: i32 = STACK_CAP;
export const LAYOUT_CHUNK: i32 = <i32>CHUNK;

// @ts-ignore: decorator
@inline function at(i: i32): i32 {
  return <i32>load<u8>(CHUNK + <usize>i);
}

// @ts-ignore: decorator
@inline function isDigit(c: i32): bool {
  return <u32>(c - 0x30) < 10;
}

// @ts-ignore: decorator
@inline function isHex(c: i32): bool {
  return <u32>(c - 0x30) < 10 || <u32>((c | 0x20) - 0x61) < 6;
}

/** Index of the first non-digit at or after `i`; may be >= n (then nothing is known). */
// @ts-ignore: decorator
@inline function digitsEnd(i: i32, n: i32): i32 {
  // Most runs after a number's first digit are short (an exponent, a one-digit integer part).
  if (i >= n || !isDigit(at(i))) return i;
  const zero = i8x16.splat(0x30);
  const nine = i8x16.splat(9);
  while (true) {
    const v = v128.load(CHUNK + <usize>i);
    const m = i8x16.bitmask(i8x16.gt_u(i8x16.sub(v, zero), nine));
    if (m != 0) return i + ctz(m);
    i += 16;
    if (i >= n) return i;
  }
}

/** As stringEnd in scan.ts: index past the closing quote, or -1 (not complete and valid here). */
// @ts-ignore: decorator
@inline function stringEnd(i: i32, n: i32): i32 {
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  const space = i8x16.splat(0x20);
  while (i < n) {
    const v = v128.load(CHUNK + <usize>i);
    // '"', '\\', and (signed) below 0x20: control bytes and every byte >= 0x80.
    const m = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)), i8x16.lt_s(v, space)));
    if (m == 0) {
      i += 16;
      continue;
    }
    i += ctz(m);
    if (i >= n) return -1;
    const c = at(i);
    if (c == 0x22) return i + 1;
    if (c == 0x5c) {
      if (i + 1 >= n) return -1;
      const e = at(i + 1);
      if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
        i += 2;
        continue;
      }
      if (e != 0x75 || i + 5 >= n) return -1;
      if (!(isHex(at(i + 2)) && isHex(at(i + 3)) && isHex(at(i + 4)) && isHex(at(i + 5)))) return -1;
      i += 6;
      continue;
    }
    if (c < 0x20) return -1;
    // A UTF-8 sequence: the same ranges as STRING_CLASS / UTF8_LO / UTF8_HI in scan.ts.
    if (c < 0xc2 || c > 0xf4) return -1;
    const more = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
    if (i + more >= n) return -1;
    const lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    const hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    const c1 = at(i + 1);
    if (c1 < lo || c1 > hi) return -1;
    if (more > 1) {
      if ((at(i + 2) & 0xc0) != 0x80) return -1;
      if (more > 2 && (at(i + 3) & 0xc0) != 0x80) return -1;
    }
    i += more + 1;
  }
  return -1;
}

/** As numberEnd in scan.ts: index past the number, or -1 (invalid, or may go on past n). */
function numberEnd(i: i32, n: i32): i32 {
  if (at(i) == 0x2d) i++;
  if (i >= n) return -1;
  let c = at(i);
  if (c == 0x30) {
    if (++i >= n) return -1;
    c = at(i);
    if (isDigit(c)) return -1; // leading zero
  } else if (!isDigit(c)) return -1;
  let part = 0;
  while (true) {
    if (isDigit(c)) {
      i = digitsEnd(i + 1, n);
      if (i >= n) return -1;
      c = at(i);
    }
    if (c == 0x2e && part == 0) part = 1;
    else if ((c | 0x20) == 0x65 && part < 2) {
      part = 2;
      if (++i >= n) return -1;
      c = at(i);
      if (c != 0x2b && c != 0x2d) {
        if (!isDigit(c)) return -1;
        continue;
      }
    } else return i;
    // After '.' or an exponent sign: at least one digit.
    if (++i >= n) return -1;
    c = at(i);
    if (!isDigit(c)) return -1;
  }
}

/** Copy `len` bytes from `src` to `dst` (below it, or in another region), 16 at a time. */
// @ts-ignore: decorator
@inline function gather(dst: usize, src: usize, len: i32): void {
  if (len > 256) {
    memory.copy(dst, src, <usize>len);
    return;
  }
  // May read up to 15 bytes past the end (the chunk's slack) and write as many past dst + len
  // (the output's slack): never into bytes not yet scanned, as the output is its own region.
  for (let k = 0; k < len; k += 16) v128.store(dst + <usize>k, v128.load(src + <usize>k));
}

/**
 * Scan chunk bytes [j, n) from `state` at `depth` (stack at STACK); returns the index where it
 * stopped, and leaves state, depth, output length, newlines, the last newline and the new span
 * at OUT. The output is the bytes of [span, new span) with the dropped whitespace left out, at
 * `dst` (an address); its length is -1 when no whitespace was dropped (the span is unchanged).
 */
export function scan(n: i32, j: i32, state: i32, depth: i32, emitDepth: i32, span: i32, dst: usize): i32 {
  // Output: [span, pending) less the runs dropped, `w` bytes at dst (-1 while nothing was
  // dropped: nothing gathered at all). Bytes from `pending` on are not gathered yet.
  let pending = span;
  let w = -1;
  let newlines = 0;
  let lastNl = -1;
  const sp = i8x16.splat(0x20);
  const lf = i8x16.splat(0x0a);
  const cr = i8x16.splat(0x0d);
  const tab = i8x16.splat(0x09);
  let kind = <i32>load<u8>(STACK + <usize>(depth - 1));
  while (j < n) {
    let c = at(j);
    if (c <= 0x20) {
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      const start = j;
      // The run's end, 16 bytes at a time; newlines counted on the way (error positions).
      while (true) {
        const v = v128.load(CHUNK + <usize>j);
        const lfs = i8x16.eq(v, lf);
        const ws = v128.or(v128.or(i8x16.eq(v, sp), lfs), v128.or(i8x16.eq(v, cr), i8x16.eq(v, tab)));
        let stop = ~i8x16.bitmask(ws) & 0xffff;
        const left = n - j;
        if (left < 16) stop |= -1 << left; // bytes past the chunk end the run
        let nl = i8x16.bitmask(lfs);
        if (stop != 0) {
          const k = ctz(stop);
          nl &= (1 << k) - 1;
          if (nl != 0) {
            newlines += popcnt(nl);
            lastNl = j + 31 - clz(nl);
          }
          j += k;
          break;
        }
        if (nl != 0) {
          newlines += popcnt(nl);
          lastNl = j + 31 - clz(nl);
        }
        j += 16;
      }
      // Gather what came before the run.
      if (w < 0) w = 0;
      gather(dst + <usize>w, CHUNK + <usize>pending, start - pending);
      w += start - pending;
      pending = j;
      if (j >= n) break;
      c = at(j);
    }
    if (state == S_AFTER) {
      if (c == 0x2c) {
        j++;
        if (kind == ARRAY) {
          state = S_VALUE;
          continue;
        }
        state = S_OBJ_KEY;
        if (j >= n) break;
        c = at(j);
        if (c != 0x22) continue;
      } else {
        if (c != (kind == ARRAY ? 0x5d : 0x7d) || depth - 1 <= emitDepth) break;
        depth--;
        kind = <i32>load<u8>(STACK + <usize>(depth - 1));
        j++;
        continue;
      }
    }
    if (state == S_OBJ_KEY || state == S_OBJ_FIRST) {
      if (c != 0x22) {
        if (c != 0x7d || state != S_OBJ_FIRST || depth - 1 <= emitDepth) break;
        depth--;
        kind = <i32>load<u8>(STACK + <usize>(depth - 1));
        state = S_AFTER;
        j++;
        continue;
      }
      const k = stringEnd(j + 1, n);
      if (k < 0) break;
      j = k;
      if (j < n && at(j) == 0x3a) {
        j++;
        state = S_VALUE;
      } else state = S_COLON;
      continue;
    }
    if (state == S_COLON) {
      if (c != 0x3a) break;
      state = S_VALUE;
      j++;
      continue;
    }
    // S_VALUE, S_ARR_FIRST: a value.
    if (c == 0x22) {
      const k = stringEnd(j + 1, n);
      if (k < 0) break;
      j = k;
    } else if (c == 0x2d || isDigit(c)) {
      const k = numberEnd(j, n);
      if (k < 0) break;
      j = k;
    } else if (c == 0x7b || c == 0x5b) {
      if (depth == STACK_CAP) break;
      kind = c == 0x7b ? OBJECT : ARRAY;
      store<u8>(STACK + <usize>depth, <u8>kind);
      depth++;
      state = c == 0x7b ? S_OBJ_FIRST : S_ARR_FIRST;
      j++;
      continue;
    } else if (c == 0x5d && state == S_ARR_FIRST && depth - 1 > emitDepth) {
      depth--;
      kind = <i32>load<u8>(STACK + <usize>(depth - 1));
      j++;
    } else if (c == 0x74 && j + 3 < n && load<u32>(CHUNK + <usize>j) == 0x65757274) {
      j += 4; // true
    } else if (c == 0x6e && j + 3 < n && load<u32>(CHUNK + <usize>j) == 0x6c6c756e) {
      j += 4; // null
    } else if (c == 0x66 && j + 4 < n && load<u32>(CHUNK + <usize>j, 1) == 0x65736c61) {
      j += 5; // false
    } else break;
    state = S_AFTER;
  }
  store<i32>(OUT, state);
  store<i32>(OUT, depth, 4);
  store<i32>(OUT, w, 8);
  store<i32>(OUT, newlines, 12);
  store<i32>(OUT, lastNl, 16);
  store<i32>(OUT, pending, 20);
  return j;
}
