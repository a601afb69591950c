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
import type { ValueCheck } from './schema.js';
import { SchemaViolation, ValidatingSink } from './validate.js';
import { JsonWriter, type WriterMark } from './write.js';

/** `check`: --schema's, compiled once for the run (json/schema.ts). */
export function jsonHandler(settings: Settings, out: OutputTarget, check?: ValueCheck): Handler {
  const output = jsonOutput(settings, out);
  const keyed = settings.keyBy === 'path' ? new KeyedWriter(output.target) : undefined;
  const writer = keyed ?? new JsonWriter(output.target, settings.format);
  // With --schema every value's bytes pass through a copy to be checked on their way.
  const validating = check !== undefined ? new ValidatingSink(writer, check) : undefined;
  const scanner = new JsonScanner(validating ?? writer, { flatten: settings.flatten });
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
    if (error instanceof SchemaViolation) {
      writer.rollback(mark);
      throw new InvalidInputError(file.entry.abs, error.reason, undefined, 'schema', error.detail);
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
      validating?.reset();
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
