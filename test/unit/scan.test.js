// The streaming scanner against the JSONTestSuite corpus (nst/JSONTestSuite, MIT), chunk-split
// invariance, and error positions. References: JSON.parse, a string-aware whitespace stripper
// (test/helpers/json-ref.js) and, for i_ files, a strict UTF-8 decoder.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonScanner, JsonSyntaxError } from '../../dist/json/scan.js';
import { scanBytes, outcome, rng, randomSplits, compact } from '../helpers/json-ref.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Vendored in the repository (test/fixtures/README.md has its origin and license). A missing
// corpus fails these tests: a skipped conformance suite would look like a passing one.
const CORPUS = path.resolve(here, '../fixtures/JSONTestSuite/test_parsing');
const files = fs
  .readdirSync(CORPUS)
  .filter((f) => f.endsWith('.json'))
  .sort();
const read = (f) => fs.readFileSync(path.join(CORPUS, f));
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const decode = (buf) => {
  const t = utf8.decode(buf);
  return t.charCodeAt(0) === 0xfeff ? t.slice(1) : t;
};

/** n_ files that are valid value sequences under jq -s semantics, with their expected values. */
const SEQUENCES = {
  'n_structure_double_array.json': [[], []],
  'n_single_space.json': [],
  'n_structure_no_data.json': [],
  'n_structure_UTF8_BOM_no_data.json': [],
  'n_structure_object_with_trailing_garbage.json': [{ a: true }, 'x'],
};

describe('JSONTestSuite corpus', () => {
  test('corpus is complete enough to mean something', () => {
    const count = (p) => files.filter((f) => f.startsWith(p)).length;
    assert.ok(count('y_') >= 90, `y_: ${count('y_')}`);
    assert.ok(count('n_') >= 180, `n_: ${count('n_')}`);
    assert.ok(count('i_') >= 30, `i_: ${count('i_')}`);
  });

  test('every y_ file is accepted as one value, JSON.parse-equal and byte-exact after compaction', () => {
    for (const f of files.filter((x) => x.startsWith('y_'))) {
      const buf = read(f);
      const r = scanBytes(buf);
      assert.ok(!r.error, `${f}: rejected: ${r.error?.message}`);
      assert.equal(r.values.length, 1, `${f}: ${r.values.length} values`);
      const expected = JSON.parse(decode(buf));
      assert.deepEqual(JSON.parse(r.values[0].toString('utf8')), expected, f);
      // Copied byte for byte, whitespace outside strings dropped (a BOM is not part of the value).
      const body = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
      assert.ok(r.values[0].equals(compact(body)), `${f}: not byte-exact: ${r.values[0].toString('latin1')}`);
    }
  });

  test('every n_ file is rejected, except the valid value sequences', () => {
    for (const f of files.filter((x) => x.startsWith('n_'))) {
      if (f in SEQUENCES) continue;
      const buf = read(f);
      const r = scanBytes(buf);
      assert.ok(r.error, `${f}: accepted as ${JSON.stringify(r.values?.map((v) => v.toString('latin1')))}`);
      assert.ok(r.error.offset >= 0 && r.error.offset <= buf.length, `${f}: offset ${r.error.offset} outside 0..${buf.length}`);
    }
  });

  for (const [f, expected] of Object.entries(SEQUENCES)) {
    test(`n_ exception ${f} is a valid sequence of ${expected.length} value(s)`, () => {
      const r = scanBytes(read(f));
      assert.ok(!r.error, `${f}: ${r.error?.message}`);
      assert.deepEqual(
        r.values.map((v) => JSON.parse(v.toString('utf8'))),
        expected,
      );
    });
  }

  test('i_ files: the documented decisions', () => {
    const seen = { numbers: 0, surrogateEscapes: 0, badEncoding: 0 };
    for (const f of files.filter((x) => x.startsWith('i_'))) {
      const buf = read(f);
      const r = scanBytes(buf);
      let text;
      try {
        text = decode(buf);
      } catch {
        text = undefined;
      }
      if (f.startsWith('i_number_')) {
        // Big / tiny / huge-exponent numbers: accepted, copied byte for byte (never rounded).
        seen.numbers++;
        assert.ok(!r.error, `${f}: ${r.error?.message}`);
        assert.equal(r.values[0].toString('latin1'), compact(buf).toString('latin1'), f);
      } else if (text === undefined || /utf16|UTF-16/.test(f)) {
        // Not UTF-8 (invalid sequences, overlong forms, encoded surrogates, Latin-1, UTF-16).
        seen.badEncoding++;
        assert.ok(r.error, `${f}: accepted although not strict UTF-8 JSON`);
      } else if (/surrogate/i.test(f)) {
        // Lone / inverted / incomplete surrogate ESCAPES are valid JSON text (RFC 8259 grammar).
        seen.surrogateEscapes++;
        assert.ok(!r.error, `${f}: ${r.error?.message}`);
        assert.ok(/\\u[dD][89a-fA-F]/.test(text), `${f}: expected a surrogate escape in the file`);
        assert.deepEqual(
          r.values.map((v) => JSON.parse(v.toString('utf8'))),
          [JSON.parse(text)],
          f,
        );
        assert.ok(r.values[0].equals(compact(buf)), f);
      } else {
        // Remaining: 500 nested arrays, BOM + empty object: accepted like JSON.parse does.
        assert.ok(!r.error, `${f}: ${r.error?.message}`);
        assert.deepEqual(
          r.values.map((v) => JSON.parse(v.toString('utf8'))),
          [JSON.parse(text)],
          f,
        );
      }
    }
    assert.ok(seen.numbers >= 10 && seen.surrogateEscapes >= 8 && seen.badEncoding >= 12, JSON.stringify(seen));
  });

  test('specific i_ decisions by name', () => {
    const accepted = (f) => !scanBytes(read(f)).error;
    for (const f of [
      'i_string_UTF8_surrogate_U+D800.json', // ED A0 80: an encoded surrogate
      'i_string_overlong_sequence_2_bytes.json',
      'i_string_truncated-utf-8.json',
      'i_string_iso_latin_1.json',
      'i_string_UTF-16LE_with_BOM.json',
      'i_string_utf16BE_no_BOM.json',
    ])
      assert.equal(accepted(f), false, f);
    for (const f of ['i_string_invalid_lonely_surrogate.json', 'i_string_lone_second_surrogate.json', 'i_object_key_lone_2nd_surrogate.json'])
      assert.equal(accepted(f), true, f);
    assert.equal(scanBytes(read('i_number_too_big_pos_int.json')).values[0].toString(), '[100000000000000000000]');
  });

  test('chunk-split invariance: 1 byte at a time and random splits give the same outcome', () => {
    const rand = rng(0x5eed);
    for (const f of files) {
      const buf = read(f);
      const whole = outcome(scanBytes(buf));
      const bytewise = outcome(scanBytes(buf, { splits: Array.from({ length: buf.length }, (_, i) => i) }));
      assert.deepEqual(bytewise, whole, `${f}: byte at a time`);
      for (let k = 0; k < 5; k++) {
        const splits = randomSplits(buf.length, rand, 1 + Math.floor(rand() * 6));
        assert.deepEqual(outcome(scanBytes(buf, { splits })), whole, `${f}: splits ${splits}`);
      }
    }
  });

  test('a reused scanner (reset between fragments) gives the same outcome as a fresh one', () => {
    let values = [];
    let cur;
    const sc = new JsonScanner({
      begin: () => (cur = []),
      bytes: (b, s, e) => cur.push(Buffer.from(b.subarray(s, e))),
      end: () => values.push(Buffer.concat(cur)),
    });
    let prev;
    for (const f of files) {
      const buf = read(f);
      // Feed half of the previous file first and abandon it, as mode.ts does after an error.
      if (prev !== undefined) {
        try {
          sc.write(prev.subarray(0, prev.length >> 1));
        } catch {
          // an error halfway: abandoned all the same
        }
      }
      prev = buf;
      values = [];
      sc.reset();
      const r = scanBytes(buf, { scanner: sc });
      const got = r.error ? outcome(r) : { values: values.map((b) => b.toString('hex')) };
      assert.deepEqual(got, outcome(scanBytes(buf)), f);
    }
  });
});

describe('error positions (line, 1-based byte column, 0-based byte offset)', () => {
  const cases = [
    // [input, offset, line, column, reason pattern]
    ['[1,]', 3, 1, 4, /unexpected '\]'/],
    ['{"a":1,\n  "b":tru}', 17, 2, 10, /literal/],
    ['["\u00e9", 01]', 8, 1, 9, /leading zero/], // é is 2 bytes: the column counts bytes
    ['[\r\n1\r\n,]', 7, 3, 2, /unexpected '\]'/],
    ['{"a": [1, 2', 11, 1, 12, /unexpected end of input/],
    ['\ufeff[1,]', 6, 1, 7, /unexpected '\]'/],
    ['1\n2\n[x]', 5, 3, 2, /unexpected 'x'/],
    ['[NaN]', 1, 1, 2, /unexpected 'N'/],
    ['[1] // c', 4, 1, 5, /unexpected '\/'/],
    ['["a\tb"]', 3, 1, 4, /control character/],
    ['1 2 3x', 5, 1, 6, /whitespace between values/],
    ['"abc', 4, 1, 5, /end of input inside a string/],
    ['\n\n\n', null, null, null, null],
  ];
  for (const [input, offset, line, column, reason] of cases) {
    test(JSON.stringify(input), () => {
      const buf = Buffer.from(input);
      const r = scanBytes(buf);
      if (offset === null) {
        assert.ok(!r.error, r.error?.message);
        return;
      }
      assert.ok(r.error instanceof JsonSyntaxError, 'expected a JsonSyntaxError');
      assert.deepEqual([r.error.offset, r.error.line, r.error.column], [offset, line, column], r.error.message);
      assert.match(r.error.reason, reason);
      assert.match(r.error.message, new RegExp(`${line}:${column} \\(byte offset ${offset}\\)`));
    });
  }

  test('invalid UTF-8 positions point at the offending byte', () => {
    const cases = [
      [Buffer.from([0x5b, 0x22, 0xc0, 0x80, 0x22, 0x5d]), 2], // overlong NUL: C0 never starts a character
      [Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), 2], // encoded surrogate: A0 cannot follow ED
      [Buffer.from([0x22, 0xe2, 0x82, 0x22]), 3], // truncated 3-byte sequence: the quote
      [Buffer.from([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]), 2], // above U+10FFFF: 90 cannot follow F4
      [Buffer.from([0x22, 0xe0, 0x9f, 0xbf, 0x22]), 2], // overlong 3-byte form
      [Buffer.from([0x0a, 0x22, 0x61, 0xff, 0x22]), 3],
    ];
    for (const [buf, off] of cases) {
      const r = scanBytes(buf);
      assert.ok(r.error, buf.toString('hex'));
      assert.equal(r.error.offset, off, `${buf.toString('hex')}: ${r.error.message}`);
      assert.match(r.error.reason, /UTF-8/);
    }
  });
});

describe('values and boundaries', () => {
  const texts = (input, opts) => {
    const r = scanBytes(Buffer.from(input), opts);
    if (r.error) throw r.error;
    return r.values.map((v) => v.toString('utf8'));
  };
  test('numbers, escapes and key order are copied byte for byte; whitespace dropped', () => {
    assert.deepEqual(texts(' 12345678901234567890\n1E400 -0.000000000000000000001e-7 \t{ "b" : 1 , "a" : [ "\\u00e9\\ud800\\/" ] }'), [
      '12345678901234567890',
      '1E400',
      '-0.000000000000000000001e-7',
      '{"b":1,"a":["\\u00e9\\ud800\\/"]}',
    ]);
  });
  test('whitespace inside strings is kept', () => {
    assert.deepEqual(texts('[" a  b "]'), ['[" a  b "]']);
  });
  test('[][] and {}"x" and "a"1 are sequences; 1"x", true[] and 1 2x are not', () => {
    assert.deepEqual(texts('[][]{}"x"'), ['[]', '[]', '{}', '"x"']);
    assert.deepEqual(texts('"a"1'), ['"a"', '1']);
    for (const bad of ['1"x"', 'true[]', '1 2x', 'null{}', '-1-1']) assert.ok(scanBytes(Buffer.from(bad)).error, bad);
  });
  test('a BOM is dropped only at the start of a fragment', () => {
    assert.deepEqual(texts('\ufeff[1]'), ['[1]']);
    assert.ok(scanBytes(Buffer.from(' \ufeff[1]')).error);
    assert.ok(scanBytes(Buffer.from('[1]\ufeff')).error);
    assert.ok(scanBytes(Buffer.from('\ufeff\ufeff[1]')).error);
  });
  test('flatten splices array elements and rejects other top-level values', () => {
    assert.deepEqual(texts('[1, [2], {"a":[3]}] [] ["x" ,true]', { flatten: true }), ['1', '[2]', '{"a":[3]}', '"x"', 'true']);
    for (const bad of ['{}', '1', '"x"', '[1] 2', 'null']) {
      const r = scanBytes(Buffer.from(bad), { flatten: true });
      assert.ok(r.error, bad);
      assert.match(r.error.reason, /array/);
    }
  });
  test('200,000 nested arrays scan without recursion', () => {
    const depth = 200_000;
    const buf = Buffer.from('['.repeat(depth) + ']'.repeat(depth));
    const r = scanBytes(buf, { splits: [1, 100_000, 250_000] });
    assert.ok(!r.error, r.error?.message);
    assert.equal(r.values.length, 1);
    assert.ok(r.values[0].equals(buf));
    const bad = scanBytes(Buffer.from('['.repeat(depth) + ']'.repeat(depth - 1)));
    assert.match(bad.error.reason, /end of input/);
    assert.equal(bad.error.offset, 2 * depth - 1);
  });
});
