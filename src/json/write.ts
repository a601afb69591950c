/**
 * Lays out the values the scanner emits: one JSON array (`[a,b]`) or NDJSON (one value a line).
 * A fragment is added as a unit: if it turns out invalid halfway, `rollback` removes every byte
 * and value it contributed.
 */
import type { JsonFormat } from '../options.js';
import type { OutputTarget } from '../sink.js';
import type { JsonScanner, ValueSink } from './scan.js';

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

/**
 * Chunks at least this long are staged (see `stage`); a smaller one (a small fragment, usually
 * one span) is cheaper to copy span by span than to copy in and out again.
 */
const STAGE_MIN = 16 << 10;

export class JsonWriter implements ValueSink {
  /** Values written so far. */
  values = 0;
  /**
   * While a chunk is staged: its bytes are at [cap, cap + length) of `area`, and the output
   * gathered so far at [0, used). Every span the scanner hands over is moved down with
   * copyWithin (no view allocated, ~3-4x cheaper than Buffer.copy per call on Node 20), and the
   * chunk's whole output goes to the output in one range.
   */
  private area: Buffer | undefined;
  private cap = 0;
  private used = 0;
  private staged: Buffer | undefined;
  /**
   * A chunk that may be staged, and its first span, held back: a chunk of compact JSON is one
   * span, written straight from the chunk (no copy at all); the chunk is staged only when more
   * output follows.
   */
  private candidate: Buffer | undefined;
  private heldStart = 0;
  private heldEnd = -1;

  constructor(
    protected readonly out: Appendable,
    private readonly format: JsonFormat,
    /** Chunks at least this long may be staged (tests stage every chunk, or none). */
    private readonly stageMin = STAGE_MIN,
  ) {}

  /** Scan `chunk` with `scanner` (whose sink is this writer), its output gathered in one range. */
  scan(scanner: JsonScanner, chunk: Buffer): void {
    if (chunk.length >= this.stageMin && chunk.length > 0) this.candidate = chunk;
    try {
      scanner.write(chunk);
    } catch (error) {
      this.dropStage(); // the fragment is rolled back, or the run fails
      throw error;
    }
    this.unstage();
  }

  /** Stage the candidate chunk: copy it into the area, then the span held back. */
  private stage(): void {
    const chunk = this.candidate!;
    this.candidate = undefined;
    if (chunk.length > this.cap) {
      this.flushArea();
      this.cap = chunk.length;
      this.area = Buffer.allocUnsafe(2 * this.cap);
    }
    chunk.copy(this.area!, this.cap);
    this.staged = chunk;
    if (this.heldEnd >= 0) {
      const end = this.heldEnd;
      this.heldEnd = -1;
      this.gather(this.heldStart, end);
    }
  }

  /** The chunk is scanned: hand its output on. */
  protected unstage(): void {
    if (this.heldEnd >= 0) {
      const end = this.heldEnd;
      this.heldEnd = -1;
      this.out.write(this.candidate!, this.heldStart, end);
    }
    this.candidate = undefined;
    this.staged = undefined;
    this.flushArea();
  }

  /** The chunk failed: forget what was gathered from it. */
  private dropStage(): void {
    this.candidate = undefined;
    this.heldEnd = -1;
    this.staged = undefined;
    this.used = 0;
  }

  private flushArea(): void {
    if (this.used > 0) {
      const n = this.used;
      this.used = 0;
      this.out.write(this.area!, 0, n);
    }
  }

  /** Bytes [start, end) of the staged chunk onto the gathered output. */
  private gather(start: number, end: number): void {
    const len = end - start;
    if (this.used + len > this.cap) this.flushArea();
    // A span of a chunk is never longer than the chunk, which fits in the area.
    const cap = this.cap;
    this.area!.copyWithin(this.used, cap + start, cap + end);
    this.used += len;
  }

  /** Append bytes: into the area while a chunk is staged, else straight to the output. */
  protected put(buf: Buffer, start: number, end: number): void {
    if (this.heldEnd >= 0) this.stage(); // output follows the held span: gather both
    if (this.staged === undefined) {
      this.out.write(buf, start, end);
      return;
    }
    const len = end - start;
    if (this.used + len > this.cap) {
      this.flushArea();
      if (len > this.cap) {
        this.out.write(buf, start, end);
        return;
      }
    }
    buf.copy(this.area!, this.used, start, end);
    this.used += len;
  }

  begin(): void {
    if (this.format === 'array') this.put(this.values === 0 ? OPEN : COMMA, 0, 1);
  }

  bytes(buf: Buffer, start: number, end: number): void {
    if (buf === this.staged) this.gather(start, end);
    else if (buf !== this.candidate) this.put(buf, start, end);
    else if (this.heldEnd < 0) {
      this.heldStart = start;
      this.heldEnd = end;
    } else {
      this.stage();
      this.gather(start, end);
    }
  }

  end(): void {
    this.values++;
    if (this.format === 'ndjson') this.put(NEWLINE, 0, 1);
  }

  mark(): WriterMark {
    this.flushArea();
    return { length: this.out.length, values: this.values };
  }

  rollback(mark: WriterMark): void {
    this.dropStage();
    this.out.rollback(mark.length);
    this.values = mark.values;
  }

  /** Close the array (`[]` when there were no values). */
  finish(): void {
    this.unstage();
    if (this.format === 'array') this.put(this.values === 0 ? EMPTY : CLOSE, 0, this.values === 0 ? 3 : 2);
  }
}
