/**
 * `--mode json`: every value of every fragment, in file order, into one array (or NDJSON, or an
 * object keyed by path), optionally gzipped.
 */
import { InvalidInputError } from '../errors.js';
import type { Settings } from '../options.js';
import type { OpenedFile } from '../read.js';
import type { Added, ChunkFeed, Handler } from '../run.js';
import type { OutputTarget } from '../sink.js';
import { jsonOutput } from './gzip.js';
import { KeyedWriter } from './keyed.js';
import { JsonScanner, JsonSyntaxError } from './scan.js';
import { JsonWriter, type WriterMark } from './write.js';

export function jsonHandler(settings: Settings, out: OutputTarget): Handler {
  const output = jsonOutput(settings, out);
  const keyed = settings.keyBy === 'path' ? new KeyedWriter(output.target) : undefined;
  const writer = keyed ?? new JsonWriter(output.target, settings.format);
  const scanner = new JsonScanner(writer, { flatten: settings.flatten });
  // gzip's backpressure per chunk: a long fragment must not queue up in zlib.
  const write = (chunk: Buffer): Promise<void> | undefined => {
    writer.scan(scanner, chunk);
    return output.ready();
  };
  const invalid = (file: OpenedFile, mark: WriterMark, error: unknown): never => {
    if (error instanceof JsonSyntaxError) {
      writer.rollback(mark);
      throw new InvalidInputError(file.entry.abs, error.reason, error);
    }
    if (error instanceof InvalidInputError) writer.rollback(mark);
    throw error;
  };
  const done = (file: OpenedFile): Added => {
    scanner.finish();
    keyed?.endFile(file.entry.rel, scanner.values, file.entry.abs);
    return { values: scanner.values };
  };
  return {
    add(file: OpenedFile, feed: ChunkFeed): Added | Promise<Added> {
      const mark = writer.mark();
      scanner.reset();
      try {
        keyed?.startFile(file.entry.rel, file.entry.abs);
        const pending = feed.each(file, write);
        if (pending) {
          return pending.then(() => done(file)).catch((error: unknown) => invalid(file, mark, error));
        }
        return done(file);
      } catch (error) {
        return invalid(file, mark, error);
      }
    },
    async finish(): Promise<void> {
      writer.finish();
      await output.finish();
    },
  };
}
