/**
 * Lays out the values the scanner emits: one JSON array (`[a,b]`) or NDJSON (one value a line).
 * A fragment is added as a unit: if it turns out invalid halfway, `rollback` removes every byte
 * and value it contributed.
 */
import type { JsonFormat } from '../options.js';
import type { OutputTarget } from '../sink.js';
import type { ValueSink } from './scan.js';

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']\n');
const EMPTY = Buffer.from('[]\n');
const NEWLINE = Buffer.from('\n');

/** What the writer needs of an output: append, and roll back a fragment. */
export type Appendable = Pick<OutputTarget, 'write' | 'length' | 'rollback'>;

export interface WriterMark {
  readonly length: number;
  readonly values: number;
}

export class JsonWriter implements ValueSink {
  /** Values written so far. */
  values = 0;

  constructor(
    protected readonly out: Appendable,
    private readonly format: JsonFormat,
  ) {}

  begin(): void {
    if (this.format === 'array') this.out.write(this.values === 0 ? OPEN : COMMA);
  }

  bytes(buf: Buffer, start: number, end: number): void {
    this.out.write(buf, start, end);
  }

  end(): void {
    this.values++;
    if (this.format === 'ndjson') this.out.write(NEWLINE);
  }

  mark(): WriterMark {
    return { length: this.out.length, values: this.values };
  }

  rollback(mark: WriterMark): void {
    this.out.rollback(mark.length);
    this.values = mark.values;
  }

  /** Close the array (`[]` when there were no values). */
  finish(): void {
    if (this.format === 'array') this.out.write(this.values === 0 ? EMPTY : CLOSE);
  }
}
