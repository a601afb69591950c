// The fan-in contract (--expect, --expect-names, --max-missing, --max-invalid) as a user runs it.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run, tmpdir, writeTree, rm, tempFilesIn } from '../helpers/cli.js';

const dirs = [];
const mk = (files = {}) => {
  const d = tmpdir();
  dirs.push(d);
  return writeTree(d, files);
};
after(() => dirs.forEach(rm));

const ok = (r) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
const parts = (n, from = 0) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`part-${i + from}.json`, JSON.stringify({ i: i + from })]));
const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));

/** A failed run: the given exit code, the previous output and no temp file left behind. */
async function failsUntouched(d, args, code) {
  const outDir = mk();
  const out = path.join(outDir, 'out.json');
  fs.writeFileSync(out, 'PREVIOUS');
  const r = await run([d, '-o', out, ...args]);
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}: ${r.stderr}`);
  assert.equal(fs.readFileSync(out, 'utf8'), 'PREVIOUS');
  assert.deepEqual(tempFilesIn(outDir), []);
  assert.equal(r.stdout.length, 0);
  return r;
}

describe('--expect N', () => {
  test('exactly N files: success, stats say complete', async () => {
    const d = mk(parts(3));
    const st = path.join(mk(), 'stats.json');
    const r = await run([d, '--expect', '3', '--stats', st, '-q']);
    ok(r);
    assert.deepEqual(JSON.parse(r.stdout), [{ i: 0 }, { i: 1 }, { i: 2 }]);
    const s = readJson(st);
    assert.equal(s.expected, 3);
    assert.equal(s.missing, 0);
    assert.equal(s.extra, 0);
    assert.equal(s.complete, true);
  });

  test('fewer files: exit 4, expected and found counts named, nothing written', async () => {
    const d = mk(parts(3));
    const r = await failsUntouched(d, ['--expect', '5'], 4);
    assert.match(r.stderr, /incomplete input under .*: expected 5 files, found 3; 2 missing/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('more files than expected: exit 4 (a stale fragment from an earlier run)', async () => {
    const d = mk(parts(4));
    const r = await failsUntouched(d, ['--expect', '3'], 4);
    assert.match(r.stderr, /expected 3 files, found 4; 1 unexpected/);
  });

  test('--expect 0 on an empty match: success; on a wrong pattern the count fails it', async () => {
    const d = mk({ 'sub/part-0.json': '1', 'sub/part-1.json': '2' });
    ok(await run([d, '-p', '*.json', '--expect', '0', '-q']));
    const r = await failsUntouched(d, ['-p', '*.json', '--expect', '2'], 4);
    assert.match(r.stderr, /expected 2 files, found 0/);
  });

  test('counted after --pattern and --ignore', async () => {
    const d = mk({ ...parts(3), 'notes.txt': 'x', 'debug.json': '{}' });
    ok(await run([d, '--ignore', 'debug.json', '--expect', '3', '-q']));
    await failsUntouched(d, ['--expect', '3'], 4); // debug.json counts without the ignore
  });

  test('with --shard: the whole matched set is counted, every shard checks it', async () => {
    const d = mk(parts(4));
    const r0 = await run([d, '--expect', '4', '--shard', '0/2', '-q']);
    ok(r0);
    assert.deepEqual(JSON.parse(r0.stdout), [{ i: 0 }, { i: 1 }]);
    const r1 = await run([d, '--expect', '4', '--shard', '1/2', '-q']);
    ok(r1);
    assert.deepEqual(JSON.parse(r1.stdout), [{ i: 2 }, { i: 3 }]);
    // A file missing from shard 1's range fails shard 0 too.
    fs.unlinkSync(path.join(d, 'part-3.json'));
    await failsUntouched(d, ['--expect', '4', '--shard', '0/2'], 4);
    await failsUntouched(d, ['--expect', '4', '--shard', '1/2'], 4);
  });

  test('checked before anything is read: an invalid fragment in an incomplete input gives 4, not 3', async () => {
    const d = mk({ ...parts(2), 'part-2.json': '{"truncated": ' });
    const r = await failsUntouched(d, ['--expect', '4'], 4);
    assert.doesNotMatch(r.stderr, /invalid input/);
  });

  test('the output directory is not even created when the input is incomplete', async () => {
    const d = mk(parts(1));
    const out = path.join(mk(), 'new/dir/out.json');
    const r = await run([d, '--expect', '2', '-o', out]);
    assert.equal(r.code, 4);
    assert.equal(fs.existsSync(path.dirname(out)), false);
  });

  test('stats on a failed run: not written on this build (nothing is written on failure)', async () => {
    // When stats on every run land, this becomes: written, with expected/missing/extra.
    const d = mk(parts(2));
    const st = path.join(mk(), 'stats.json');
    const r = await run([d, '--expect', '3', '--stats', st]);
    assert.equal(r.code, 4);
    assert.equal(fs.existsSync(st), false);
  });
});

describe('--max-missing', () => {
  test('a count: within it success, with the loss in the stats; past it exit 4', async () => {
    const d = mk(parts(8));
    const st = path.join(mk(), 'stats.json');
    const r = await run([d, '--expect', '10', '--max-missing', '2', '--stats', st, '-q']);
    ok(r);
    assert.equal(JSON.parse(r.stdout).length, 8);
    const s = readJson(st);
    assert.deepEqual([s.expected, s.missing, s.extra, s.complete], [10, 2, 0, false]);
    const f = await failsUntouched(d, ['--expect', '11', '--max-missing', '2'], 4);
    assert.match(f.stderr, /3 missing \(--max-missing 2 allows 2\)/);
  });

  test('a percentage of the expected count, rounded down', async () => {
    const d = mk(parts(9));
    ok(await run([d, '--expect', '10', '--max-missing', '10%', '-q']));
    ok(await run([d, '--expect', '11', '--max-missing', '19%', '-q'])); // 2.09 -> 2 allowed
    const f = await failsUntouched(d, ['--expect', '11', '--max-missing', '18%'], 4); // 1.98 -> 1
    assert.match(f.stderr, /2 missing \(--max-missing 18% allows 1\)/);
  });

  test('extra files fail whatever --max-missing allows', async () => {
    const d = mk(parts(5));
    await failsUntouched(d, ['--expect', '4', '--max-missing', '100%'], 4);
  });
});
