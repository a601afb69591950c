// Big inputs and outputs, with big files read one chunk ahead on the thread pool (issue 13): the
// bytes, the errors, the signals and the rollbacks stay exactly as they were. Sizes cross the
// 1 MiB read chunks at and around their boundaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { largeChunks } from '../../bench/generate.mjs';
import { BIN, have, run, tempFilesIn, tempTrees, tmpfs } from '../helpers/cli.js';

const mk = tempTrees('agg-bigio-');
const MiB = 1 << 20;
const here = path.dirname(fileURLToPath(import.meta.url));

let text = '';
for (const c of largeChunks(31 * MiB, 53, false)) text += c;
const records = Buffer.from(text);

/**
 * A fragment of exactly `size` bytes: the records up to a record boundary, `]`, then spaces.
 * Returns it with its compact form (the records' only whitespace outside strings is newlines).
 */
function fragment(size) {
  const cut = records.lastIndexOf(',\n', size - 3);
  const body = Buffer.concat([records.subarray(0, cut), Buffer.from('\n]')]);
  const bytes = Buffer.concat([body, Buffer.alloc(size - body.length, ' ')]);
  assert.equal(bytes.length, size);
  return { bytes, compact: Buffer.from(body.toString().replaceAll('\n', '')) };
}

/** The test shim (test/helpers/io-shim.c) built once, or undefined without a C compiler. */
let shimPath;
function shim() {
  if (shimPath !== undefined || !have('cc')) return shimPath;
  shimPath = path.join(mk(), 'io-shim.so');
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', shimPath, path.join(here, '../helpers/io-shim.c'), '-ldl'], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  return shimPath;
}

const arrayOf = (compacts) => Buffer.concat([Buffer.from('['), ...compacts.flatMap((c, i) => (i ? [Buffer.from(','), c] : [c])), Buffer.from(']\n')]);

test('fragments at and around the 1 MiB read chunks, 45 MB in all: -o FILE and stdout byte for byte', async () => {
  const sizes = [MiB, MiB + 1, 2 * MiB - 1, 2 * MiB, 2 * MiB + 1, 3 * MiB + 512 * 1024, 30 * MiB];
  const files = {};
  const compacts = [];
  sizes.forEach((size, i) => {
    const f = fragment(size);
    files[`part-${i + 1}.json`] = f.bytes;
    compacts.push(f.compact);
    // A small fragment between the big ones: read whole, synchronously.
    files[`part-${i + 1}z.json`] = `{"after":${i}}`;
    compacts.push(Buffer.from(`{"after":${i}}`));
  });
  const dir = mk(files);
  const out = mk();
  const target = path.join(out, 'all.json');
  const want = arrayOf(compacts);
  const r = await run(['-q', '--mode', 'json', dir, '-o', target], { timeout: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.readFileSync(target).equals(want), 'file output differs');
  assert.deepEqual(tempFilesIn(out), []);
  const s = await run(['-q', '--mode', 'json', dir], { timeout: 120_000 });
  assert.equal(s.code, 0, s.stderr);
  assert.ok(s.stdout.equals(want), 'stdout differs');
  const n = await run(['-q', '--mode', 'json', dir, '-o', target, '--format', 'ndjson'], { env: { AGGREGATE_READ_MODE: 'async' }, timeout: 120_000 });
  assert.equal(n.code, 0, n.stderr);
  assert.ok(fs.readFileSync(target).equals(Buffer.concat(compacts.flatMap((c) => [c, Buffer.from('\n')]))), 'ndjson output (asynchronous opens) differs');
});

test('tar of a 20 MB file and a 1 MiB + 1 one: the bytes archived are the files', async (t) => {
  if (!have('tar')) return t.skip('no tar');
  const big = randomBytes(20 * MiB + 12345);
  const edge = randomBytes(MiB + 1);
  const dir = mk({ 'big.bin': big, 'edge.bin': edge, 'z.txt': 'end\n' });
  const out = path.join(mk(), 'all.tar');
  const r = await run(['-q', '--mode', 'tar', dir, '-o', out], { timeout: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  for (const [name, bytes] of [
    ['big.bin', big],
    ['edge.bin', edge],
  ]) {
    const x = spawnSync('tar', ['-xOf', out, name], { maxBuffer: 64 * MiB });
    assert.equal(x.status, 0, String(x.stderr));
    assert.ok(x.stdout.equals(bytes), `${name} differs in the archive`);
  }
});

test('--on-invalid skip: an invalid 12 MB fragment after a valid 12 MB one is rolled back exactly', async () => {
  const a = fragment(12 * MiB);
  const b = fragment(12 * MiB);
  // Invalid near its end: 11 MB of its output was handed to the writer before the error.
  const bad = Buffer.concat([b.bytes.subarray(0, 11 * MiB), Buffer.from('}')]);
  const dir = mk({ 'a.json': a.bytes, 'b.json': bad, 'c.json': '7', 'd.json': bad, 'e.json': a.bytes, 'f.json': bad, 'g.json': '8' });
  const out = mk();
  const target = path.join(out, 'all.json');
  const want = arrayOf([a.compact, Buffer.from('7'), a.compact, Buffer.from('8')]);
  // Also on a slow disk (with the shim): the last one, g, is shorter than what it replaces.
  for (const env of [{}, ...(shim() ? [{ LD_PRELOAD: shim(), AGG_SLOW_WRITE_US: '20000' }] : [])]) {
    const r = await run(['-q', '--mode', 'json', dir, '-o', target, '--on-invalid', 'skip'], { env, timeout: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /skipped .*b\.json/);
    assert.ok(fs.readFileSync(target).equals(want), `output differs ${JSON.stringify(env)}`);
    assert.deepEqual(tempFilesIn(out), []);
  }
});

test('no space left after 16 MB of output: exit 1, the previous target kept, no temp file', async (t) => {
  const f = fragment(30 * MiB);
  const dir = mk({ 'big.json': f.bytes });
  const vol = mk();
  if (!tmpfs(t, vol, '16m')) return;
  const target = path.join(vol, 'all.json');
  fs.writeFileSync(target, 'previous\n');
  const r = await run(['-q', '--mode', 'json', dir, '-o', target], { timeout: 120_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, `aggregate: cannot write ${target}: no space left on device (ENOSPC)\n`);
  assert.equal(fs.readFileSync(target, 'utf8'), 'previous\n');
  assert.deepEqual(tempFilesIn(vol), []);
  // stdout spooled in a full TMPDIR: the same failure, nothing on stdout.
  const s = await run(['-q', '--mode', 'json', dir], { env: { TMPDIR: vol }, timeout: 120_000 });
  assert.equal(s.code, 1, s.stderr);
  assert.match(s.stderr, /^aggregate: cannot write the spool file for standard output: no space left on device \(ENOSPC\)\n$/);
  assert.equal(s.stdout.length, 0);
  assert.deepEqual(tempFilesIn(vol), []);
});

test('SIGTERM 80 MB into a 240 MB run: 143 at once, target untouched, no temp file', async () => {
  const f = fragment(30 * MiB);
  const files = {};
  for (let i = 0; i < 8; i++) files[`part-${i}.json`] = f.bytes; // 240 MB: seconds of work
  const dir = mk(files);
  const out = mk({ 'all.json': 'previous' });
  const target = path.join(out, 'all.json');
  const child = spawn(process.execPath, [BIN, '-q', dir, '-o', target], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const closed = new Promise((res) => child.on('close', (code, signal) => res({ code, signal })));
  // Wait until 80 MB are in the temp file: well into the run, with reads ahead in flight.
  const t0 = Date.now();
  const written = () => tempFilesIn(out).reduce((n, f) => n + (fs.statSync(path.join(out, f), { throwIfNoEntry: false })?.size ?? 0), 0);
  while (written() < 80 * MiB && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 5));
  assert.ok(written() >= 80 * MiB, `the run never wrote 80 MB: ${stderr}`);
  const killed = Date.now();
  child.kill('SIGTERM');
  const { code, signal } = await closed;
  assert.equal(signal, null, stderr);
  assert.equal(code, 143, stderr);
  assert.ok(Date.now() - killed < 5000, `took ${Date.now() - killed} ms to stop`);
  assert.equal(fs.readFileSync(target, 'utf8'), 'previous');
  assert.deepEqual(tempFilesIn(out), []);
});

test('a read failing past the first chunks: the same error as before, exit 1, nothing written', async (t) => {
  if (!shim()) return t.skip('no C compiler for the read-failure shim');
  const f = fragment(10 * MiB);
  const dir = mk({ 'a.json': '1', 'big.json': f.bytes });
  const out = mk({ 'all.json': 'previous', 'all.tar': 'previous' });
  const big = path.join(dir, 'big.json');
  for (const [mode, args] of [
    ['json', []],
    ['tar', ['--mode', 'tar']],
  ]) {
    // Each mode writes a name of its own format (a .json name is refused in tar mode).
    const target = path.join(out, `all.${mode}`);
    for (const readMode of ['sync', 'async']) {
      const env = { LD_PRELOAD: shim(), AGG_EIO_AFTER: String(3 * MiB), AGGREGATE_READ_MODE: readMode };
      const r = await run(['-q', ...args, dir, '-o', target], { env, timeout: 60_000 });
      assert.equal(r.code, 1, `${mode} ${readMode}: ${r.stderr}`);
      assert.equal(r.stderr, `aggregate: cannot read ${big}: input/output error (EIO)\n`, `${mode} ${readMode}`);
      assert.equal(fs.readFileSync(target, 'utf8'), 'previous');
      assert.deepEqual(tempFilesIn(out), []);
    }
  }
});
