/**
 * Where output bytes go: straight into the OutputTarget (plain tar), or through gzip on libuv's
 * thread pool (tar.gz, json.gz), so that producing the bytes on the main thread and compressing
 * them overlap on two cores.
 */
import zlib from 'node:zlib';
import type { OutputTarget } from './sink.js';

export interface ByteSink {
  /** Append bytes (copied before returning: the caller may reuse `buf`). */
  write(buf: Buffer, start: number, end: number): void;
  /** undefined when writing may go on at once, else a promise to await first (backpressure). */
  ready(): Promise<void> | undefined;
  /** Flush everything into the OutputTarget. */
  end(): Promise<void>;
}

/** Plain output: the OutputTarget is synchronous and buffered already. */
export function directSink(out: OutputTarget): ByteSink {
  return {
    write: (buf, start, end) => out.write(buf, start, end),
    ready: () => undefined,
    end: async () => {},
  };
}

/** Bytes handed to zlib per write: one thread-pool job per MiB, not per small entry. */
const STAGE = 1 << 20;
/** Bytes queued for zlib before the producer waits: bounds memory, keeps the pool busy. */
const QUEUED = 8 << 20;

/**
 * gzip through node:zlib. The header node writes is fixed: no name, mtime 0, OS byte 3 (Unix),
 * XFL from the level only; so equal input gives equal output.
 */
export class GzipSink implements ByteSink {
  private readonly gz: zlib.Gzip;
  private stage = Buffer.allocUnsafe(STAGE);
  private used = 0;
  private handedOff = false;
  private error: unknown = undefined;
  /** Waiting for 'drain', or for 'end' in end(). */
  private wake: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private ending: { reject: (e: unknown) => void } | undefined;

  constructor(
    private readonly out: OutputTarget,
    level: number,
  ) {
    // node passes stream options through to the Transform (not in @types/node's ZlibOptions).
    const options: zlib.ZlibOptions & { writableHighWaterMark: number } = { level, chunkSize: 256 << 10, writableHighWaterMark: QUEUED };
    this.gz = zlib.createGzip(options);
    this.gz.on('data', (chunk: Buffer) => {
      if (this.error !== undefined) return;
      try {
        this.out.write(chunk);
      } catch (error) {
        this.fail(error);
      }
    });
    this.gz.on('error', (error) => this.fail(error));
    this.gz.on('drain', () => this.release());
  }

  private fail(error: unknown): void {
    if (this.error !== undefined) return;
    this.error = error;
    this.gz.destroy();
    const w = this.wake;
    this.wake = undefined;
    w?.reject(error);
    this.ending?.reject(error);
  }

  private release(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.resolve();
  }

  write(buf: Buffer, start: number, end: number): void {
    let from = start;
    while (from < end) {
      const n = Math.min(end - from, STAGE - this.used);
      buf.copy(this.stage, this.used, from, from + n);
      this.used += n;
      from += n;
      if (this.used === STAGE) this.handOff();
    }
  }

  /** Give the staged bytes to zlib (which keeps the buffer: take a new one). */
  private handOff(): void {
    if (this.used === 0) return;
    if (this.error === undefined) this.gz.write(this.stage.subarray(0, this.used));
    this.stage = Buffer.allocUnsafe(STAGE);
    this.used = 0;
    this.handedOff = true;
  }

  ready(): Promise<void> | undefined {
    if (this.error !== undefined) throw this.error;
    if (!this.handedOff) return undefined;
    this.handedOff = false;
    if (this.gz.writableNeedDrain) {
      return new Promise<void>((resolve, reject) => {
        this.wake = { resolve, reject };
      });
    }
    // Let zlib's completions run (each starts the next job on the pool), then go on building.
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  async end(): Promise<void> {
    this.handOff();
    if (this.error !== undefined) throw this.error;
    await new Promise<void>((resolve, reject) => {
      this.ending = { reject };
      this.gz.once('end', resolve);
      this.gz.end();
    });
    if (this.error !== undefined) throw this.error;
  }
}
