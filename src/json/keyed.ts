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
import { PackedNames } from '../names.js';
import { quoteName } from '../quote.js';
import { JsonWriter, type Appendable } from './write.js';

const OPEN = Buffer.from('{');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from('}\n');
const EMPTY = Buffer.from('{}\n');

type Name = Buffer | string;

/** Length of the key in `rel`: the path without its extension (a dot starting the base name is kept). */
export function keyLength(rel: Buffer): number {
  let dot = -1;
  let i = rel.length - 1;
  for (; i >= 0; i--) {
    const b = rel[i]!;
    if (b === 0x2f) break;
    if (b === 0x2e && dot < 0) dot = i;
  }
  return dot <= i + 1 ? rel.length : dot;
}

/**
 * Writes `"key":` for the first `keyEnd` bytes of `rel` into `out` from `at`, straight from the
 * bytes when they need no escape (valid UTF-8 without '"', '\\' or a control character: what
 * JSON.stringify would give, encoded); returns the end, or -1 when the key is not valid UTF-8.
 * `out` must hold `keyEnd * 6 + 3` bytes from `at` (every byte a `\u00XX` escape).
 */
export function writeKey(rel: Buffer, keyEnd: number, out: Buffer, at: number): number {
  let plain = true;
  let ascii = true;
  for (let i = 0; i < keyEnd; i++) {
    const b = rel[i]!;
    if (b < 0x20 || b === 0x22 || b === 0x5c) plain = false;
    else if (b >= 0x80) ascii = false;
  }
  if (!ascii && !isUtf8(rel.subarray(0, keyEnd))) return -1;
  if (!plain) return at + out.write(JSON.stringify(rel.toString('utf8', 0, keyEnd)) + ':', at, 'utf8');
  out[at++] = 0x22;
  if (keyEnd < 64) {
    for (let i = 0; i < keyEnd; i++) out[at++] = rel[i]!;
  } else {
    at += rel.copy(out, at, 0, keyEnd);
  }
  out[at++] = 0x22;
  out[at++] = 0x3a;
  return at;
}

/** Whether `rel` after `keyEnd` is the bytes of `ext`. */
function hasExtension(rel: Buffer, keyEnd: number, ext: Buffer): boolean {
  if (rel.length - keyEnd !== ext.length) return false;
  for (let i = 0; i < ext.length; i++) if (rel[keyEnd + i] !== ext[i]) return false;
  return true;
}

/** The key of `rel` as a Map key: its bytes as latin1, one character per byte, so exact. */
function keyId(rel: Buffer, keyEnd: number): string {
  return rel.toString('latin1', 0, keyEnd);
}

export class KeyedWriter extends JsonWriter {
  /** `"key":` of the current fragment, in a buffer reused across fragments. */
  private scratch = Buffer.allocUnsafe(4096);
  private keyLength = 0;
  /** The current fragment's name and the length of its key in it. */
  private rel: Buffer = Buffer.alloc(0);
  private keyEnd = 0;
  /**
   * Keys taken so far -> the file that took each. Files with the same extension (or all without
   * one) cannot share a key, as their paths differ: while every file has the first one's
   * extension, the accepted files are only listed, and the map is built when another extension
   * first appears (hashing every key cost ~3% of a run over 100k tiny files). The list is packed:
   * holding a Buffer per file cost ~8% of that run's CPU (100k objects kept alive through GC).
   */
  private taken: Map<string, Buffer> | undefined;
  private accepted: PackedNames | undefined = new PackedNames();
  /** The extension of the first file (with its dot; empty for none). */
  private ext: Buffer | undefined;

  constructor(out: Appendable, stageMin?: number) {
    super(out, 'array', stageMin);
  }

  /** Set the key for `rel`'s value; throws InvalidInputError when it cannot be used. */
  startFile(name: Name, file: Buffer | string): void {
    const rel = typeof name === 'string' ? Buffer.from(name) : name;
    const keyEnd = keyLength(rel);
    const max = keyEnd * 6 + 3;
    if (max > this.scratch.length) this.scratch = Buffer.allocUnsafe(max);
    const end = writeKey(rel, keyEnd, this.scratch, 0);
    if (end < 0) {
      throw new InvalidInputError(
        file,
        `--key-by path: the name ${quoteName(rel.subarray(0, keyEnd))} is not valid UTF-8, so no JSON string can hold it exactly; rename the file`,
        undefined,
        'key',
      );
    }
    if (this.taken === undefined) {
      if (this.ext === undefined) this.ext = Buffer.from(rel.subarray(keyEnd));
      else if (!hasExtension(rel, keyEnd, this.ext)) this.taken = this.takenSoFar();
    }
    const other = this.taken?.get(keyId(rel, keyEnd));
    if (other !== undefined) {
      throw new InvalidInputError(
        file,
        `--key-by path: key ${quoteName(rel.subarray(0, keyEnd))} is already taken by ${quoteName(other)}; two fragments cannot share a key`,
        undefined,
        'key',
      );
    }
    this.rel = rel;
    this.keyEnd = keyEnd;
    this.keyLength = end;
  }

  /** The fragment is in: its key is taken (rejected fragments leave their key free). */
  endFile(_rel: Name, values: number, file: Buffer | string): void {
    if (values !== 1) {
      throw new InvalidInputError(file, `--key-by path needs exactly one JSON value per fragment, this one holds ${values}`, undefined, 'key');
    }
    if (this.taken) this.taken.set(keyId(this.rel, this.keyEnd), this.rel);
    else this.accepted!.pushBytes(this.rel, 0, this.rel.length);
  }

  /** The keys of the files accepted so far, from the packed list (which is then dropped). */
  private takenSoFar(): Map<string, Buffer> {
    const accepted = this.accepted!;
    const taken = new Map<string, Buffer>();
    for (let i = 0; i < accepted.length; i++) {
      const r = Buffer.from(accepted.name(i));
      taken.set(keyId(r, keyLength(r)), r);
    }
    this.accepted = undefined;
    return taken;
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
