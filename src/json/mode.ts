/**
 * `--mode json`: every value of every fragment, in file order, into one array (or NDJSON).
 */
import { InvalidInputError } from '../errors.js';
import type { Settings } from '../options.js';
import type { OpenedFile } from '../read.js';
import type { Added, ChunkFeed, Handler } from '../run.js';
import type { OutputTarget } from '../sink.js';
import { JsonScanner, JsonSyntaxError } from './scan.js';
import { JsonWriter, type WriterMark } from './write.js';

export function jsonHandler(settings: Settings, out: OutputTarget): Handler {
  const writer = new JsonWriter(out, settings.format);
  const scanner = new JsonScanner(writer, { flatten: settings.flatten });
  const write = (chunk: Buffer): void => scanner.write(chunk);
  const invalid = (file: OpenedFile, mark: WriterMark, error: unknown): never => {
    if (error instanceof JsonSyntaxError) {
      writer.rollback(mark);
      throw new InvalidInputError(file.entry.abs, error.reason, error);
    }
    throw error;
  };
  return {
    add(file: OpenedFile, feed: ChunkFeed): Added | Promise<Added> {
      const mark = writer.mark();
      scanner.reset();
      try {
        const pending = feed.each(file, write);
        if (pending) {
          return pending
            .then(() => {
              scanner.finish();
              return { values: scanner.values };
            })
            .catch((error: unknown) => invalid(file, mark, error));
        }
        scanner.finish();
      } catch (error) {
        invalid(file, mark, error);
      }
      return { values: scanner.values };
    },
    async finish(): Promise<void> {
      writer.finish();
    },
  };
}
