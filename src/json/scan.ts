/**
 * A streaming, strict RFC 8259 scanner over bytes.
 *
 * It validates a sequence of whitespace-separated JSON values (the `jq -s` input model) chunk by
 * chunk, and hands the bytes of each top-level value (or, with `flatten`, of each element of each
 * top-level array) to a sink, with insignificant whitespace dropped. Values are never decoded:
 * numbers, escapes and key order are copied byte for byte, so nothing is rounded or reordered.
 *
 * Why hand-written: this is the hot path. stream-json's verifier ran at ~40 MB/s here, JSON.parse
 * cannot hold a 600 MB string; see docs/design.md for the measurements. The nesting stack is
 * a byte array, not the call stack, so depth is limited only by memory (one byte per level).
 *
 * Chunks of 64 KiB or more run the fast path (whole tokens inside an emitted value) in a
 * WebAssembly SIMD kernel (fast.as.ts, loaded by fast.ts) that keeps the JS fast path's contract.
 *
 * Tested against the whole JSONTestSuite corpus and differentially against JSON.parse and
 * stream-json on generated inputs, and its three paths (wasm, JS fast path, bytewise) against
 * each other (test/unit/scan*.test.js).
 */

import { formatPosition } from '../errors.js';
import { type FastKernel, WASM_MAX, WASM_MIN, fastKernel } from './fast.js';

/** Receives the compacted bytes of each emitted value. */
export interface ValueSink {
  /** A new value starts. */
  begin(): void;
  /** Bytes of the current value; `buf` (the chunk, or the WebAssembly kernel's memory) is only valid during the call. */
  bytes(buf: Buffer, start: number, end: number): void;
  /** The current value is complete. */
  end(): void;
}

export class JsonSyntaxError extends Error {
  constructor(
    readonly reason: string,
    /** 0-based byte offset in the fragment. */
    readonly offset: number,
    /** 1-based line. */
    readonly line: number,
    /** 1-based column, in bytes. */
    readonly column: number,
  ) {
    super(`${reason} at ${formatPosition({ line, column, offset })}`);
    this.name = 'JsonSyntaxError';
  }
}

// States. Grouped so that the value-expecting states are easy to see.
const S_TOP = 0; // between top-level values
const S_TOP_AFTER_SCALAR = 1; // after a top-level number or literal: needs whitespace or EOF
const S_VALUE = 2; // after ',' in an array or ':' in an object
const S_ARR_FIRST = 3; // after '['
const S_OBJ_FIRST = 4; // after '{'
const S_OBJ_KEY = 5; // after ',' in an object
const S_COLON = 6; // after a key
const S_AFTER = 7; // after a value inside a container
const S_STR = 8;
const S_STR_ESC = 9;
const S_STR_U = 10;
const S_STR_UTF8 = 11;
const S_NUM_MINUS = 12;
const S_NUM_ZERO = 13;
const S_NUM_INT = 14;
const S_NUM_DOT = 15;
const S_NUM_FRAC = 16;
const S_NUM_E = 17;
const S_NUM_ESIGN = 18;
const S_NUM_EXP = 19;
const S_LIT = 20;
const S_BOM = 21;

const ARRAY = 1;
const OBJECT = 2;

// Byte classes inside a string.
const C_PLAIN = 0;
const C_QUOTE = 1;
const C_BACKSLASH = 2;
const C_CONTROL = 3;
const C_BAD = 4; // never valid in UTF-8 as a first byte
const C_U2 = 5; // C2..DF
const C_E0 = 6;
const C_U3 = 7; // E1..EC, EE..EF
const C_ED = 8;
const C_F0 = 9;
const C_U4 = 10; // F1..F3
const C_F4 = 11;

const STRING_CLASS = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 0x20; b++) t[b] = C_CONTROL;
  t[0x22] = C_QUOTE;
  t[0x5c] = C_BACKSLASH;
  for (let b = 0x80; b < 0xc2; b++) t[b] = C_BAD;
  for (let b = 0xc2; b < 0xe0; b++) t[b] = C_U2;
  t[0xe0] = C_E0;
  for (let b = 0xe1; b < 0xf0; b++) t[b] = C_U3;
  t[0xed] = C_ED;
  t[0xf0] = C_F0;
  t[0xf1] = C_U4;
  t[0xf2] = C_U4;
  t[0xf3] = C_U4;
  t[0xf4] = C_F4;
  for (let b = 0xf5; b < 0x100; b++) t[b] = C_BAD;
  return t;
})();

const IS_HEX = (() => {
  const t = new Uint8Array(256);
  for (const c of '0123456789abcdefABCDEF') t[c.charCodeAt(0)] = 1;
  return t;
})();

const LIT_TRUE = Buffer.from('true');
const LIT_FALSE = Buffer.from('false');
const LIT_NULL = Buffer.from('null');

export interface ScannerOptions {
  /** Emit the elements of each top-level array instead of the array; a non-array is an error. */
  readonly flatten?: boolean;
  /** Scan byte by byte only (no whole-token fast path): the reference the fast path is tested against. */
  readonly bytewise?: boolean;
  /**
   * Run the fast path of big chunks in WebAssembly (default true; false: the JS fast path only,
   * which the WebAssembly one is tested against).
   */
  readonly wasm?: boolean;
  /** Chunks at least this long take the WebAssembly fast path (internal: tests lower it). */
  readonly wasmMin?: number;
}

export class JsonScanner {
  private state = S_TOP;
  private depth = 0;
  private stack = new Uint8Array(64);
  /** Whether the string being scanned is an object key. */
  private strIsKey = false;
  /** Remaining hex digits of a \u escape. */
  private hexLeft = 0;
  /** Remaining continuation bytes of a UTF-8 sequence, and the bounds of the next one. */
  private utf8Left = 0;
  private utf8Lo = 0x80;
  private utf8Hi = 0xbf;
  private lit: Buffer = LIT_TRUE;
  private litIdx = 0;
  /** Whether bytes are currently being handed to the sink. */
  private emitting = false;
  /** Absolute offset of the current chunk's first byte. */
  private base = 0;
  private line = 1;
  private lineStart = 0;
  private readonly emitDepth: number;
  private readonly flatten: boolean;
  /** Depth above which the fast path runs (inside an emitted value); never reached when bytewise. */
  private readonly fastDepth: number;
  /** The WebAssembly fast path: undefined until a chunk is big enough, null when not used. */
  private kernel: FastKernel | null | undefined;
  private readonly wasmMin: number;
  /** Number of values handed to the sink. */
  values = 0;

  constructor(
    private readonly sink: ValueSink,
    options: ScannerOptions = {},
  ) {
    this.flatten = options.flatten === true;
    this.emitDepth = this.flatten ? 1 : 0;
    this.fastDepth = options.bytewise === true ? Infinity : this.emitDepth;
    if (options.bytewise === true || options.wasm === false) this.kernel = null;
    this.wasmMin = options.wasmMin ?? WASM_MIN;
  }

  /** Start over for the next fragment (the nesting stack is kept for reuse). */
  reset(): void {
    this.state = S_TOP;
    this.depth = 0;
    this.emitting = false;
    this.base = 0;
    this.line = 1;
    this.lineStart = 0;
    this.values = 0;
  }

  /** Bytes scanned so far. */
  get offset(): number {
    return this.base;
  }

  /** Scan the next chunk. Throws JsonSyntaxError at the first invalid byte. */
  write(buf: Buffer): void {
    const n = buf.length;
    let kernel = null;
    if (n >= this.wasmMin && n <= WASM_MAX) kernel = this.kernel === undefined ? (this.kernel = fastKernel()) : this.kernel;
    // The kernel is one per process: a scan started from a sink call (nested) keeps to JS.
    if (kernel === null || kernel.busy) {
      this.scan(buf, null);
      return;
    }
    kernel.busy = true;
    try {
      this.scan(buf, kernel);
    } finally {
      kernel.busy = false;
    }
  }

  private scan(buf: Buffer, kernel: FastKernel | null): void {
    // Hot loop: state lives in locals and is saved back at the end (or before a slow call).
    const n = buf.length;
    const sink = this.sink;
    const emitDepth = this.emitDepth;
    const fastDepth = this.fastDepth;
    let i = 0;
    // eslint-disable-next-line no-useless-assignment -- a number from the start, for the JIT's sake in the hot loop
    let c = 0;
    let state = this.state;
    let depth = this.depth;
    let emitting = this.emitting;
    // Start of the output span not yet handed to the sink, or -1. Inside an emitted value a new
    // chunk starts a span (leading whitespace, if any, closes it again at once).
    let span = emitting ? 0 : -1;
    // Whether the chunk's bytes are in the kernel's memory yet (copied on first use).
    let loaded = false;

    while (i < n) {
      if (kernel !== null && depth > fastDepth && state <= S_AFTER && depth < kernel.stackCap) {
        // The same fast path in WebAssembly (see fast.as.ts): it stops where the loop below would,
        // and gathers the output from the span to the end of the last whitespace run it dropped,
        // which goes to the sink in one call (the loop below makes one per run).
        if (!loaded) {
          kernel.load(buf);
          loaded = true;
        }
        const bytes = kernel.bytes;
        const stack = this.stack;
        for (let d = 0, at = kernel.stack; d < depth; d++) bytes[at + d] = stack[d]!;
        const j = kernel.scan(n, i, state, depth, emitDepth, span, kernel.dst);
        const words = kernel.words;
        const out = kernel.out;
        state = words[out]!;
        const newDepth = words[out + 1]!;
        const length = words[out + 2]!;
        if (length >= 0) {
          if (length > 0) sink.bytes(bytes, kernel.dst, kernel.dst + length);
          span = words[out + 5]!;
        }
        const newlines = words[out + 3]!;
        if (newlines > 0) {
          this.line += newlines;
          this.lineStart = this.base + words[out + 4]! + 1;
        }
        while (newDepth > this.stack.length) this.grow();
        const grown = this.stack;
        for (let d = 0, at = kernel.stack; d < newDepth; d++) grown[d] = bytes[at + d]!;
        depth = newDepth;
        i = j;
        if (i >= n) break;
      } else if (depth > fastDepth && state <= S_AFTER) {
        // Fast path inside an emitted value: whole tokens at a time. It only consumes tokens that
        // are complete and valid within this chunk; anything else (a token cut by the chunk end,
        // an error, the end of the emitted value) stops it at the token's first byte, where the
        // byte-at-a-time code below takes over from the same state (and reports any error).
        let j = i;
        const stack = this.stack;
        let kind = stack[depth - 1]!;
        // eslint-disable-next-line no-unused-labels -- the loop the WebAssembly kernel mirrors, named so in fast.as.ts and the docs
        fast: while (j < n) {
          c = buf[j]!;
          if (c <= 0x20) {
            if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
            if (span < j) sink.bytes(buf, span, j);
            j = this.skipWhitespace(buf, j, n);
            span = j;
            if (j >= n) break;
            c = buf[j]!;
          }
          if (state === S_AFTER) {
            if (c === 0x2c) {
              j++;
              if (kind === ARRAY) {
                state = S_VALUE;
                continue;
              }
              state = S_OBJ_KEY;
              if (j >= n) break;
              c = buf[j]!;
              if (c !== 0x22) continue; // whitespace (or an error) before the key
            } else {
              if (c !== (kind === ARRAY ? 0x5d : 0x7d) || depth - 1 <= emitDepth) break;
              depth--;
              kind = stack[depth - 1]!;
              j++;
              continue;
            }
          }
          if (state === S_OBJ_KEY || state === S_OBJ_FIRST) {
            // A key, and the ':' after it when it follows at once.
            if (c !== 0x22) {
              if (c !== 0x7d || state !== S_OBJ_FIRST || depth - 1 <= emitDepth) break;
              depth--;
              kind = stack[depth - 1]!;
              state = S_AFTER;
              j++;
              continue;
            }
            const k = stringEnd(buf, j + 1, n);
            if (k < 0) break;
            j = k;
            if (j < n && buf[j] === 0x3a) {
              j++;
              state = S_VALUE;
            } else state = S_COLON;
            continue;
          }
          if (state === S_COLON) {
            if (c !== 0x3a) break;
            state = S_VALUE;
            j++;
            continue;
          }
          // S_VALUE, S_ARR_FIRST: a value.
          if (c === 0x22) {
            const k = stringEnd(buf, j + 1, n);
            if (k < 0) break;
            j = k;
          } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
            const k = numberEnd(buf, j, n);
            if (k < 0) break;
            j = k;
          } else if (c === 0x7b || c === 0x5b) {
            if (depth === stack.length) break; // the byte-at-a-time code grows the stack
            kind = c === 0x7b ? OBJECT : ARRAY;
            stack[depth++] = kind;
            state = c === 0x7b ? S_OBJ_FIRST : S_ARR_FIRST;
            j++;
            continue;
          } else if (c === 0x5d && state === S_ARR_FIRST && depth - 1 > emitDepth) {
            depth--;
            kind = stack[depth - 1]!;
            j++;
          } else if (c === 0x74 && j + 3 < n && buf[j + 1] === 0x72 && buf[j + 2] === 0x75 && buf[j + 3] === 0x65) {
            j += 4;
          } else if (c === 0x6e && j + 3 < n && buf[j + 1] === 0x75 && buf[j + 2] === 0x6c && buf[j + 3] === 0x6c) {
            j += 4;
          } else if (c === 0x66 && j + 4 < n && buf[j + 1] === 0x61 && buf[j + 2] === 0x6c && buf[j + 3] === 0x73 && buf[j + 4] === 0x65) {
            j += 5;
          } else break;
          state = S_AFTER;
        }
        i = j;
        if (i >= n) break;
      }
      c = buf[i]!;
      if (state <= S_AFTER) {
        // Structural states: whitespace, then one token.
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          if (state === S_TOP_AFTER_SCALAR) state = S_TOP;
          if (span >= 0 && span < i) sink.bytes(buf, span, i);
          span = -1;
          i = this.skipWhitespace(buf, i, n);
          if (i >= n) break;
          c = buf[i]!;
          if (emitting) span = i;
        }
        // A closing bracket: after a value, or right after the opening one (empty container).
        if (state === S_AFTER || (state === S_OBJ_FIRST && c === 0x7d) || (state === S_ARR_FIRST && c === 0x5d)) {
          if (state === S_AFTER) {
            const kind = this.stack[depth - 1];
            if (c === 0x2c) {
              state = kind === ARRAY ? S_VALUE : S_OBJ_KEY;
              i++;
              continue;
            }
            if (c !== (kind === ARRAY ? 0x5d : 0x7d)) {
              this.fail(i, `unexpected ${describe(c)}, expected ${kind === ARRAY ? "',' or ']'" : "',' or '}'"}`);
            }
          }
          i++;
          depth--;
          if (depth > emitDepth) {
            state = S_AFTER; // in the parent container
            continue;
          }
          span = this.valueEnded(buf, i, span, false, depth, emitting);
          state = this.state;
          emitting = this.emitting;
          continue;
        }
        if (state === S_COLON) {
          if (c !== 0x3a) this.fail(i, `unexpected ${describe(c)}, expected ':'`);
          state = S_VALUE;
          i++;
          continue;
        }
        if (state === S_OBJ_KEY || state === S_OBJ_FIRST) {
          if (c === 0x22) {
            this.strIsKey = true;
            state = S_STR;
            i++;
            continue;
          }
          this.fail(i, `unexpected ${describe(c)}, expected ${state === S_OBJ_FIRST ? "'\"' or '}'" : "'\"' (an object key)"}`);
        }
        if (state === S_TOP_AFTER_SCALAR) {
          this.fail(i, `unexpected ${describe(c)} after a top-level value, expected whitespace between values`);
        }
        // A value is expected: S_TOP, S_VALUE, S_ARR_FIRST.
        if (state === S_TOP) {
          if (c === 0xef && this.base + i === 0) {
            this.litIdx = 1;
            state = S_BOM;
            i++;
            continue;
          }
          if (this.flatten) {
            if (c !== 0x5b) this.fail(i, `with --flatten each top-level value must be an array, found ${describeValueStart(c)}`);
          } else {
            sink.begin();
            emitting = true;
            span = i;
          }
        } else if (depth === emitDepth && !emitting) {
          sink.begin();
          emitting = true;
          span = i;
        }
        switch (c) {
          case 0x22:
            this.strIsKey = false;
            state = S_STR;
            break;
          case 0x7b:
          case 0x5b:
            if (depth === this.stack.length) this.grow();
            this.stack[depth++] = c === 0x7b ? OBJECT : ARRAY;
            state = c === 0x7b ? S_OBJ_FIRST : S_ARR_FIRST;
            break;
          case 0x2d:
            state = S_NUM_MINUS;
            break;
          case 0x30:
            state = S_NUM_ZERO;
            break;
          case 0x74:
            this.lit = LIT_TRUE;
            this.litIdx = 1;
            state = S_LIT;
            break;
          case 0x66:
            this.lit = LIT_FALSE;
            this.litIdx = 1;
            state = S_LIT;
            break;
          case 0x6e:
            this.lit = LIT_NULL;
            this.litIdx = 1;
            state = S_LIT;
            break;
          default:
            if (c >= 0x31 && c <= 0x39) state = S_NUM_INT;
            else this.fail(i, `unexpected ${describe(c)}, expected a value`);
        }
        i++;
        continue;
      }

      switch (state) {
        case S_STR: {
          while (STRING_CLASS[c] === C_PLAIN) {
            if (++i >= n) break;
            c = buf[i]!;
          }
          if (i >= n) break;
          const cls = STRING_CLASS[c]!;
          if (cls === C_QUOTE) {
            i++;
            if (this.strIsKey) state = S_COLON;
            else if (depth > emitDepth) state = S_AFTER;
            else {
              span = this.valueEnded(buf, i, span, false, depth, emitting);
              state = this.state;
              emitting = this.emitting;
            }
          } else if (cls === C_BACKSLASH) {
            i++;
            state = S_STR_ESC;
          } else if (cls === C_CONTROL) {
            this.fail(i, `raw control character ${describe(c)} in string (must be escaped)`);
          } else if (cls === C_BAD) {
            this.fail(i, `invalid UTF-8 in string: ${describe(c)} cannot start a character`);
          } else {
            this.startUtf8(cls);
            i++;
            state = S_STR_UTF8;
          }
          break;
        }
        case S_STR_UTF8:
          if (c < this.utf8Lo || c > this.utf8Hi) this.fail(i, `invalid UTF-8 sequence in string: unexpected ${describe(c)}`);
          i++;
          this.utf8Lo = 0x80;
          this.utf8Hi = 0xbf;
          if (--this.utf8Left === 0) state = S_STR;
          break;
        case S_STR_ESC:
          if (c === 0x75 /* u */) {
            this.hexLeft = 4;
            state = S_STR_U;
          } else if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) {
            state = S_STR;
          } else {
            this.fail(i, `invalid escape '\\${printable(c)}' in string`);
          }
          i++;
          break;
        case S_STR_U:
          if (IS_HEX[c] !== 1) this.fail(i, `invalid \\u escape: ${describe(c)} is not a hex digit`);
          i++;
          if (--this.hexLeft === 0) state = S_STR;
          break;
        case S_NUM_INT:
        case S_NUM_FRAC:
        case S_NUM_EXP:
        case S_NUM_ZERO: {
          if (state !== S_NUM_ZERO) {
            while (c >= 0x30 && c <= 0x39) {
              if (++i >= n) break;
              c = buf[i]!;
            }
            if (i >= n) break;
          } else if (c >= 0x30 && c <= 0x39) {
            this.fail(i, 'leading zero in number');
          }
          if ((c === 0x65 || c === 0x45) && state !== S_NUM_EXP) {
            state = S_NUM_E;
            i++;
          } else if (c === 0x2e && (state === S_NUM_INT || state === S_NUM_ZERO)) {
            state = S_NUM_DOT;
            i++;
          } else if (depth > emitDepth) {
            // The number ended before this byte, which is scanned again as structure.
            state = S_AFTER;
          } else {
            span = this.valueEnded(buf, i, span, true, depth, emitting);
            state = this.state;
            emitting = this.emitting;
          }
          break;
        }
        case S_NUM_MINUS:
          if (c === 0x30) state = S_NUM_ZERO;
          else if (c >= 0x31 && c <= 0x39) state = S_NUM_INT;
          else this.fail(i, `unexpected ${describe(c)} after '-', expected a digit`);
          i++;
          break;
        case S_NUM_DOT:
          if (c >= 0x30 && c <= 0x39) state = S_NUM_FRAC;
          else this.fail(i, `unexpected ${describe(c)} after '.', expected a digit`);
          i++;
          break;
        case S_NUM_E:
          if (c === 0x2b || c === 0x2d) state = S_NUM_ESIGN;
          else if (c >= 0x30 && c <= 0x39) state = S_NUM_EXP;
          else this.fail(i, `unexpected ${describe(c)} in exponent, expected a digit or sign`);
          i++;
          break;
        case S_NUM_ESIGN:
          if (c >= 0x30 && c <= 0x39) state = S_NUM_EXP;
          else this.fail(i, `unexpected ${describe(c)} in exponent, expected a digit`);
          i++;
          break;
        case S_LIT: {
          const lit = this.lit;
          if (c !== lit[this.litIdx]) this.fail(i, `invalid literal: expected '${lit.toString()}'`);
          i++;
          if (++this.litIdx === lit.length) {
            if (depth > emitDepth) state = S_AFTER;
            else {
              span = this.valueEnded(buf, i, span, true, depth, emitting);
              state = this.state;
              emitting = this.emitting;
            }
          }
          break;
        }
        case S_BOM:
          if (c !== (this.litIdx === 1 ? 0xbb : 0xbf)) this.fail(i, 'invalid UTF-8 byte order mark');
          i++;
          if (++this.litIdx === 3) state = S_TOP;
          break;
        default:
          throw new Error(`scanner: unknown state ${state}`);
      }
    }

    if (span >= 0 && span < n) sink.bytes(buf, span, n);
    this.state = state;
    this.depth = depth;
    this.emitting = emitting;
    this.base += n;
  }

  /** Signal end of input. Throws if a value is incomplete. */
  finish(): void {
    const state = this.state;
    switch (state) {
      case S_TOP:
      case S_TOP_AFTER_SCALAR:
        return;
      case S_NUM_ZERO:
      case S_NUM_INT:
      case S_NUM_FRAC:
      case S_NUM_EXP:
        if (this.depth === 0) {
          // A top-level number ends at end of input.
          if (this.emitting) {
            this.emitting = false;
            this.values++;
            this.sink.end();
          }
          this.state = S_TOP;
          return;
        }
        break;
    }
    const expected = expectation(state, this.stack[this.depth - 1]);
    this.fail(0, `unexpected end of input${expected.startsWith(',') ? '' : ' '}${expected}`);
  }

  /** Index of the first non-whitespace byte at or after `i` (or `n`), counting lines on the way. */
  private skipWhitespace(buf: Buffer, i: number, n: number): number {
    for (; i < n; i++) {
      const c = buf[i]!;
      if (c === 0x0a) {
        this.line++;
        this.lineStart = this.base + i + 1;
      } else if (c !== 0x20 && c !== 0x0d && c !== 0x09) break;
    }
    return i;
  }

  private grow(): void {
    const grown = new Uint8Array(this.stack.length * 2);
    grown.set(this.stack);
    this.stack = grown;
  }

  /**
   * A value ended just before index `i` at `depth` (the slow path: an emitted value or a top-level
   * one). Closes the emitted value when it was one, and moves to the state that follows a value.
   * Returns the new span start; updates state, depth and emitting.
   */
  private valueEnded(buf: Buffer, i: number, span: number, scalar: boolean, depth: number, emitting: boolean): number {
    this.depth = depth;
    this.emitting = emitting;
    if (emitting && depth === this.emitDepth) {
      if (span >= 0 && span < i) this.sink.bytes(buf, span, i);
      span = -1;
      this.emitting = false;
      this.values++;
      this.sink.end();
    }
    if (depth === 0) this.state = scalar ? S_TOP_AFTER_SCALAR : S_TOP;
    else this.state = S_AFTER;
    return span;
  }

  private startUtf8(cls: number): void {
    this.utf8Lo = 0x80;
    this.utf8Hi = 0xbf;
    switch (cls) {
      case C_U2:
        this.utf8Left = 1;
        break;
      case C_E0:
        this.utf8Left = 2;
        this.utf8Lo = 0xa0; // no overlong 3-byte forms
        break;
      case C_U3:
        this.utf8Left = 2;
        break;
      case C_ED:
        this.utf8Left = 2;
        this.utf8Hi = 0x9f; // no UTF-16 surrogates
        break;
      case C_F0:
        this.utf8Left = 3;
        this.utf8Lo = 0x90; // no overlong 4-byte forms
        break;
      case C_U4:
        this.utf8Left = 3;
        break;
      case C_F4:
        this.utf8Left = 3;
        this.utf8Hi = 0x8f; // nothing above U+10FFFF
        break;
    }
  }

  /** Throw a syntax error at index `i` of the current chunk. */
  private fail(i: number, reason: string): never {
    const offset = this.base + i;
    throw new JsonSyntaxError(reason, offset, this.line, offset - this.lineStart + 1);
  }
}

// UTF-8 lead bytes: how many continuation bytes follow (0: not a valid lead), and the range of the
// first one (E0, ED, F0, F4 narrow it: no overlong forms, surrogates or code points > U+10FFFF).
const UTF8_MORE = new Uint8Array(256);
const UTF8_LO = new Uint8Array(256);
const UTF8_HI = new Uint8Array(256);
for (let b = 0xc2; b <= 0xf4; b++) {
  UTF8_MORE[b] = b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
  UTF8_LO[b] = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  UTF8_HI[b] = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
}

const IS_ESCAPE = (() => {
  const t = new Uint8Array(256);
  for (const c of '"\\/bfnrt') t[c.charCodeAt(0)] = 1;
  return t;
})();

/**
 * Index just past the closing quote of a string whose body starts at `i`, or -1 when the string is
 * not complete and valid within `buf[..n]` (the caller then rescans it byte by byte).
 */
function stringEnd(buf: Buffer, i: number, n: number): number {
  while (i < n) {
    let c = buf[i]!;
    while (STRING_CLASS[c] === C_PLAIN) {
      if (++i >= n) return -1;
      c = buf[i]!;
    }
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      if (i + 1 >= n) return -1;
      const e = buf[i + 1]!;
      if (IS_ESCAPE[e] === 1) {
        i += 2;
        continue;
      }
      if (e !== 0x75 || i + 5 >= n) return -1;
      if ((IS_HEX[buf[i + 2]!]! & IS_HEX[buf[i + 3]!]! & IS_HEX[buf[i + 4]!]! & IS_HEX[buf[i + 5]!]!) !== 1) return -1;
      i += 6;
      continue;
    }
    const more = UTF8_MORE[c]!;
    if (more === 0 || i + more >= n) return -1;
    const c1 = buf[i + 1]!;
    if (c1 < UTF8_LO[c]! || c1 > UTF8_HI[c]!) return -1;
    if (more > 1) {
      if ((buf[i + 2]! & 0xc0) !== 0x80) return -1;
      if (more > 2 && (buf[i + 3]! & 0xc0) !== 0x80) return -1;
    }
    i += more + 1;
  }
  return -1;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * Index just past a number starting at `i`, or -1 when it is invalid or may go on past `buf[..n]`
 * (the caller then rescans it byte by byte, which reports the error if there is one).
 */
function numberEnd(buf: Buffer, i: number, n: number): number {
  if (buf[i] === 0x2d) i++;
  if (i >= n) return -1;
  let c = buf[i]!;
  if (c === 0x30) {
    if (++i >= n) return -1;
    c = buf[i]!;
    if (isDigit(c)) return -1; // leading zero
  } else if (!isDigit(c)) return -1;
  // One digit loop for the integer, fraction and exponent parts (part 0, 1, 2).
  for (let part = 0; ;) {
    while (isDigit(c)) {
      if (++i >= n) return -1;
      c = buf[i]!;
    }
    if (c === 0x2e && part === 0) part = 1;
    else if ((c === 0x65 || c === 0x45) && part < 2) {
      part = 2;
      if (++i >= n) return -1;
      c = buf[i]!;
      if (c !== 0x2b && c !== 0x2d) {
        if (!isDigit(c)) return -1;
        continue;
      }
    } else return i;
    // After '.' or an exponent sign: at least one digit.
    if (++i >= n) return -1;
    c = buf[i]!;
    if (!isDigit(c)) return -1;
  }
}

function printable(c: number): string {
  return String.fromCharCode(c);
}

/** A byte as users can read it in a message. */
function describe(c: number): string {
  if (c === 0x27) return `"'"`;
  if (c > 0x20 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}

function describeValueStart(c: number): string {
  if (c === 0x7b) return 'an object';
  if (c === 0x22) return 'a string';
  if (c === 0x74 || c === 0x66) return 'a boolean';
  if (c === 0x6e) return 'null';
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return 'a number';
  return describe(c);
}

function expectation(state: number, container: number | undefined): string {
  switch (state) {
    case S_STR:
    case S_STR_ESC:
    case S_STR_U:
    case S_STR_UTF8:
      return 'inside a string (truncated fragment?)';
    case S_LIT:
      return 'inside a literal (truncated fragment?)';
    case S_BOM:
      return 'inside a byte order mark';
    case S_NUM_MINUS:
    case S_NUM_DOT:
    case S_NUM_E:
    case S_NUM_ESIGN:
      return 'inside a number (truncated fragment?)';
    case S_COLON:
      return "after an object key, expected ':' (truncated fragment?)";
    case S_OBJ_FIRST:
    case S_OBJ_KEY:
      return ", expected an object key or '}' (truncated fragment?)";
    case S_VALUE:
    case S_ARR_FIRST:
      return ', expected a value (truncated fragment?)';
    default:
      return container === ARRAY ? ", expected ',' or ']' (truncated fragment?)" : ", expected ',' or '}' (truncated fragment?)";
  }
}
