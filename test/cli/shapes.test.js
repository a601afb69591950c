// Output shapes in json mode: --key-by path, gzip (--gzip, -o x.json.gz), as a user runs them.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { run, tempTrees, rm, tempFilesIn } from '../helpers/cli.js';

const mk = tempTrees();

const ok = (r) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);

describe('--key-by path', () => {
  test('one object, keys = paths without extension in output order, values byte for byte', async () => {
    const d = mk({
      'part-10.json': '{ "z" : 1, "a" : 12345678901234567890 }\n',
      'part-2.json': '1E400',
      'sub/x.y.ndjson': '"s"\n',
      '.hidden': '0',
      'tab\there.json': '[ ]',
    });
    const r = await run([d, '-p', '**/*', '--key-by', 'path', '-q']);
    ok(r);
    // natural order: part-2 < part-10 < sub/ < tab; dotfiles are never matched.
    assert.equal(r.stdout.toString(), '{"part-2":1E400,"part-10":{"z":1,"a":12345678901234567890},"sub/x.y":"s","tab\\there":[]}\n');
  });

  test('no fragment: {}', async () => {
    const r = await run([mk(), '--key-by', 'path', '-q']);
    ok(r);
    assert.equal(r.stdout.toString(), '{}\n');
  });

  test('two files giving the same key: exit 3, both named; under skip the second is left out', async () => {
    const d = mk({ 'a.json': '1', 'a.ndjson': '2', 'b.json': '3' });
    const out = path.join(mk(), 'out.json');
    const r = await run([d, '-p', '*', '--key-by', 'path', '-o', out]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /invalid input: .*a\.ndjson: --key-by path: key a is already taken by a\.json/);
    assert.equal(fs.existsSync(out), false);
    const st = path.join(mk(), 'stats.json');
    const s = await run([d, '-p', '*', '--key-by', 'path', '--on-invalid', 'skip', '--stats', st, '-q']);
    ok(s);
    assert.equal(s.stdout.toString(), '{"a":1,"b":3}\n');
    assert.deepEqual(
      JSON.parse(fs.readFileSync(st)).skipped.map((x) => x.path),
      ['a.ndjson'],
    );
  });

  test('a fragment with no value or two values is invalid (exit 3); skip leaves it out whole', async () => {
    for (const [content, n] of [
      ['', 0],
      ['1 2', 2],
      ['{"a":1}\n{"b":2}\n', 2],
    ]) {
      const d = mk({ 'a.json': '"first"', 'b.json': content, 'c.json': '"last"' });
      const r = await run([d, '--key-by', 'path', '-q']);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, new RegExp(`b\\.json: --key-by path needs exactly one JSON value per fragment, this one holds ${n}`));
      assert.equal(r.stdout.length, 0);
      const s = await run([d, '--key-by', 'path', '--on-invalid', 'skip', '-q']);
      ok(s);
      assert.equal(s.stdout.toString(), '{"a":"first","c":"last"}\n');
    }
  });

  test('a key left free by a rejected fragment can be taken by a later one', async () => {
    const d = mk({ 'a.json': '1 2', 'a.ndjson': '3' });
    const s = await run([d, '-p', '*', '--key-by', 'path', '--on-invalid', 'skip', '-q']);
    ok(s);
    assert.equal(s.stdout.toString(), '{"a":3}\n');
  });

  test('with --shard: each shard an object of its own keys; with --expect', async () => {
    const d = mk({ 'p-1.json': '1', 'p-2.json': '2', 'p-3.json': '3', 'p-4.json': '4' });
    const r = await run([d, '--key-by', 'path', '--shard', '1/2', '--expect', '4', '-q']);
    ok(r);
    assert.equal(r.stdout.toString(), '{"p-3":3,"p-4":4}\n');
  });

  for (const [args, re] of [
    [['--format', 'ndjson'], /--key-by writes one JSON object: it cannot be combined with --format ndjson/],
    [['--flatten'], /--key-by takes one value per fragment: it cannot be combined with --flatten/],
    [['--mode', 'tar'], /--key-by applies to json mode only; this run is --mode tar/],
    [['--mode', 'zip'], /--key-by applies to json mode only; this run is --mode zip/],
    [['--key-by', 'name'], /invalid --key-by 'name': expected one of path/],
  ]) {
    test(`refused: --key-by path ${args.join(' ')} (exit 2)`, async () => {
      const r = await run([mk({ 'a.json': '1' }), '--key-by', 'path', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stdout.length, 0);
    });
  }
});

describe('gzip in json mode', () => {
  const files = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`part-${i}.json`, JSON.stringify({ i, pad: 'x'.repeat(i * 10) })]));
  const plainOf = async (d, args = []) => {
    const r = await run([d, ...args, '-q']);
    ok(r);
    return r.stdout;
  };

  test('-o x.json.gz: gzip of exactly the plain output; fixed header (no name, mtime 0); reproducible', async () => {
    const d = mk(files);
    const o = mk();
    const plain = await plainOf(d);
    const a = path.join(o, 'a.json.gz');
    const b = path.join(o, 'b.json.GZ');
    ok(await run([d, '-o', a, '-q']));
    ok(await run([d, '-o', b, '-q']));
    const gz = fs.readFileSync(a);
    assert.deepEqual(zlib.gunzipSync(gz), plain);
    assert.deepEqual(fs.readFileSync(b), gz);
    assert.equal(gz[0], 0x1f);
    assert.equal(gz[1], 0x8b);
    assert.equal(gz[3], 0, 'FLG: no name, no comment, no extra');
    assert.equal(gz.readUInt32LE(4), 0, 'MTIME 0');
    assert.deepEqual(tempFilesIn(o), []);
  });

  test('.ndjson.gz with --format ndjson, --gzip to stdout, --key-by + --gzip', async () => {
    const d = mk(files);
    const o = mk();
    const n = path.join(o, 'r.ndjson.gz');
    ok(await run([d, '--format', 'ndjson', '-o', n, '-q']));
    assert.deepEqual(zlib.gunzipSync(fs.readFileSync(n)), await plainOf(d, ['--format', 'ndjson']));
    const z = await run([d, '--gzip', '-q']);
    ok(z);
    assert.deepEqual(zlib.gunzipSync(z.stdout), await plainOf(d));
    const k = await run([d, '-z', '--key-by', 'path', '-q']);
    ok(k);
    assert.deepEqual(zlib.gunzipSync(k.stdout), await plainOf(d, ['--key-by', 'path']));
  });

  test('--level applies: 1 and 9 differ in size and in the header XFL byte; --no-gzip overrides .gz', async () => {
    const d = mk(files);
    const o = mk();
    const l1 = path.join(o, 'l1.json.gz');
    const l9 = path.join(o, 'l9.json.gz');
    ok(await run([d, '-o', l1, '--level', '1', '-q']));
    ok(await run([d, '-o', l9, '--level', '9', '-q']));
    const [g1, g9] = [fs.readFileSync(l1), fs.readFileSync(l9)];
    assert.deepEqual(zlib.gunzipSync(g1), zlib.gunzipSync(g9));
    assert.equal(g1[8], 4, 'XFL 4: fastest');
    assert.equal(g9[8], 2, 'XFL 2: best');
    assert.ok(g9.length < g1.length, `${g9.length} < ${g1.length}`);
    const raw = path.join(o, 'raw.json.gz');
    ok(await run([d, '-o', raw, '--no-gzip', '-q']));
    assert.deepEqual(fs.readFileSync(raw), await plainOf(d));
  });

  test('--on-invalid skip: the invalid fragment left out of the compressed output, also past the spool buffer', async () => {
    // ~6 MB of output: more than the 4 MiB held in memory, so the spool file is read back.
    const big = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`big-${i}.json`, JSON.stringify({ i, s: 'y'.repeat(1 << 20) })]));
    const d = mk({ ...big, 'big-3.json': `{"i":3,"s":"${'z'.repeat(1 << 20)}` });
    const o = mk();
    const out = path.join(o, 'r.json.gz');
    const st = path.join(o, 'stats.json');
    ok(await run([d, '-o', out, '--on-invalid', 'skip', '--stats', st, '-q']));
    const plain = await plainOf(d, ['--on-invalid', 'skip']);
    assert.deepEqual(zlib.gunzipSync(fs.readFileSync(out)), plain);
    assert.equal(JSON.parse(plain).length, 5);
    const stats = JSON.parse(fs.readFileSync(st));
    assert.equal(stats.bytesOut, fs.statSync(out).size);
    assert.deepEqual(
      stats.skipped.map((x) => x.path),
      ['big-3.json'],
    );
  });

  test('an invalid fragment under fail: exit 3, the previous .gz untouched, no temp file', async () => {
    const d = mk({ ...files, 'part-20.json': '{"x":' });
    const o = mk();
    const out = path.join(o, 'r.json.gz');
    fs.writeFileSync(out, 'PREVIOUS');
    const r = await run([d, '-o', out]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(fs.readFileSync(out, 'utf8'), 'PREVIOUS');
    assert.deepEqual(tempFilesIn(o), []);
  });

  test('gzip in zip mode is refused (exit 2), by --gzip or by a .gz name, naming what was given', async () => {
    const d = mk({ 'a.bin': 'x' });
    const r = await run([d, '--mode', 'zip', '--gzip']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--gzip applies to json and tar modes only; this run is --mode zip/);
    // A zip under a .gz name would lie about its content: refused, without naming --gzip.
    const out = path.join(mk(), 'a.zip.gz');
    const r2 = await run([d, '--mode', 'zip', '-o', out]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /a\.zip\.gz ends in \.gz or \.tgz, which means gzip, and gzip applies to json and tar modes only/);
    assert.doesNotMatch(r2.stderr, /--gzip/);
    assert.equal(fs.existsSync(out), false);
  });
});

test(
  'gzip in json mode streams a big fragment in bounded memory (peak RSS under 150 MiB)',
  { skip: !fs.existsSync('/usr/bin/time') && 'no /usr/bin/time' },
  async () => {
    const d = mk();
    // 300 MB of records: the scanner outruns zlib, so only backpressure keeps the queue bounded.
    const row = Buffer.from(
      JSON.stringify({ k: 'x'.repeat(900), n: 1 })
        .concat(',')
        .repeat(1000),
    );
    const fd = fs.openSync(path.join(d, 'big.json'), 'w');
    fs.writeSync(fd, '[');
    const copies = Math.ceil((300 << 20) / row.length);
    for (let i = 0; i < copies; i++) fs.writeSync(fd, row);
    fs.writeSync(fd, '0]');
    fs.closeSync(fd);
    const out = path.join(mk(), 'o.json.gz');
    const r = await run([d, '-o', out, '--level', '1', '-q'], { prefix: ['/usr/bin/time', '-f', 'PEAK_RSS_KB %M'], timeout: 300_000 });
    rm(d);
    ok(r);
    const kb = Number(/PEAK_RSS_KB (\d+)/.exec(r.stderr)[1]);
    const size = zlib.gunzipSync(fs.readFileSync(out)).length;
    assert.equal(size, 1 + copies * row.length + 2 + 3); // the fragment inside [ ... ]\n
    assert.ok(kb < 150 * 1024, `peak RSS ${kb} KiB`);
  },
);
