// Independent references for the JSON tests: a scanner driver, a whitespace compactor and a
// sequence parser built on JSON.parse (not on the code under test).
import { JsonScanner, JsonSyntaxError } from '../../dist/json/scan.js';

/**
 * Feed `buf` to a fresh JsonScanner in the given chunks (array of split points, or undefined for
 * one write). Returns { values: string[] (latin1 = raw bytes) } or { error: JsonSyntaxError }.
 */
export function scanBytes(buf, { splits, flatten = false, scanner } = {}) {
  const values = [];
  let cur = null;
  const sink = {
    begin() {
      if (cur !== null) throw new Error('begin() inside a value');
      cur = [];
    },
    bytes(b, s, e) {
      if (cur === null) throw new Error('bytes() outside a value');
      if (!(s >= 0 && s <= e && e <= b.length)) throw new Error(`bad span ${s}..${e} of ${b.length}`);
      cur.push(Buffer.from(b.subarray(s, e)));
    },
    end() {
      if (cur === null) throw new Error('end() outside a value');
      values.push(Buffer.concat(cur));
      cur = null;
    },
  };
  const sc = scanner ?? new JsonScanner(sink, { flatten });
  try {
    let prev = 0;
    for (const p of splits ?? []) {
      sc.write(buf.subarray(prev, p));
      prev = p;
    }
    sc.write(buf.subarray(prev));
    sc.finish();
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { error };
    throw error;
  }
  if (cur !== null) throw new Error('value left open after finish()');
  return { values };
}

/** A comparable summary of a scan result. */
export function outcome(r) {
  return r.error
    ? { error: { offset: r.error.offset, line: r.error.line, column: r.error.column, reason: r.error.reason } }
    : { values: r.values.map((b) => b.toString('hex')) };
}

/** Deterministic PRNG (mulberry32): the bench generator's, so tests and fixtures share one. */
export { prng as rng } from '../../bench/generate.mjs';

export function randomSplits(len, rand, count) {
  const s = new Set();
  for (let k = 0; k < count; k++) s.add(Math.floor(rand() * (len + 1)));
  return [...s].sort((x, y) => x - y);
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Remove JSON whitespace outside strings (string-aware, escape-aware), on bytes. */
export function compact(buf) {
  const out = [];
  let inStr = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inStr) {
      out.push(c);
      if (c === 0x5c) out.push(buf[++i]);
      else if (c === 0x22) inStr = false;
    } else if (!WS.has(c)) {
      out.push(c);
      if (c === 0x22) inStr = true;
    }
  }
  return Buffer.from(out);
}

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reference for the tool's input model: a fragment is a sequence of JSON values separated by
 * whitespace (jq -s), strict UTF-8, optional BOM at the very start, a top-level number or literal
 * must be followed by whitespace or the end. Built on JSON.parse: each value is the longest
 * prefix JSON.parse accepts. Returns { ok: true, values: [{ text, value }] } or { ok: false }.
 * Quadratic: for small inputs only.
 */
export function referenceSequence(buf) {
  let text;
  try {
    text = fatal.decode(buf);
  } catch {
    return { ok: false, why: 'invalid UTF-8' };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const isWs = (ch) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
  const values = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    while (i < n && isWs(text[i])) i++;
    if (i >= n) return { ok: true, values };
    let found = -1;
    let value;
    for (let j = n; j > i; j--) {
      if (isWs(text[j - 1])) continue; // the same value with trailing whitespace
      try {
        value = JSON.parse(text.slice(i, j));
        found = j;
        break;
      } catch {
        // shorter
      }
    }
    if (found < 0) return { ok: false, why: `no value at ${i}` };
    const first = text[i];
    const scalar = first !== '[' && first !== '{' && first !== '"';
    if (scalar && found < n && !isWs(text[found])) return { ok: false, why: `no whitespace after scalar at ${found}` };
    values.push({ text: text.slice(i, found), value });
    i = found;
  }
}
