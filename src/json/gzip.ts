/**
 * gzip in json mode (`--gzip`, `-o x.json.gz`): the JSON writer's bytes go through the same
 * GzipSink as tar.gz, so the header is fixed (no name, no time) and equal input gives equal output.
 *
 * A compressed stream cannot be rolled back, and the writer rolls back a fragment found invalid
 * halfway. Under `--on-invalid fail` that only happens on the way to a failed run, so the bytes
 * are compressed as they come. Under `--on-invalid skip` they are held uncompressed in a spool
 * (memory, then an unlinked temp file beside the output, else in TMPDIR) and compressed at the end.
 */
import fs from 'node:fs';
import { GzipSink } from '../byte-sink.js';
import { IoError } from '../errors.js';
import type { Settings } from '../options.js';
import { DeferredOutput, spoolOf, type OutputTarget } from '../sink.js';
import type { Appendable } from './write.js';

export interface JsonOutput {
  /** Where the writer appends. */
  readonly target: Appendable;
  /** undefined when writing may go on, else a promise to await first (gzip backpressure). */
  ready(): Promise<void> | undefined;
  /** Flush everything into the OutputTarget. */
  finish(): Promise<void>;
}

export function jsonOutput(settings: Settings, out: OutputTarget): JsonOutput {
  if (!settings.gzip) return { target: out, ready: () => undefined, finish: async () => {} };
  const sink = new GzipSink(out, settings.level);
  if (settings.onInvalid === 'skip') {
    const spool = new Spool(spoolOf(out));
    return {
      target: spool,
      ready: () => undefined,
      finish: async () => {
        await spool.drainInto(sink);
        await sink.end();
      },
    };
  }
  return new StreamingGzip(sink);
}

/** Compresses as the writer appends; a rollback (only before a failed run) poisons it. */
class StreamingGzip implements JsonOutput, Appendable {
  length = 0;
  private poisoned = false;

  constructor(private readonly sink: GzipSink) {}

  get target(): Appendable {
    return this;
  }

  write(buf: Buffer, start = 0, end = buf.length): void {
    if (this.poisoned) return;
    this.sink.write(buf, start, end);
    this.length += end - start;
  }

  rollback(mark: number): void {
    // Only on the way to a failed run (invalid input under --on-invalid fail): never committed.
    if (mark !== this.length) this.poisoned = true;
  }

  ready(): Promise<void> | undefined {
    return this.poisoned ? undefined : this.sink.ready();
  }

  async finish(): Promise<void> {
    if (!this.poisoned) await this.sink.end();
  }
}

/** Uncompressed bytes kept (with rollback) until the end, then handed to gzip in order. */
class Spool extends DeferredOutput {
  async drainInto(sink: GzipSink): Promise<void> {
    if (this.fd >= 0) {
      const chunk = Buffer.allocUnsafe(1 << 20);
      let pos = 0;
      while (pos < this.flushed) {
        let n: number;
        try {
          n = fs.readSync(this.fd, chunk, 0, Math.min(chunk.length, this.flushed - pos), pos);
        } catch (error) {
          throw new IoError('read', this.fileName(), error);
        }
        if (n === 0) throw new IoError('read', this.fileName(), new Error('unexpected end of file'));
        sink.write(chunk, 0, n);
        pos += n;
        const r = sink.ready();
        if (r) await r;
      }
    }
    sink.write(this.buf, 0, this.used);
    this.abort();
  }
}
