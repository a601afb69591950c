/**
 * The one place that turns a file name into text: for messages on stderr, and for the `path`
 * fields of stats and manifests.
 *
 * A name is a byte string (Linux file names need not be UTF-8). In a message, a name that is
 * printable UTF-8 is shown as it is; any other is shown in bash's ANSI-C quoting, `$'...'`, as
 * GNU ls and tar do: every byte of a control character, of an invisible or bidirectional
 * formatting character, and of invalid UTF-8 is written as `\xHH` (`\n`, `\t`, `\r`, `\\`, `\'`
 * for the usual ones), so that a name can never forge an extra line or hide its real bytes, and
 * pasting it into a shell gives the exact name back.
 */
import { isUtf8 } from 'node:buffer';

type Name = Buffer | Uint8Array | string;

function bytesOf(name: Name): Buffer {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : Buffer.isBuffer(name) ? name : Buffer.from(name.buffer, name.byteOffset, name.byteLength);
}

/**
 * Code points that must not reach a terminal or log as they are: C0 and C1 controls, DEL, and
 * invisible or direction-changing format characters (soft hyphen, zero-width, bidi controls,
 * line/paragraph separators, BOM, interlinear annotations).
 */
const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/u;

/** A UTF-16 surrogate without its pair: no UTF-8 encoding exists. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const SIMPLE_ESCAPES: Record<number, string> = { 0x0a: '\\n', 0x09: '\\t', 0x0d: '\\r', 0x5c: '\\\\', 0x27: "\\'" };

function hex(byte: number): string {
  return '\\x' + byte.toString(16).padStart(2, '0');
}

/** Whether `name` can be shown as it is: valid UTF-8 with only printable characters. */
export function isPlainName(name: Name): boolean {
  // A plain name that starts like a quoted one would read as another name: quote it too.
  if (startsLikeQuoted(name)) return false;
  if (typeof name === 'string') return !UNSAFE_CHAR.test(name) && !LONE_SURROGATE.test(name);
  const bytes = bytesOf(name);
  if (!isUtf8(bytes)) return false;
  // ASCII fast path: most names are plain ASCII.
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b === 0x7f) return false;
    if (b >= 0x80) ascii = false;
  }
  return ascii || !UNSAFE_CHAR.test(bytes.toString('utf8'));
}

function startsLikeQuoted(name: Name): boolean {
  return typeof name === 'string' ? name.startsWith("$'") : name.length >= 2 && name[0] === 0x24 && name[1] === 0x27;
}

/** `name` for a message: as it is when plain, else `$'...'` with every unsafe byte escaped. */
export function quoteName(name: Name): string {
  if (isPlainName(name)) return typeof name === 'string' ? name : bytesOf(name).toString('utf8');
  const bytes = bytesOf(name);
  let out = "$'";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = sequenceLength(bytes, i);
    if (len === 0) {
      // Invalid UTF-8 byte.
      out += hex(b);
      i++;
      continue;
    }
    if (len === 1) {
      out += SIMPLE_ESCAPES[b] ?? (b < 0x20 || b === 0x7f ? hex(b) : String.fromCharCode(b));
      i++;
      continue;
    }
    const char = bytes.toString('utf8', i, i + len);
    if (UNSAFE_CHAR.test(char)) {
      for (let k = 0; k < len; k++) out += hex(bytes[i + k]!);
    } else {
      out += char;
    }
    i += len;
  }
  return out + "'";
}

/** A value typed for a flag, for a message: `'text'` when plain, else `$'...'` as quoteName writes it. */
export function quoteValue(value: string): string {
  if (!isPlainName(value)) return quoteName(value);
  // 'it's' would end at the second quote: $'it\'s', as quoteName escapes them.
  return value.includes("'") ? `$'${value.replace(/[\\']/g, '\\$&')}'` : `'${value}'`;
}

/** Length of the well-formed UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function sequenceLength(bytes: Buffer, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  let len: number;
  let min: number;
  let max = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) {
    len = 2;
    min = 0x80;
  } else if (b >= 0xe0 && b <= 0xef) {
    len = 3;
    min = b === 0xe0 ? 0xa0 : 0x80;
    if (b === 0xed) max = 0x9f; // no UTF-8-encoded surrogates
  } else if (b >= 0xf0 && b <= 0xf4) {
    len = 4;
    min = b === 0xf0 ? 0x90 : 0x80;
    if (b === 0xf4) max = 0x8f;
  } else {
    return 0;
  }
  if (i + len > bytes.length) return 0;
  const second = bytes[i + 1]!;
  if (second < min || second > max) return 0;
  for (let k = 2; k < len; k++) {
    const c = bytes[i + k]!;
    if (c < 0x80 || c > 0xbf) return 0;
  }
  return len;
}

/**
 * The name as it goes into stats and manifests (JSON): `path` is the name itself when it is
 * valid UTF-8 (JSON escapes any control character exactly); otherwise `path` is the quoted form
 * for people and `pathBase64` holds the exact bytes.
 */
export function nameFields(name: Name): { path: string; pathBase64?: string } {
  const bytes = bytesOf(name);
  if (typeof name === 'string' || isUtf8(bytes)) return { path: typeof name === 'string' ? name : bytes.toString('utf8') };
  return { path: quoteName(bytes), pathBase64: bytes.toString('base64') };
}
