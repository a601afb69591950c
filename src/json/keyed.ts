/**
 * `--key-by path`: one JSON object instead of an array, keyed by each fragment's relative path
 * without its extension (`dir/part-7.json` -> `"dir/part-7"`), values copied byte for byte, keys
 * in output order.
 *
 * A key must be the exact name, so a name that is not valid UTF-8 (no JSON string can hold it),
 * a fragment holding other than exactly one value, and a second file giving a key already taken
 * (`a.json` and `a.ndjson`) are invalid input.
 */
import { isUtf8 } from 'node:buffer';
import { InvalidInputError } from '../errors.js';
import { quoteName } from '../quote.js';
import { JsonWriter, type Appendable } from './write.js';

const OPEN = Buffer.from('{');
const COMMA = Buffer.from(',');
const COLON = Buffer.from(':');
const CLOSE = Buffer.from('}\n');
const EMPTY = Buffer.from('{}\n');

type Name = Buffer | string;

/** Relative path without its extension; a dot that starts the base name (`.x`) is kept. */
export function keyOfPath(rel: Name): Buffer {
  const bytes = typeof rel === 'string' ? Buffer.from(rel, 'utf8') : rel;
  const slash = bytes.lastIndexOf(0x2f);
  const dot = bytes.lastIndexOf(0x2e);
  return dot > slash + 1 ? bytes.subarray(0, dot) : bytes;
}

export class KeyedWriter extends JsonWriter {
  /** The current fragment's key as a JSON string. */
  private key: Buffer = EMPTY;
  /** Keys taken so far (exact bytes as latin1) -> the file that took each. */
  private readonly taken = new Map<string, Name>();

  constructor(out: Appendable) {
    super(out, 'array');
  }

  /** Set the key for `rel`'s value; throws InvalidInputError when it cannot be used. */
  startFile(rel: Name, file: string): void {
    const key = keyOfPath(rel);
    if (!isUtf8(key)) {
      throw new InvalidInputError(file, `--key-by path: the name ${quoteName(key)} is not valid UTF-8, so no JSON string can hold it exactly; rename the file`);
    }
    const other = this.taken.get(key.toString('latin1'));
    if (other !== undefined) {
      throw new InvalidInputError(file, `--key-by path: key ${quoteName(key)} is already taken by ${quoteName(other)}; two fragments cannot share a key`);
    }
    this.key = Buffer.from(JSON.stringify(key.toString('utf8')));
  }

  /** The fragment is in: its key is taken (rejected fragments leave their key free). */
  endFile(rel: Name, values: number, file: string): void {
    if (values !== 1) {
      throw new InvalidInputError(file, `--key-by path needs exactly one JSON value per fragment, this one holds ${values}`);
    }
    this.taken.set(keyOfPath(rel).toString('latin1'), rel);
  }

  override begin(): void {
    this.out.write(this.values === 0 ? OPEN : COMMA);
    this.out.write(this.key);
    this.out.write(COLON);
  }

  override end(): void {
    this.values++;
  }

  override finish(): void {
    this.out.write(this.values === 0 ? EMPTY : CLOSE);
  }
}
