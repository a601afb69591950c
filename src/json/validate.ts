/**
 * `--schema`: sits between the scanner and the writer, hands every byte on unchanged, and keeps a
 * copy of the current value to check it once it is complete. A value that fails makes the scan
 * throw SchemaViolation (json/mode.ts rolls its fragment back, as for a syntax error).
 *
 * Memory: a value is checked by parsing it whole, which needs many times its size (its text,
 * then JSON.parse's objects), so a value longer than MAX_VALUE_BYTES is refused as soon as
 * its copy passes the limit. With --flatten only each element counts, however large the array.
 */
import type { SchemaDetail } from '../errors.js';
import { quoteName } from '../quote.js';
import type { ValueSink } from './scan.js';
import type { ValueCheck } from './schema.js';

/**
 * 16 MiB. Parsing a value takes many times its size: measured, a 16 MiB array of small records
 * peaked at ~175 MB RSS for the whole run (63 MiB: ~450 MB), which fits the 256Mi memory limit
 * of the example templates; V8's limit on one string (~512 MiB) is far. A fan-out's fragments are
 * far smaller in practice, and a larger one is checked a value at a time as one array with
 * --flatten, or as NDJSON.
 */
export const MAX_VALUE_BYTES = 16 << 20;

/** A value kept once it is checked; a larger copy buffer is dropped rather than kept for the run. */
const KEEP_BYTES = 1 << 20;

/** A value breaks --schema, or is too large to check. */
export class SchemaViolation extends Error {
  constructor(
    readonly reason: string,
    readonly detail: SchemaDetail,
  ) {
    super(reason);
    this.name = 'SchemaViolation';
  }
}

/** Internal (tests): a smaller limit, in bytes, from AGGREGATE_SCHEMA_MAX_VALUE. */
function maxValueBytes(): number {
  const v = Number(process.env.AGGREGATE_SCHEMA_MAX_VALUE);
  return Number.isInteger(v) && v > 0 ? v : MAX_VALUE_BYTES;
}

function formatBytes(n: number): string {
  return n % (1 << 20) === 0 ? `${n >> 20} MiB` : `${n} bytes`;
}

export class ValidatingSink implements ValueSink {
  private copy = Buffer.allocUnsafe(4096);
  private used = 0;
  /** Values begun in the current fragment. */
  private index = 0;
  private readonly max = maxValueBytes();

  constructor(
    private readonly next: ValueSink,
    private readonly check: ValueCheck,
  ) {}

  /** A new fragment starts: its values count from 0. */
  reset(): void {
    this.index = 0;
    this.used = 0;
  }

  begin(): void {
    this.used = 0;
    this.next.begin();
  }

  bytes(buf: Buffer, start: number, end: number): void {
    this.next.bytes(buf, start, end);
    const need = this.used + end - start;
    if (need > this.copy.length || need > this.max) this.grow(need);
    buf.copy(this.copy, this.used, start, end);
    this.used = need;
  }

  end(): void {
    const index = this.index++;
    const failure = this.check(this.copy.toString('utf8', 0, this.used));
    if (this.copy.length > KEEP_BYTES) this.copy = Buffer.allocUnsafe(4096);
    if (failure !== undefined) {
      const where = failure.pointer === '' ? 'the value' : quoteName(failure.pointer);
      throw new SchemaViolation(`value ${index} does not match --schema: ${where} ${failure.message} (keyword "${failure.keyword}" at ${failure.schemaPath})`, {
        value: index,
        pointer: failure.pointer,
        keyword: failure.keyword,
        schemaPath: failure.schemaPath,
      });
    }
    this.next.end();
  }

  private grow(need: number): void {
    if (need > this.max) {
      const index = this.index;
      this.copy = Buffer.allocUnsafe(4096);
      throw new SchemaViolation(
        `value ${index} is larger than ${formatBytes(this.max)}, the most --schema parses to check one value; write smaller values (one array with --flatten, or NDJSON, is checked a value at a time)`,
        { value: index },
      );
    }
    const grown = Buffer.allocUnsafe(Math.min(Math.max(need, 2 * this.copy.length), this.max));
    this.copy.copy(grown, 0, 0, this.used);
    this.copy = grown;
  }
}
