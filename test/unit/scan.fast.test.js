// The scanner's whole-token fast path against its byte-at-a-time path (ScannerOptions.bytewise):
// same values, same errors (reason, offset, line, column), whatever the chunking. The fast path only
// runs inside an emitted value and hands over at a token cut by a chunk end, so these inputs sit
// inside arrays and objects and get split at every position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonScanner } from '../../dist/json/scan.js';
import { largeChunks } from '../../bench/generate.mjs';
import { scanBytes, outcome, rng, randomSplits } from '../helpers/json-ref.js';

/** A scanBytes option set whose scanner never takes the fast path. */
function referenceScanner(opts) {
  let cur = null;
  const values = [];
  const sink = {
    begin: () => (cur = []),
    bytes: (b, s, e) => cur.push(Buffer.from(b.subarray(s, e))),
    end: () => {
      values.push(Buffer.concat(cur));
      cur = null;
    },
  };
  return { scanner: new JsonScanner(sink, { flatten: opts.flatten, bytewise: true }), values };
}

/** Outcome of the byte-at-a-time path (values collected by its own sink). */
function reference(buf, opts = {}) {
  const ref = referenceScanner(opts);
  const r = scanBytes(buf, { ...opts, scanner: ref.scanner });
  return r.error ? outcome(r) : { values: ref.values.map((b) => b.toString('hex')) };
}

const fast = (buf, opts = {}) => outcome(scanBytes(buf, opts));

/** Every split of `buf` into two chunks, and into three around each position, agrees with the reference. */
function assertEverySplit(buf, opts = {}) {
  const want = reference(buf, opts);
  assert.deepEqual(fast(buf, opts), want, `whole: ${buf.toString('latin1')}`);
  for (let p = 0; p <= buf.length; p++) {
    assert.deepEqual(fast(buf, { ...opts, splits: [p] }), want, `split at ${p}: ${buf.toString('latin1')}`);
    if (p > 0 && p < buf.length) assert.deepEqual(fast(buf, { ...opts, splits: [p - 1, p] }), want, `1-byte chunk at ${p - 1}`);
  }
  return want;
}

test('both paths give the compacted document on a mixed one', () => {
  const buf = Buffer.from('[{"a" : [1, -2.5e+3, "x\\u00e9\\n", true, false, null, {}, []]}, "\u00e9\u2713\u{1f600}"]\n');
  const want = reference(buf);
  assert.ok(want.values, JSON.stringify(want));
  assert.equal(Buffer.from(want.values[0], 'hex').toString(), '[{"a":[1,-2.5e+3,"x\\u00e9\\n",true,false,null,{},[]]},"\u00e9\u2713\u{1f600}"]');
  assert.deepEqual(fast(buf), want);
});

test('strings with escapes and multi-byte UTF-8, split at every position', () => {
  for (const s of [
    '["a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00E9\\uD83D\\uDE00", "\u00e9\u2713\u{1f600}\u07ff\uffff\u{10ffff}", {"k\u00e9y": "v"}]',
    '{"\\u0041":"\\\\","b":["\\"",""]}',
  ]) {
    const want = assertEverySplit(Buffer.from(s));
    assert.ok(want.values, `${s}: ${JSON.stringify(want)}`);
  }
});

test('invalid escapes and truncated \\u escapes inside arrays, split at every position', () => {
  for (const s of ['["ab\\x"]', '["\\u12G4"]', '["\\uG234"]', '["\\u1G34"]', '["\\u123G"]', '["\\u12"]', '["a\\', '["\\uD8', '{"a\\q":1}']) {
    const want = assertEverySplit(Buffer.from(s));
    assert.ok(want.error, s);
  }
});

test('invalid UTF-8 inside a long plain run, at every offset, points at the offending byte', () => {
  const bads = [
    [0xff],
    [0xc0, 0x80],
    [0x80],
    [0xe2, 0x82],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe0, 0x9f, 0xbf],
    [0xf0, 0x8f, 0xbf, 0xbf],
    [0xc2],
    [0xf0, 0x90, 0x80, 0x41],
    [0xf3, 0x41],
    [0xe2, 0x41, 0x80],
    [0xe2, 0x82, 0x41],
    [0xf1, 0x80, 0x41, 0x80],
  ];
  const body = Buffer.alloc(300, 0x61);
  for (const bad of bads) {
    for (let k = 0; k <= body.length - bad.length; k += k < 20 || k > 280 ? 1 : 7) {
      const s = Buffer.from(body);
      Buffer.from(bad).copy(s, k);
      const buf = Buffer.concat([Buffer.from('[1,{"k":"'), s, Buffer.from('"}]')]);
      const want = reference(buf);
      assert.ok(want.error && /UTF-8/.test(want.error.reason), `${Buffer.from(bad).toString('hex')} at ${k}: ${JSON.stringify(want)}`);
      assert.deepEqual(fast(buf), want, `${Buffer.from(bad).toString('hex')} at ${k}`);
      // The chunk edge on, just before and just after the bad bytes.
      for (const p of [9 + k - 1, 9 + k, 9 + k + 1, 9 + k + bad.length]) {
        assert.deepEqual(fast(buf, { splits: [p] }), want, `${Buffer.from(bad).toString('hex')} at ${k}, split ${p}`);
      }
    }
  }
});

test('valid multi-byte characters at every offset of a long run, cut by the chunk edge at every byte', () => {
  for (const ch of ['\u00e9', '\u2713', '\u{1f600}', '\u0800', '\ud7ff', '\ue000', '\u{10000}', '\u{10ffff}']) {
    const enc = Buffer.from(ch);
    const buf = Buffer.from(`["${'x'.repeat(40)}${ch}${'y'.repeat(5)}${ch}"]`);
    const want = reference(buf);
    assert.ok(want.values, ch);
    for (let p = 40; p <= 40 + 2 + enc.length * 2 + 7; p++) assert.deepEqual(fast(buf, { splits: [p] }), want, `${ch} split ${p}`);
  }
});

test('raw control bytes in strings at every offset are rejected where the byte is', () => {
  for (const ctl of [0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f]) {
    for (let k = 0; k < 60; k++) {
      const s = Buffer.alloc(60, 0x62);
      s[k] = ctl;
      const buf = Buffer.concat([Buffer.from('{"a":["'), s, Buffer.from('"]}')]);
      const want = reference(buf);
      assert.ok(want.error && /control character/.test(want.error.reason), `0x${ctl.toString(16)} at ${k}`);
      assert.equal(want.error.offset, 7 + k);
      assert.deepEqual(fast(buf), want, `0x${ctl.toString(16)} at ${k}`);
      assert.deepEqual(fast(buf, { splits: [7 + k] }), want);
    }
  }
});

test('numbers, valid and invalid, split at every position', () => {
  const valid = '[-0.12345678901234567e-5,1E+400,0,-0,12,0.5,1e5,-1.2345678901234567E-12,123456789012345678901234567890,0e0]';
  assert.ok(assertEverySplit(Buffer.from(valid)).values);
  assert.ok(assertEverySplit(Buffer.from(`{"a":${valid},"b":[[1],[2.5]]}`)).values);
  for (const bad of [
    '[01]',
    '[1.]',
    '[-]',
    '[1e]',
    '[1.e5]',
    '[.5]',
    '[1e+]',
    '[--1]',
    '[-01]',
    '[1.5.2]',
    '[1e5e5]',
    '[1x]',
    '[0x1]',
    '[+1]',
    '[1,-]',
    '{"a":1.}',
    '[-a]',
    '[1E-]',
    '[00]',
  ]) {
    const want = assertEverySplit(Buffer.from(bad));
    assert.ok(want.error, bad);
  }
});

test('literals, valid and invalid, split at every position', () => {
  assert.ok(assertEverySplit(Buffer.from('[true,false,null,{"a":true,"b":[null,false]}]')).values);
  for (const bad of ['[tru]', '[nul]', '[falsy]', '[trUe]', '[nulll]', '[f]', '{"a":t}', '[true false]', '[truex]']) {
    const want = assertEverySplit(Buffer.from(bad));
    assert.ok(want.error, bad);
  }
});

test('structure errors inside values, split at every position', () => {
  for (const bad of ['[1,]', '[1 2]', '{"a" 1}', '{"a":1,}', '{,}', '[}', '{]', '{"a":1]', '[1}', '{1:2}', '[[[]]', '[{"a":[1,2},3]', '[\n 1,\n\t2\r\n,]']) {
    const want = assertEverySplit(Buffer.from(bad));
    assert.ok(want.error, bad);
  }
});

test('whitespace-free input comes out byte for byte, in any chunking', () => {
  let text = '';
  for (const c of largeChunks(200_000, 7, true)) text += c;
  for (const c of largeChunks(200_000, 8, false)) text += c;
  const compact = Buffer.from(`[${text.replace(/\s+/g, '').replace(/\]\[/g, '],[')}]`);
  const rand = rng(11);
  for (const splits of [[], randomSplits(compact.length, rand, 50), randomSplits(compact.length, rand, 500)]) {
    const r = scanBytes(compact, { splits });
    assert.ok(!r.error, r.error?.message);
    assert.equal(r.values.length, 1);
    assert.ok(r.values[0].equals(compact), 'output differs from the input');
  }
});

test('generated records with random mutations: fast path and byte-at-a-time path agree exactly', () => {
  let text = '';
  for (const c of largeChunks(6_000, 3, false)) text += c;
  for (const c of largeChunks(4_000, 4, true)) text += c;
  const base = Buffer.from(`${text}\n{"u":"\u00e9\u2713\u{1f600}\\u00e9","n":[-0,1e-7,{"x":[true,null]}]}`);
  const interesting = Buffer.from(' ,:[]{}"\\-+.eE0019tfnu\n\t\r');
  const rand = rng(0xfa57);
  let errors = 0;
  for (let k = 0; k < 1500; k++) {
    const b = Buffer.from(base);
    let buf = b;
    const muts = 1 + Math.floor(rand() * 3);
    for (let m = 0; m < muts; m++) {
      const at = Math.floor(rand() * buf.length);
      const byte = rand() < 0.7 ? interesting[Math.floor(rand() * interesting.length)] : Math.floor(rand() * 256);
      const op = rand();
      if (op < 0.4) buf[at] = byte;
      else if (op < 0.7) buf = Buffer.concat([buf.subarray(0, at), Buffer.from([byte]), buf.subarray(at)]);
      else buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1)]);
    }
    const splits = randomSplits(buf.length, rand, Math.floor(rand() * 8));
    for (const flatten of [false, true]) {
      const want = reference(buf, { flatten });
      if (want.error) errors++;
      assert.deepEqual(fast(buf, { flatten, splits }), want, `mutation ${k} flatten=${flatten}`);
    }
  }
  assert.ok(errors > 1000, `only ${errors} errors: the mutations do not exercise error paths`);
});

test('whitespace of every kind around every token, runs of 1 to 40 bytes, before values and before errors, split at every position', () => {
  for (const unit of [' ', '\t', '\n', '\r\n', ' \t\r\n']) {
    for (const len of [1, 3, 16, 17, 40]) {
      const w = unit.repeat(Math.ceil(len / unit.length)).slice(0, len);
      const good = assertEverySplit(Buffer.from(`[${w}{${w}"a"${w}:${w}[${w}1${w},${w}"x"${w}]${w},${w}"b"${w}:${w}null${w}}${w},${w}2${w}]${w}`));
      assert.deepEqual(good.values, [Buffer.from('[{"a":[1,"x"],"b":null},2]').toString('hex')]);
      for (const bad of [`[${w}1${w},${w}]`, `{"a"${w}${w}1}`, `[1,${w}\u0001]`, `[[${w}]${w}x]`, `{"a":1${w},${w}2}`]) {
        const r = assertEverySplit(Buffer.from(bad));
        assert.ok(r.error, bad);
      }
    }
  }
});
