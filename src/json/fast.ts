/**
 * The scanner's WebAssembly fast path (src/json/fast.as.ts, built by scripts/wasm.mjs into
 * fast-wasm.ts as base64): loaded on the first chunk big enough to use it, so runs over small
 * inputs never compile it. See JsonScanner.write for the contract it keeps.
 */
import { WASM_BASE64 } from './fast-wasm.js';

// The part of the WebAssembly API used here (the ES2022 lib and @types/node do not declare it).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Global {
    readonly value: unknown;
  }
}

export interface FastKernel {
  /**
   * Scan chunk bytes [j, n) (see `load`); returns where it stopped. Results are in `out`; the
   * output of [span, new span) without the whitespace dropped is at `dst` (an address in `bytes`).
   */
  readonly scan: (n: number, j: number, state: number, depth: number, emitDepth: number, span: number, dst: number) => number;
  /** The chunk is at CHUNK of `bytes`; the stack at STACK. Views are replaced when memory grows. */
  bytes: Buffer;
  /** [state, depth, output length or -1, newlines, lastNewline, new span] at OUT/4. */
  words: Int32Array;
  readonly out: number;
  readonly stack: number;
  readonly stackCap: number;
  readonly chunk: number;
  /** Where the loaded chunk's compacted output goes (past the chunk and its slack). */
  dst: number;
  /** Copy `buf` into the kernel's memory (growing it to hold the chunk and its output). */
  load(buf: Uint8Array): void;
  /** Whether a scan is using it (then a nested one, started from a sink call, must not). */
  busy: boolean;
}

/** Chunks at least this long go through the kernel; smaller ones keep the JS fast path. */
export const WASM_MIN = 64 << 10;
/** Larger chunks keep the JS fast path too (the kernel would need a copy as large). */
export const WASM_MAX = 64 << 20;

let kernel: FastKernel | null | undefined;

/**
 * The kernel, or null when WebAssembly (with SIMD) is unavailable or AGGREGATE_SCAN_WASM=0
 * (internal: tests use it to compare against the JS fast path).
 */
export function fastKernel(): FastKernel | null {
  if (kernel === undefined) kernel = process.env.AGGREGATE_SCAN_WASM === '0' ? null : instantiate();
  return kernel;
}

function instantiate(): FastKernel | null {
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64')));
  } catch {
    return null; // no WebAssembly SIMD here: the JS fast path does the work
  }
  const ex = instance.exports;
  const memory = ex.memory as WebAssembly.Memory;
  const num = (name: string): number => (ex[name] as WebAssembly.Global).value as number;
  const k: FastKernel = {
    scan: ex.scan as FastKernel['scan'],
    bytes: Buffer.from(memory.buffer),
    words: new Int32Array(memory.buffer),
    out: num('LAYOUT_OUT') >> 2,
    stack: num('LAYOUT_STACK'),
    stackCap: num('LAYOUT_STACK_CAP'),
    chunk: num('LAYOUT_CHUNK'),
    dst: 0,
    load(buf) {
      // The chunk and 16 bytes of slack, then the output (never longer than the chunk) and 16.
      this.dst = this.chunk + ((buf.length + 16 + 15) & ~15);
      const need = this.dst + buf.length + 16;
      if (need > memory.buffer.byteLength) {
        memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
        this.bytes = Buffer.from(memory.buffer);
        this.words = new Int32Array(memory.buffer);
      }
      this.bytes.set(buf, this.chunk);
    },
    busy: false,
  };
  return k;
}
