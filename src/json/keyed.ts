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
const CLOSE = Buffer.from('}\n');
const EMPTY = Buffer.from('{}\n');

type Name = Buffer | string;

/** Characters JSON.stringify would escape (or that make it fall back to escaping surrogates). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Relative path without its extension; a dot that starts the base name (`.x`) is kept. */
export function keyOfPath(rel: Name): Name {
  const slash = typeof rel === 'string' ? rel.lastIndexOf('/') : rel.lastIndexOf(0x2f);
  const dot = typeof rel === 'string' ? rel.lastIndexOf('.') : rel.lastIndexOf(0x2e);
  if (dot <= slash + 1) return rel;
  return typeof rel === 'string' ? rel.slice(0, dot) : rel.subarray(0, dot);
}

/** The part of `rel` after its key (`.json`, or '' for none), as latin1 text for comparing. */
function extensionOf(rel: Name, keyLength: number): string {
  return typeof rel === 'string' ? rel.slice(keyLength) : rel.toString('latin1', keyLength);
}

/** Whether the part of `rel` after its key (`keyLength` long) is `ext`, without a copy. */
function hasExtension(rel: Name, keyLength: number, ext: string): boolean {
  if (rel.length - keyLength !== ext.length) return false;
  return typeof rel === 'string' ? rel.endsWith(ext) : extensionOf(rel, keyLength) === ext;
}

/** A key (valid UTF-8) as a string. */
function keyText(name: Name): string {
  return typeof name === 'string' ? name : name.toString('utf8');
}

export class KeyedWriter extends JsonWriter {
  /** The current fragment's key, and `"key":` as it is written. */
  private key = '';
  /** `"key":` of the current fragment, in a buffer reused across fragments. */
  private scratch = Buffer.allocUnsafe(4096);
  private keyLength = 0;
  /**
   * Keys taken so far -> the file that took each (valid UTF-8 only, so the string is exact).
   * Files with the same extension (or all without one) cannot share a key, as their paths differ:
   * while every file has the first one's extension, the accepted files are only listed, and the
   * map is built when another extension first appears (hashing every key cost ~3% of a run over 100k tiny files).
   */
  private taken: Map<string, Name> | undefined;
  private readonly accepted: Name[] = [];
  /** The extension of the first file (with its dot; '' for none). */
  private ext: string | undefined;

  constructor(out: Appendable, stageMin?: number) {
    super(out, 'array', stageMin);
  }

  /** Set the key for `rel`'s value; throws InvalidInputError when it cannot be used. */
  startFile(rel: Name, file: Buffer | string): void {
    const name = keyOfPath(rel);
    if (typeof name !== 'string' && !isUtf8(name)) {
      throw new InvalidInputError(file, `--key-by path: the name ${quoteName(name)} is not valid UTF-8, so no JSON string can hold it exactly; rename the file`);
    }
    const key = keyText(name);
    if (this.taken === undefined) {
      this.ext ??= extensionOf(rel, name.length);
      if (!hasExtension(rel, name.length, this.ext)) this.taken = new Map(this.accepted.map((r) => [keyText(keyOfPath(r)), r]));
    }
    const other = this.taken?.get(key);
    if (other !== undefined) {
      throw new InvalidInputError(file, `--key-by path: key ${quoteName(key)} is already taken by ${quoteName(other)}; two fragments cannot share a key`);
    }
    this.key = key;
    // Most names need no escape: '"' + key + '":' straight into the scratch buffer.
    const text = NEEDS_ESCAPE.test(key) ? JSON.stringify(key) + ':' : undefined;
    const max = (text ?? key).length * 3 + 3;
    if (max > this.scratch.length) this.scratch = Buffer.allocUnsafe(max);
    if (text !== undefined) {
      this.keyLength = this.scratch.write(text, 0, 'utf8');
    } else {
      this.scratch[0] = 0x22;
      const n = this.scratch.write(key, 1, 'utf8');
      this.scratch[n + 1] = 0x22;
      this.scratch[n + 2] = 0x3a;
      this.keyLength = n + 3;
    }
  }

  /** The fragment is in: its key is taken (rejected fragments leave their key free). */
  endFile(rel: Name, values: number, file: Buffer | string): void {
    if (values !== 1) {
      throw new InvalidInputError(file, `--key-by path needs exactly one JSON value per fragment, this one holds ${values}`);
    }
    if (this.taken) this.taken.set(this.key, rel);
    else this.accepted.push(rel);
  }

  override begin(): void {
    this.put(this.values === 0 ? OPEN : COMMA, 0, 1);
    this.put(this.scratch, 0, this.keyLength);
  }
  override end(): void {
    this.values++;
  }

  override finish(): void {
    this.unstage();
    const close = this.values === 0 ? EMPTY : CLOSE;
    this.put(close, 0, close.length);
  }
}
