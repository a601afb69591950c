/**
 * How --schema reads a value's numbers: as JSON.parse does (the nearest double), except where
 * that would change a number's JSON type. The output is never touched: this is only what the
 * validator sees.
 *
 * - An integer stays an integer whatever its size: 12345678901234567890 is read as the (integral)
 *   nearest double, 1E400 as Infinity (ajv runs with strictNumbers off, so it is a number, and an
 *   integer).
 * - A number with a fractional part whose nearest double is integral (1.0000000000000000001,
 *   1E-400) is read as the next double towards its exact value instead (1.0000000000000002,
 *   5e-324), which is not integral: `type: "integer"` refuses it, and `exclusiveMinimum: 1` (or 0)
 *   accepts it, as its exact value would. Past 2^52 no double has a fractional part, so
 *   4503599627370496.5 is read as an integer: that one case stays wrong.
 *
 * Finding those literals costs a regular expression or two over each value's text: a literal
 * can only be misread when it has a 3-digit exponent, or 17 or more characters of digits and
 * point with a point or an exponent (a decimal of at most 16 significant digits in the normal
 * range never rounds to an integer; a plain integer is never misread). Text inside strings can
 * match too (a hex digest's "e123"): then the value takes the slower path for nothing.
 */

/**
 * A 3-digit exponent, or a run of 17 or more digits and points (with the exponent mark after it).
 * The lookbehind starts a run only at its first character: without it the engine retried at every
 * digit of every shorter run (~40% of --schema's time on records full of numbers).
 */
const CANDIDATE = /[eE][+-]?\d{3}|(?<![\d.])[\d.]{17,}[eE]?/g;

/** Could hold a number whose nearest double is integral although it is not (over-approximated). */
function suspect(text: string): boolean {
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const run = m[0];
    const last = run.charCodeAt(run.length - 1);
    // An exponent (the first alternative, or a long run ending in e/E), or a point in the run.
    if ((last | 0x20) !== 0x65 && (run.charCodeAt(0) | 0x20) !== 0x65 && !run.includes('.')) continue;
    // The whole literal around the match: most (0.30000000000000004) need no stand-in.
    let start = m.index;
    while (start > 0 && IN_NUMBER[text.charCodeAt(start - 1)] === 1) start--;
    let end = m.index + run.length;
    while (end < text.length && IN_NUMBER[text.charCodeAt(end)] === 1) end++;
    const literal = text.slice(start, end);
    if (NUMBER.test(literal) && standIn(literal) !== literal) return true;
    CANDIDATE.lastIndex = end;
  }
  return false;
}

/** The characters of a number literal. */
const IN_NUMBER = (() => {
  const t = new Uint8Array(128);
  for (const c of '0123456789+-.eE') t[c.charCodeAt(0)] = 1;
  return t;
})();

/** A string (skipped as it is) or a number, in compact valid JSON. */
const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*/g;

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** The value of `text` (one valid JSON value) as the validator sees it. */
export function parseForSchema(text: string): unknown {
  if (!suspect(text)) return JSON.parse(text);
  return JSON.parse(text.replace(TOKEN, (token) => (token.charCodeAt(0) === 0x22 ? token : standIn(token))));
}

/** `literal`, or the text of the double that stands in for it (see above). */
export function standIn(literal: string): string {
  const d = Number(literal);
  if (!Number.isFinite(d) || !Number.isInteger(d) || Math.abs(d) >= 2 ** 52) return literal;
  const m = NUMBER.exec(literal)!;
  const negative = m[1] === '-';
  const digits = m[2]! + (m[3] ?? '');
  // Where the decimal point falls in `digits` once the exponent is applied.
  const point = m[2]!.length + (m[4] === undefined ? 0 : Number(m[4]));
  if (!/[1-9]/.test(digits.slice(Math.max(0, point)))) return literal; // an integer: d is exact enough
  return String(nextAfter(d, above(digits, point, d) !== negative ? 1 : -1));
}

/** Whether |literal| > |d|, for a literal with a fractional part and an integral d. */
function above(digits: string, point: number, d: number): boolean {
  if (d === 0) return true;
  const whole = digits.slice(0, Math.max(0, point)).replace(/^0+/, '');
  const nearest = BigInt(Math.abs(d)).toString();
  // Equal whole parts: the literal's fraction makes it the larger.
  return whole.length !== nearest.length ? whole.length > nearest.length : whole >= nearest;
}

const bits = new Float64Array(1);
const word = new BigInt64Array(bits.buffer);

/** The double next to `d` (finite) in direction `dir` (1 up, -1 down). */
export function nextAfter(d: number, dir: 1 | -1): number {
  if (d === 0) return dir * Number.MIN_VALUE;
  bits[0] = d;
  word[0] = word[0]! + (d > 0 === dir > 0 ? 1n : -1n);
  return bits[0];
}
