// The scanner's WebAssembly fast path (src/json/fast.as.ts) against its two JS paths, the JS fast
// path (`wasm: false`) and the byte-at-a-time one (`bytewise`): the same output (the bytes handed
// to the sink within each chunk, every begin and end; the kernel hands over its compacted output
// in fewer calls, from its own memory) and the same errors (message, offset, line, column), on the
// JSONTestSuite corpus, generated and mutated inputs, whatever the chunking. The kernel serves chunks of 64 KiB or more; `wasmMin: 0` (an
// internal option) makes it serve every chunk here, so small cases can be cut at every position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { JsonScanner, JsonSyntaxError } from '../../dist/json/scan.js';
import { fastKernel } from '../../dist/json/fast.js';
import { largeChunks, pythonChunks } from '../../bench/generate.mjs';
import { rng, randomSplits } from '../helpers/json-ref.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = path.resolve(here, '../fixtures/JSONTestSuite/test_parsing');
const SEED = Number(process.env.FC_SEED ?? 20261126);

// Count the kernel's calls, so that a test can tell it really ran.
const kernel = fastKernel();
let kernelCalls = 0;
if (kernel) {
  const scan = kernel.scan;
  kernel.scan = (...args) => {
    kernelCalls++;
    return scan(...args);
  };
}

const PATHS = {
  wasm: { wasmMin: 0 },
  js: { wasm: false },
  bytewise: { bytewise: true },
};

/**
 * Record bytes handed to a sink: consecutive calls join into one entry (the output, not the
 * calls), an array of hex pieces until `joined` (appending to one growing string would copy it).
 */
function pushBytes(calls, b, s, e) {
  assert.ok(s < e, `an empty span ${s}..${e}`);
  const hex = b.toString('hex', s, e);
  const last = calls[calls.length - 1];
  if (Array.isArray(last)) last.push(hex);
  else calls.push([hex]);
}

/** The calls with each run of bytes as one `bytes HEX` entry. */
const joined = (calls) => calls.map((c) => (Array.isArray(c) ? `bytes ${c.join('')}` : c));

/** Every sink call and the error (if any) of one scan of `buf` cut at `splits`. */
function trace(buf, options, splits = []) {
  const calls = [];
  const sink = {
    begin: () => calls.push('begin'),
    bytes: (b, s, e) => pushBytes(calls, b, s, e),
    end: () => calls.push('end'),
  };
  const sc = new JsonScanner(sink, options);
  let error = null;
  try {
    let prev = 0;
    for (const p of splits) {
      calls.push(`chunk ${p}`);
      sc.write(buf.subarray(prev, p));
      prev = p;
    }
    sc.write(buf.subarray(prev));
    sc.finish();
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    error = { message: e.message, offset: e.offset, line: e.line, column: e.column };
  }
  return { calls: joined(calls), error, values: sc.values };
}

/** The three paths agree on `buf` cut at `splits`; returns the common trace. */
function assertSame(buf, splits, opts = {}, label = '') {
  const want = trace(buf, { ...opts, ...PATHS.bytewise }, splits);
  const js = trace(buf, { ...opts, ...PATHS.js }, splits);
  const before = kernelCalls;
  const wasm = trace(buf, { ...opts, ...PATHS.wasm }, splits);
  const where = `${label} splits ${JSON.stringify(splits)} flatten ${opts.flatten === true}: ${buf.toString('latin1').slice(0, 200)}`;
  assert.deepEqual(js, want, `JS fast path vs bytewise, ${where}`);
  assert.deepEqual(wasm, want, `wasm vs bytewise, ${where}`);
  return { ...want, kernelCalls: kernelCalls - before };
}

/** As assertSame, for the whole buffer, every cut into two, and a one-byte chunk at every position. */
function assertEverySplit(buf, opts = {}, label = '') {
  const want = assertSame(buf, [], opts, label);
  for (let p = 0; p <= buf.length; p++) {
    assertSame(buf, [p], opts, label);
    if (p > 0 && p < buf.length) assertSame(buf, [p - 1, p], opts, label);
  }
  return want;
}

test('the kernel is available here (Node with WebAssembly SIMD) and serves big chunks by default', () => {
  assert.ok(kernel, 'no WebAssembly kernel: the build did not embed it, or SIMD is unavailable');
  let text = '';
  for (const c of largeChunks(300_000, 5, false)) text += c;
  const buf = Buffer.from(text);
  const before = kernelCalls;
  const r = trace(buf, {}, [100_000]);
  assert.equal(r.error, null);
  assert.ok(kernelCalls - before >= 2, `kernel called ${kernelCalls - before} times`);
  // Below the threshold, and when turned off, the JS fast path does the work.
  const small = kernelCalls;
  const cuts = [];
  for (let p = 60_000; p < buf.length; p += 60_000) cuts.push(p);
  assert.equal(trace(buf, {}, cuts).error, null);
  assert.equal(trace(buf, { wasm: false }).error, null);
  assert.equal(kernelCalls, small);
});

test('JSONTestSuite: every file, whole, cut at every position (up to 2 KiB) or at random ones', () => {
  const files = fs
    .readdirSync(CORPUS)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.ok(files.length >= 300, `${files.length} corpus files`);
  const rand = rng(13);
  let calls = 0;
  for (const f of files) {
    const buf = fs.readFileSync(path.join(CORPUS, f));
    for (const flatten of [false, true]) {
      if (buf.length <= 2048) calls += assertEverySplit(buf, { flatten }, f).kernelCalls;
      else {
        calls += assertSame(buf, [], { flatten }, f).kernelCalls;
        for (let k = 0; k < 20; k++) assertSame(buf, randomSplits(buf.length, rand, 1 + (k % 5)), { flatten }, f);
      }
    }
  }
  assert.ok(calls > 200, `the kernel ran ${calls} times on the corpus`);
});

// ---- generated JSON: long and short strings, escapes, non-ASCII, every number form, whitespace --

const wsText = fc.array(fc.constantFrom(' ', '\n', '\t', '\r', '\r\n', '    ', '\n\n\t  '), { maxLength: 3 }).map((a) => a.join(''));
const digits = (min, max) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const numberText = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      fc.constant('0'),
      fc.tuple(fc.constantFrom(...'123456789'), digits(0, 40)).map(([a, b]) => a + b),
    ),
    fc.option(digits(1, 40)),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 20))),
  )
  .map(([neg, i, frac, exp]) => (neg ? '-' : '') + i + (frac === null ? '' : '.' + frac) + (exp === null ? '' : exp.join('')));
const plainRun = (max) => fc.string({ unit: fc.constantFrom('a', 'b', ' ', '~', '/', '}', ']', ',', ':', '0'), maxLength: max });
// Texts are built as latin1 strings of bytes (Buffer.from(text, 'latin1') gives the fragment), so
// that strings can hold UTF-8 (`utf8`) and invalid UTF-8 alike.
const utf8 = (s) => Buffer.from(s).toString('latin1');
const INVALID_UTF8 = [
  [0xff],
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xc2],
  [0xe0, 0x9f, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xe2, 0x41, 0x80],
  [0xf0, 0x8f, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf1, 0x80, 0x41],
];
const stringPiece = fc.oneof(
  { weight: 6, arbitrary: plainRun(40) },
  fc.constantFrom('\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t', '\\u00e9', '\\uD83D\\uDE00', '\\uABCD', '\\u0000'),
  { weight: 2, arbitrary: fc.constantFrom('é', '€', '\u{1F600}', '\u07ff', '\u0800', '\uffff', '\u{10000}', '\u{10ffff}', '\ud7ff', '\ue000').map(utf8) },
  fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => utf8(s.replace(/["\\\u0000-\u001f]/g, ''))),
  { weight: 1, arbitrary: fc.constantFrom(...INVALID_UTF8).map((b) => Buffer.from(b).toString('latin1')) },
);
const stringText = fc.array(stringPiece, { maxLength: 6 }).map((a) => `"${a.join('')}"`);
const scalarText = fc.oneof(numberText, stringText, fc.constantFrom('true', 'false', 'null'));

const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalarText, tie('array'), tie('object')),
  array: fc
    .tuple(fc.array(fc.tuple(wsText, tie('value'), wsText), { maxLength: 6 }), wsText)
    .map(([items, inner]) => `[${items.length ? items.map(([a, v, b]) => a + v + b).join(',') : inner}]`),
  object: fc
    .tuple(fc.array(fc.tuple(wsText, stringText, wsText, wsText, tie('value'), wsText), { maxLength: 6 }), wsText)
    .map(([members, inner]) => `{${members.length ? members.map(([a, k, b, c, v, d]) => a + k + b + ':' + c + v + d).join(',') : inner}}`),
}));
/** A fragment: a few top-level values (scalars need whitespace after them) inside whitespace. */
const fragment = fc
  .tuple(wsText, fc.array(fc.tuple(fc.oneof({ weight: 3, arbitrary: value }, scalarText), wsText), { minLength: 1, maxLength: 3 }))
  .map(([lead, vs]) => lead + vs.map(([v, w]) => v + (w === '' ? ' ' : w)).join(''));

/** Byte corruptions: set, insert or delete bytes, with structural and UTF-8-breaking ones likely. */
const INTERESTING = [...Buffer.from(' ,:[]{}"\\-+.eE0019tfnu\n\t\r'), 0x00, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff];
function corrupt(buf, rand) {
  let b = Buffer.from(buf);
  const muts = 1 + Math.floor(rand() * 3);
  for (let m = 0; m < muts; m++) {
    const at = Math.floor(rand() * (b.length + 1));
    const byte = rand() < 0.8 ? INTERESTING[Math.floor(rand() * INTERESTING.length)] : Math.floor(rand() * 256);
    const op = rand();
    if (op < 0.45 && at < b.length) b[at] = byte;
    else if (op < 0.75) b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
  return b;
}

test('generated fragments, cut at every position: the three paths agree', () => {
  fc.assert(
    fc.property(fragment, fc.boolean(), (text, flatten) => {
      const buf = Buffer.from(text, 'latin1');
      if (buf.length > 600) assertSame(buf, randomSplits(buf.length, rng(buf.length), 12), { flatten });
      else assertEverySplit(buf, { flatten });
    }),
    { numRuns: 150, seed: SEED, endOnFailure: false },
  );
});

test('generated fragments with random byte corruptions, in random chunks: the three paths agree', () => {
  let errors = 0;
  fc.assert(
    fc.property(fragment, fc.integer(), fc.boolean(), (text, seed, flatten) => {
      const rand = rng(seed >>> 0);
      const buf = corrupt(Buffer.from(text, 'latin1'), rand);
      for (let k = 0; k < 4; k++) {
        const r = assertSame(buf, randomSplits(buf.length, rand, k * 3), { flatten });
        if (r.error && k === 0) errors++;
      }
    }),
    { numRuns: 1500, seed: SEED, endOnFailure: false },
  );
  assert.ok(errors > 700, `only ${errors} corrupted inputs were invalid`);
});

test('records of the bench shapes, pretty-printed and corrupted, in big random chunks', () => {
  let text = '';
  for (const c of largeChunks(150_000, 31, false)) text += c;
  for (const c of largeChunks(100_000, 32, true)) text += c;
  const pretty = text.replace(/([,:{[])/g, '$1 ').replace(/"(\w+)": /g, '\n\t  "$1":\r\n ');
  const rand = rng(0x5eed);
  for (const base of [Buffer.from(text), Buffer.from(pretty)]) {
    for (const flatten of [false, true]) {
      // Tens of thousands of whitespace runs in one chunk, gathered by the kernel in one piece.
      const r = assertSame(base, [], { flatten }, 'whole');
      assert.equal(r.error, null);
      for (let k = 0; k < 4; k++) assertSame(base, randomSplits(base.length, rand, 2 + k * 10), { flatten }, `clean ${k}`);
      for (let k = 0; k < 40; k++) assertSame(corrupt(base, rand), randomSplits(base.length, rand, k % 4), { flatten }, `corrupt ${k}`);
    }
  }
});

test('nesting deeper than the kernel stack (3,072 levels), with errors before and after the limit', () => {
  for (const depth of [3000, 3071, 3072, 3073, 3074, 5000, 9000]) {
    const open = '[{"k":'.repeat(depth / 2) + '['.repeat(depth % 2);
    const close = ']'.repeat(depth % 2) + '}]'.repeat(depth / 2);
    const inner = '[1, "x", 2.5e3, {"a": [true, null]}]';
    for (const text of [
      `${open}${inner}${close}`,
      `${open}${inner}${close.slice(0, -3)}`,
      `${open}${inner},]${close}`,
      `${open}${inner}${close}}`,
      `[${open}${inner}${close},\n${open}1${close}]`,
    ]) {
      const buf = Buffer.from(text);
      for (const flatten of [false, true]) {
        assertSame(buf, [], { flatten }, `depth ${depth}`);
        for (const splits of [[open.length], [open.length + 5, buf.length - 1000], randomSplits(buf.length, rng(depth), 6)]) {
          assertSame(
            buf,
            splits.filter((p) => p >= 0 && p <= buf.length).sort((a, b) => a - b),
            { flatten },
            `depth ${depth}`,
          );
        }
      }
    }
  }
});

test('long strings and numbers across every 16-byte alignment, cut at every position', () => {
  for (let pad = 0; pad < 18; pad++) {
    const p = 'x'.repeat(pad);
    const cases = [
      `["${p}abcdefghijklmnopqrstuvwxyz0123456789${p}", -${'1'.repeat(pad + 1)}.${'2'.repeat(33 - pad)}e-${'3'.repeat(pad + 1)}]`,
      `{"${p}k\u00e9y\u{1F600}${p}":"${p}\\n\\u00e9\\"${p}\u20ac${p}","${p}":[0.${'9'.repeat(pad + 16)},${'7'.repeat(pad + 16)}]}`,
      `["${p}\u0001${p}"]`,
      `["${p}${'y'.repeat(20)}\\x"]`,
      `[${'5'.repeat(pad + 15)}.]`,
      `[0${'0'.repeat(pad)}]`,
    ];
    for (const text of cases) assertEverySplit(Buffer.from(text), {}, `pad ${pad}`);
    // Invalid UTF-8 at every alignment.
    for (const bad of [[0xff], [0xc0, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
      const buf = Buffer.concat([Buffer.from(`[1,{"k":"${p}`), Buffer.from(bad), Buffer.from(`${'z'.repeat(20)}"}]`)]);
      const r = assertSame(buf, [], {}, `bad UTF-8 pad ${pad}`);
      assert.ok(r.error && /UTF-8/.test(r.error.message), JSON.stringify(r.error));
    }
  }
});

test('a sink that scans another big chunk meanwhile (the kernel is shared) changes nothing', () => {
  let text = '';
  for (const c of largeChunks(200_000, 51, false)) text += c;
  const outer = Buffer.from(`[${text.replace(/\n/g, ' ')},\n${text}]`);
  const inner = Buffer.from(text.replace(/1/g, '2'));
  const nested = (options) => {
    const calls = [];
    let innerValues = 0;
    let fromKernel = 0;
    const sink = {
      begin: () => calls.push('begin'),
      bytes: (b, s, e) => {
        if (b.buffer === kernel.bytes.buffer) fromKernel++;
        // Scan an unrelated chunk in the middle of the outer chunk's scan (the bytes handed over
        // may be in the kernel's memory: they must still be there after it).
        const other = new JsonScanner({ begin() {}, bytes() {}, end: () => innerValues++ }, options);
        other.write(inner);
        other.finish();
        pushBytes(calls, b, s, e);
      },
      end: () => calls.push('end'),
    };
    const sc = new JsonScanner(sink, { ...options, flatten: true });
    sc.write(outer);
    sc.finish();
    return { calls: joined(calls), innerValues, fromKernel, values: sc.values };
  };
  const before = kernelCalls;
  const wasm = nested({});
  assert.ok(kernelCalls - before >= 2, `kernel called ${kernelCalls - before} times`);
  const js = nested({ wasm: false });
  // The kernel hands its output over in fewer calls, so fewer nested scans ran: same output.
  assert.deepEqual(wasm.calls, js.calls);
  assert.equal(wasm.values, 2);
  assert.ok(
    wasm.fromKernel >= 2 && wasm.innerValues >= wasm.fromKernel,
    `${wasm.fromKernel} calls from the kernel's memory, ${wasm.innerValues} nested values`,
  );
  assert.ok(js.fromKernel === 0 && js.innerValues > 1000, `${js.innerValues} nested values`);
});

// ---- whitespace: runs of every kind and length, at every 16-byte alignment ---------------------

/** A run of `len` whitespace bytes of one kind (CRLF pairs, LF, spaces, tabs, or all mixed). */
function wsRun(kind, len) {
  const unit = { crlf: '\r\n', lf: '\n', space: ' ', tab: '\t', mixed: ' \t\r\n  \n' }[kind];
  return unit.repeat(Math.ceil(len / unit.length) + 1).slice(0, len);
}

test('whitespace runs of every kind and of lengths around 16 and 32, at every alignment, before values and before errors', () => {
  let kernelRan = 0;
  for (const kind of ['crlf', 'lf', 'space', 'tab', 'mixed']) {
    for (const len of [1, 2, 15, 16, 17, 32, 33, 70]) {
      const w = wsRun(kind, len);
      for (let pad = 0; pad < 17; pad += len > 17 ? 4 : 1) {
        const p = 'p'.repeat(pad);
        const good = `[${w}{${w}"${p}"${w}:${w}[${w}1${w},${w}"x"${w},${w}true${w}]${w},${w}"k"${w}:${w}{${w}}${w}}${w},${w}-2.5e3${w}]${w}`;
        kernelRan += assertEverySplit(Buffer.from(good), { flatten: pad % 2 === 1 }, `${kind} ${len} pad ${pad}`).kernelCalls;
        // An error right after a run (and a raw control byte inside one): same message and
        // position (the line and column count the run's newlines).
        if (pad % 5 !== 0) continue;
        for (const bad of [`[${w}"${p}",${w}tru]`, `[${w}1${w},${w}]`, `{"${p}"${w}${w}1}`, `[1,${w}\u0001${w}2]`, `[[${w}]${w}x]`, `{"a":${w}1${w},${w}2}`]) {
          const r = assertEverySplit(Buffer.from(bad), {}, `${kind} ${len} pad ${pad} bad`);
          assert.ok(r.error, bad);
        }
      }
    }
  }
  assert.ok(kernelRan > 300, `the kernel ran ${kernelRan} times`);
});

test('Python-shaped documents (json.dump defaults, indent=2, CRLF): the paths agree, cut at random places', () => {
  const rand = rng(0x9e7);
  for (const [indent, eol] of [
    [0, '\n'],
    [2, '\n'],
    [2, '\r\n'],
    [4, '\r\n'],
  ]) {
    let text = '';
    for (const c of pythonChunks(300_000, 77 + indent, indent, eol)) text += c;
    const buf = Buffer.from(text);
    for (const flatten of [false, true]) {
      const r = assertSame(buf, [], { flatten }, `indent ${indent}`);
      assert.equal(r.error, null);
      assert.ok(r.kernelCalls >= 1);
      for (let k = 0; k < 6; k++) assertSame(buf, randomSplits(buf.length, rand, 1 + k * 7), { flatten }, `indent ${indent} split ${k}`);
      for (let k = 0; k < 12; k++) assertSame(corrupt(buf, rand), randomSplits(buf.length, rand, k % 3), { flatten }, `indent ${indent} corrupt ${k}`);
    }
  }
});
