// Property tests for the scanner (fast-check): generated JSON texts with random whitespace,
// exotic numbers and escapes, split into chunks and fragments; random byte mutations against a
// reference sequence parser built on JSON.parse; differential against stream-json 3.8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonParser } from 'stream-json/core/parser.js';
import { Assembler } from 'stream-json/core/assembler.js';
import { none, isMany, getManyValues } from 'stream-chain/core';
import { JsonScanner, JsonSyntaxError } from '../../dist/json/scan.js';
import { scanBytes, referenceSequence } from '../helpers/json-ref.js';

const SEED = Number(process.env.FC_SEED ?? 20240601);
const opts = (numRuns) => ({ numRuns, seed: SEED, endOnFailure: false });

// ---- generators: each node is { text (with whitespace), compact, value, scalar } -------------

const ws = fc.array(fc.constantFrom(' ', '\n', '\t', '\r', '  ', '\r\n'), { maxLength: 2 }).map((a) => a.join(''));

const digits = (min, max) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((a) => a.join(''));
const intPart = fc.oneof(
  fc.constant('0'),
  fc.tuple(fc.constantFrom(...'123456789'), digits(0, 25)).map(([a, b]) => a + b),
);
const numberText = fc
  .tuple(fc.boolean(), intPart, fc.option(digits(1, 25)), fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 4))))
  .map(([neg, i, frac, exp]) => (neg ? '-' : '') + i + (frac === null ? '' : '.' + frac) + (exp === null ? '' : exp.join('')));
const exoticNumber = fc.constantFrom(
  '12345678901234567890',
  '-12345678901234567890',
  '1E400',
  '-1e-400',
  '0.1000000000000000055511151231257827',
  '-0',
  '0e0',
  '1e+0',
  '-0.0E-0',
);

const numberNode = fc.oneof(numberText, exoticNumber).map((t) => ({ text: t, compact: t, value: JSON.parse(t), scalar: true }));
const literalNode = fc.constantFrom('true', 'false', 'null').map((t) => ({ text: t, compact: t, value: JSON.parse(t), scalar: true }));

const SHORT = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '/': '\\/' };
const hex4 = (u, upper) => {
  const h = u.toString(16).padStart(4, '0');
  return '\\u' + (upper ? h.toUpperCase() : h);
};
/** Serialize a JS string with a random choice of raw / short escape / \u escape per code unit. */
function encodeString(s, choices) {
  let out = '"';
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    const choice = choices[k++ % choices.length];
    const pair = u >= 0xd800 && u <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const lone = !pair && u >= 0xd800 && u <= 0xdfff;
    const mustEscape = u < 0x20 || u === 0x22 || u === 0x5c || lone;
    if (pair) {
      // an astral character: raw (4 UTF-8 bytes) or as an escaped surrogate pair
      out += choice === 0 ? s[i] + s[i + 1] : hex4(u, choice === 2) + hex4(s.charCodeAt(i + 1), choice === 3);
      i++;
    } else if (choice === 0 && !mustEscape) out += s[i];
    else if (choice === 1 && SHORT[s[i]] !== undefined) out += SHORT[s[i]];
    else out += hex4(u, choice === 2);
  }
  return out + '"';
}
const jsString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '€', '\u{1F600}', '"', '\\', '/', '\n', '\u0000', '\u001f', '\ud800', '\udfff', '\u2028'), maxLength: 10 }),
);
const stringNode = fc.tuple(jsString, fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 })).map(([s, ch]) => {
  const t = encodeString(s, ch);
  return { text: t, compact: t, value: s, scalar: false };
});

function objectValue(entries) {
  const o = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const { node } = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberNode,
    literalNode,
    stringNode,
    tie('array'),
    tie('object'),
    fc.jsonValue({ maxDepth: 2 }).map((v) => {
      const t = JSON.stringify(v);
      return { text: t, compact: t, value: JSON.parse(t), scalar: typeof v === 'number' || typeof v === 'boolean' || v === null };
    }),
  ),
  array: fc.tuple(fc.array(fc.tuple(ws, tie('node'), ws), { maxLength: 5 }), ws).map(([items, inner]) => ({
    text: '[' + (items.length ? items.map(([a, n, b]) => a + n.text + b).join(',') : inner) + ']',
    compact: '[' + items.map(([, n]) => n.compact).join(',') + ']',
    value: items.map(([, n]) => n.value),
    scalar: false,
  })),
  object: fc.tuple(fc.array(fc.tuple(ws, stringNode, ws, ws, tie('node'), ws), { maxLength: 4 }), ws).map(([items, inner]) => ({
    text: '{' + (items.length ? items.map(([a, k, b, c, v, d]) => a + k.text + b + ':' + c + v.text + d).join(',') : inner) + '}',
    compact: '{' + items.map(([, k, , , v]) => k.compact + ':' + v.compact).join(',') + '}',
    value: objectValue(items.map(([, k, , , v]) => [k.value, v.value])),
    scalar: false,
  })),
}));

/** A fragment: values separated by whitespace (required after a scalar), optional BOM. */
const fragment = fc.tuple(fc.boolean(), ws, fc.array(fc.tuple(node, ws), { maxLength: 5 })).map(([bom, lead, items]) => {
  let text = (bom ? '\ufeff' : '') + lead;
  items.forEach(([n, sep], i) => {
    text += n.text;
    if (i < items.length - 1 && n.scalar && sep === '') sep = ' ';
    text += sep;
  });
  return { buf: Buffer.from(text, 'utf8'), nodes: items.map(([n]) => n) };
});

const withSplits = (arb) =>
  arb.chain((f) =>
    fc.tuple(
      fc.constant(f),
      fc.uniqueArray(fc.integer({ min: 0, max: f.buf.length }), { maxLength: 6 }).map((a) => a.sort((x, y) => x - y)),
    ),
  );

// ---- properties -----------------------------------------------------------------------------

test('generated fragments: exact values, byte-exact compact text, any chunking', () => {
  fc.assert(
    fc.property(withSplits(fragment), ([f, splits]) => {
      const r = scanBytes(f.buf, { splits });
      if (r.error) throw new Error(`rejected ${JSON.stringify(f.buf.toString())}: ${r.error.message}`);
      assert.equal(r.values.length, f.nodes.length);
      r.values.forEach((v, i) => {
        assert.equal(v.toString('utf8'), f.nodes[i].compact, 'byte-exact compact serialization');
        assert.deepEqual(JSON.parse(v.toString('utf8')), f.nodes[i].value);
      });
    }),
    opts(700),
  );
});

test('several fragments through one reused scanner give the concatenated sequence (file boundaries hold)', () => {
  fc.assert(
    fc.property(fc.array(fragment, { minLength: 1, maxLength: 5 }), (frags) => {
      const out = [];
      let cur;
      const sc = new JsonScanner({
        begin: () => (cur = []),
        bytes: (b, s, e) => cur.push(Buffer.from(b.subarray(s, e))),
        end: () => out.push(Buffer.concat(cur).toString('utf8')),
      });
      for (const f of frags) {
        sc.reset();
        // no trailing whitespace guaranteed: a fragment ending in a number must not glue to the next
        sc.write(f.buf);
        sc.finish();
      }
      assert.deepEqual(
        out,
        frags.flatMap((f) => f.nodes.map((n) => n.compact)),
      );
    }),
    opts(300),
  );
});

test('"1" and "2" as separate fragments are two values, not 12', () => {
  const out = [];
  let cur;
  const sc = new JsonScanner({
    begin: () => (cur = []),
    bytes: (b, s, e) => cur.push(Buffer.from(b.subarray(s, e))),
    end: () => out.push(Buffer.concat(cur).toString()),
  });
  for (const t of ['1', '2', 'true', '-3.5e2']) {
    sc.reset();
    sc.write(Buffer.from(t));
    sc.finish();
  }
  assert.deepEqual(out, ['1', '2', 'true', '-3.5e2']);
});

const mutation = fc.oneof(
  fc.record({
    op: fc.constant('insert'),
    at: fc.nat(),
    byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...Buffer.from(' ,:[]{}"\\-+.eE0019tfn\n'))),
  }),
  fc.record({ op: fc.constant('delete'), at: fc.nat() }),
  fc.record({
    op: fc.constant('replace'),
    at: fc.nat(),
    byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...Buffer.from(' ,:[]{}"\\-+.eE0019tfn\n'))),
  }),
);
function mutate(buf, muts) {
  let b = Buffer.from(buf);
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % (b.length + (m.op === 'insert' ? 1 : 0));
    if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
    else if (b.length === 0) continue;
    else if (m.op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else b[at] = m.byte;
  }
  return b;
}
const smallFragment = fragment.filter((f) => f.buf.length <= 160);
const mutated = fc.tuple(smallFragment, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([f, m]) => mutate(f.buf, m));

test('random byte mutations: accepted exactly when the reference accepts, same values; else a positioned error', () => {
  let accepted = 0;
  let rejected = 0;
  fc.assert(
    fc.property(withSplits(mutated.map((buf) => ({ buf }))), ([{ buf }, splits]) => {
      const ref = referenceSequence(buf);
      let r;
      try {
        r = scanBytes(buf, { splits });
      } catch (error) {
        throw new Error(`crash on ${buf.toString('hex')}: ${error.stack}`, { cause: error });
      }
      if (ref.ok) {
        accepted++;
        assert.ok(!r.error, `reference accepts ${JSON.stringify(buf.toString('latin1'))}, scanner says ${r.error?.message}`);
        assert.deepEqual(
          r.values.map((v) => JSON.parse(v.toString('utf8'))),
          ref.values.map((v) => v.value),
        );
        for (const v of r.values) assert.doesNotMatch(v.toString('utf8').replace(/"(?:[^"\\]|\\.)*"/g, '""'), /[ \t\r\n]/);
      } else {
        rejected++;
        assert.ok(r.error instanceof JsonSyntaxError, `reference rejects (${ref.why}) ${JSON.stringify(buf.toString('latin1'))}, scanner accepts`);
        assert.ok(r.error.offset >= 0 && r.error.offset <= buf.length, `offset ${r.error.offset} outside 0..${buf.length}`);
        assert.ok(r.error.line >= 1 && r.error.column >= 1);
      }
    }),
    opts(1000),
  );
  // Both branches must have been exercised for the property to mean something.
  assert.ok(accepted > 50 && rejected > 200, `accepted ${accepted}, rejected ${rejected}`);
});

// ---- differential against stream-json 3.8 ---------------------------------------------------

/** All top-level values of `text` by stream-json's tokenizer in JSON Streaming mode. */
function streamJson(text, chunks) {
  const p = jsonParser({ jsonStreaming: true, streamValues: false });
  const asm = new Assembler();
  const out = [];
  const feed = (r) => {
    if (r === none) return;
    for (const t of isMany(r) ? getManyValues(r) : [r]) {
      const v = asm.tapChain(t);
      if (v !== none) out.push(v);
    }
  };
  let prev = 0;
  for (const c of chunks) {
    feed(p(text.slice(prev, c)));
    prev = c;
  }
  feed(p(text.slice(prev)));
  feed(p(none));
  return out;
}

test('differential: stream-json agrees on the values of generated fragments', () => {
  fc.assert(
    fc.property(withSplits(fragment), ([f, splits]) => {
      const text = f.buf.toString('utf8').replace(/^\ufeff/, '');
      const theirs = streamJson(
        text,
        splits.filter((s) => s <= text.length),
      );
      const ours = scanBytes(f.buf).values.map((v) => JSON.parse(v.toString('utf8')));
      assert.deepEqual(ours, theirs);
    }),
    opts(400),
  );
});

test('differential: on mutated valid-UTF-8 inputs, stream-json and the scanner agree where stream-json is strict', () => {
  let compared = 0;
  fc.assert(
    fc.property(mutated, (buf) => {
      let text;
      try {
        text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
      } catch {
        return; // stream-json decodes leniently: not comparable
      }
      if (text.startsWith('\ufeff')) return;
      let theirs;
      try {
        theirs = { values: streamJson(text, []) };
      } catch (e) {
        theirs = { error: e.message };
      }
      const r = scanBytes(buf);
      const ours = r.error ? { error: r.error.message } : { values: r.values.map((v) => JSON.parse(v.toString('utf8'))) };
      // Known, documented difference: stream-json splits adjacent scalars without whitespace
      // (`1"x"`, `true[]`), which this tool rejects (a top-level scalar needs whitespace after it).
      if (ours.error && theirs.values && !referenceSequence(buf).ok) return;
      compared++;
      if (theirs.error) assert.ok(ours.error, `stream-json rejects (${theirs.error}) but the scanner accepts ${JSON.stringify(text)}`);
      else assert.deepEqual(ours, theirs, JSON.stringify(text));
    }),
    opts(600),
  );
  assert.ok(compared > 150, `only ${compared} comparable cases`);
});

test('whitespace-heavy documents of 64 KiB and more (chunks the WebAssembly kernel takes): exact compact text and values, against JSON.parse', () => {
  // Runs of spaces, tabs, LF and CRLF, long ones too, between every token of generated nodes.
  const heavy = fc
    .array(fc.constantFrom(' ', '  ', '\t', '\n', '\r\n', '\r\n    ', '\n\t\t', ' '.repeat(20), '\r\n'.repeat(9)), { maxLength: 3 })
    .map((a) => a.join(''));
  const item = fc.tuple(heavy, node, heavy);
  fc.assert(
    fc.property(fc.array(item, { minLength: 1, maxLength: 12 }), fc.integer(), ([...items], seed) => {
      // Repeat the items up to 70 KB: an array of them, whitespace around every element.
      let text = '[';
      const compact = [];
      for (let k = 0; text.length < 70_000; k++) {
        const [a, n, b] = items[k % items.length];
        text += (k ? ',' : '') + a + n.text + b;
        compact.push(n.compact);
      }
      text += '\r\n]';
      const buf = Buffer.from(text, 'utf8');
      // Chunks of at least 64 KiB go to the kernel: one whole, or a big one and small ones.
      const cut = 65_536 + (Math.abs(seed) % (buf.length - 65_536));
      for (const splits of [[], [cut], [cut, Math.min(buf.length, cut + 7)]]) {
        const r = scanBytes(buf, { splits });
        if (r.error) throw new Error(`rejected: ${r.error.message}`);
        assert.equal(r.values.length, 1);
        const out = r.values[0].toString('utf8');
        assert.equal(out, '[' + compact.join(',') + ']', 'byte-exact compact serialization');
        assert.deepEqual(JSON.parse(out), JSON.parse(text));
      }
    }),
    opts(60),
  );
});
