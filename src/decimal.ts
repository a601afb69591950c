/**
 * Numbers on the command line as people write them, one rule for every numeric flag
 * (--concurrency, --level, --expect, --shard, --max-missing, --max-invalid).
 *
 * Only plain decimal digits: no sign, no exponent (1e3), no hex/octal/binary prefix (0x10, 0o7,
 * 0b1), no separators (1_000), no Infinity or NaN, and no leading zero (08 reads as octal to C
 * and to shells, 8 to JavaScript: ambiguous, so refused). Surrounding whitespace is ignored (an
 * Argo parameter read from a file may end in a newline).
 */

/** How messages say what decimal.ts accepts. */
export const PLAIN_DECIMAL = 'plain decimal digits without a leading zero';

/** The integer `text` spells, or undefined when it is not plain decimal digits (or beyond 2^53). */
export function decimalInteger(text: string): number | undefined {
  const t = text.trim();
  if (!/^(?:0|[1-9][0-9]*)$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

const FRACTION = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/** A number with an optional fraction after plain decimal digits (`5`, `0.5`), else undefined. */
export function decimalNumber(text: string): number | undefined {
  const t = text.trim();
  return FRACTION.test(t) ? Number(t) : undefined;
}

/** `P%` with P a decimalNumber (`5%`, `0.5%`), else undefined. */
export function decimalPercent(text: string): number | undefined {
  const t = text.trim();
  return t.endsWith('%') && FRACTION.test(t.slice(0, -1)) ? Number(t.slice(0, -1)) : undefined;
}
