// The JSON writer's staged path (a chunk's spans gathered with copyWithin into one buffer and
// handed on as one range) against its direct path (each span written as the scanner hands it
// over): same output bytes, same values, same errors, after rollbacks of invalid fragments, for
// every format, with chunks cut anywhere and the chunk buffer reused as the reader reuses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonScanner, JsonSyntaxError } from '../../dist/json/scan.js';
import { JsonWriter } from '../../dist/json/write.js';
import { KeyedWriter } from '../../dist/json/keyed.js';
import { largeChunks, seedOf } from '../../bench/generate.mjs';

const SEED = Number(process.env.FC_SEED ?? 20240601);
const opts = (numRuns) => ({ numRuns, seed: SEED, endOnFailure: false });

/** An in-memory output with the OutputTarget's append and rollback. */
function memoryOut() {
  let buf = Buffer.alloc(0);
  return {
    write(b, s = 0, e = b.length) {
      buf = Buffer.concat([buf, b.subarray(s, e)]);
    },
    get length() {
      return buf.length;
    },
    rollback(mark) {
      buf = buf.subarray(0, mark);
    },
    text: () => buf.toString('latin1'),
  };
}

/**
 * Run fragments through a writer as the json mode does: a mark per fragment, chunks cut at
 * `splits`, each copied into one reused buffer (as the reader does), a rollback on a syntax error.
 */
function aggregate(fragments, { staged, format = 'array', flatten = false, keyed = false }) {
  const out = memoryOut();
  const stageMin = staged ? 0 : Infinity;
  const writer = keyed ? new KeyedWriter(out, stageMin) : new JsonWriter(out, format, stageMin);
  const scanner = new JsonScanner(writer, { flatten });
  const reused = Buffer.alloc(Math.max(1, ...fragments.map((f) => f.buf.length)));
  const errors = [];
  fragments.forEach(({ buf, splits }, k) => {
    const mark = writer.mark();
    scanner.reset();
    try {
      if (keyed) writer.startFile(`f${k}.json`, `f${k}.json`);
      let prev = 0;
      for (const p of [...splits, buf.length]) {
        buf.copy(reused, 0, prev, p);
        writer.scan(scanner, reused.subarray(0, p - prev));
        reused.fill(0x21, 0, p - prev); // the next read overwrites the chunk
        prev = p;
      }
      scanner.finish();
      if (keyed) writer.endFile(`f${k}.json`, scanner.values, `f${k}.json`);
    } catch (error) {
      if (!(error instanceof JsonSyntaxError) && !/exactly one JSON value/.test(error.message)) throw error;
      writer.rollback(mark);
      errors.push({ k, message: error.message });
    }
  });
  writer.finish();
  return { output: out.text(), values: writer.values, errors };
}

/** A JSON text with random whitespace between tokens, from a generated value. */
const jsonText = fc
  .tuple(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 1, 2, '\t', ' \r\n'))
  .map(([v, indent]) => JSON.stringify(v, null, indent) ?? 'null');

/** Several texts in one fragment (the `jq -s` model), or one array, optionally corrupted. */
const fragment = fc
  .tuple(
    fc.array(jsonText, { minLength: 1, maxLength: 4 }),
    fc.constantFrom(' ', '\n', '\n\n  '),
    fc.option(fc.tuple(fc.nat(), fc.constantFrom(0x00, 0x22, 0x2c, 0x5d, 0x7d, 0x20, 0xff, 0x5c, 0x31)), { freq: 3 }),
    fc.array(fc.nat(), { maxLength: 5 }),
  )
  .map(([texts, sep, corrupt, cuts]) => {
    const buf = Buffer.from(texts.join(sep));
    if (corrupt !== null && buf.length > 0) buf[corrupt[0] % buf.length] = corrupt[1];
    const splits = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
    return { buf, splits };
  });

for (const mode of [{ format: 'array' }, { format: 'ndjson' }, { format: 'array', flatten: true }, { keyed: true }]) {
  test(`staged and direct writes agree: ${JSON.stringify(mode)}`, () => {
    fc.assert(
      fc.property(fc.array(fragment, { minLength: 1, maxLength: 5 }), (fragments) => {
        const direct = aggregate(fragments, { ...mode, staged: false });
        const staged = aggregate(fragments, { ...mode, staged: true });
        assert.deepEqual(staged, direct);
      }),
      opts(400),
    );
  });
}

test('staged and direct writes agree with a chunk cut at every position', () => {
  const texts = ['[{"a" : [1, -2.5e+3, "x\\u00e9\\n", true, false, null, {}, []]},\n "\u00e9\u2713"]', '{\n  "k": 1\n}', '[1,\n2,\n3]', '[1,\n2,,3]'];
  for (const t of texts) {
    const buf = Buffer.from(t);
    for (let p = 0; p <= buf.length; p++) {
      for (const mode of [{ format: 'array' }, { format: 'ndjson' }, { flatten: true, format: 'array' }]) {
        const fragments = [
          { buf, splits: [p] },
          { buf, splits: p > 0 ? [p - 1, p] : [] },
        ];
        assert.deepEqual(aggregate(fragments, { ...mode, staged: true }), aggregate(fragments, { ...mode, staged: false }), `${t} at ${p}`);
      }
    }
  }
});

test('a 3 MB fragment of records in 1 MiB chunks: staged output equals direct output, and is the input compacted', () => {
  const buf = Buffer.concat([...largeChunks(3e6, seedOf('large'))].map((c) => Buffer.from(c)));
  const splits = [];
  for (let p = 1 << 20; p < buf.length; p += 1 << 20) splits.push(p);
  const staged = aggregate([{ buf, splits }], { staged: true, format: 'array' });
  assert.deepEqual(staged, aggregate([{ buf, splits }], { staged: false, format: 'array' }));
  // The generator's only whitespace outside strings is the newline before each record.
  assert.equal(staged.output, '[' + buf.toString('latin1').replaceAll('\n', '') + ']\n');
});
