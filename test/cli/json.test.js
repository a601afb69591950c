// JSON mode as a user runs it: `node bundle/aggregate.cjs` on real temp dirs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { run, tempTrees, tempFilesIn, have } from '../helpers/cli.js';
import { rng } from '../helpers/json-ref.js';

const mk = tempTrees();

const parse = (r) => JSON.parse(r.stdout.toString('utf8'));
const ok = (r) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
const HAVE_JQ = have('jq');

describe('ordering', () => {
  test('natural (default): part-2 before part-10, digit runs compared as numbers, ties by byte order', async () => {
    const names = ['part-10.json', 'part-2.json', 'part-1.json', 'part-02.json', 'b/part-3.json', 'a.json', 'part-100.json', 'part-9.json'];
    const d = mk(Object.fromEntries(names.map((n) => [n, JSON.stringify(n)])));
    const r = await run([d, '-q']);
    ok(r);
    // By hand: 'a' < 'b/' < 'part-'; among parts 1 < 02 == 2 (byte order: '0' < '2') < 9 < 10 < 100.
    assert.deepEqual(parse(r), ['a.json', 'b/part-3.json', 'part-1.json', 'part-02.json', 'part-2.json', 'part-9.json', 'part-10.json', 'part-100.json']);
  });
  test('name: byte order of the relative path', async () => {
    const names = ['part-10.json', 'part-2.json', 'Z.json', 'a.json', 'é.json', 'part-1.json'];
    const d = mk(Object.fromEntries(names.map((n) => [n, JSON.stringify(n)])));
    const r = await run([d, '--sort', 'name', '-q']);
    ok(r);
    const expected = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(parse(r), expected);
  });
  test('mtime: oldest first, ties by byte order', async () => {
    const d = mk({ 'c.json': '"c"', 'a.json': '"a"', 'b.json': '"b"', 'd.json': '"d"' });
    const t = (s) => new Date(Date.UTC(2020, 0, 1, 0, 0, s));
    fs.utimesSync(path.join(d, 'c.json'), t(1), t(1));
    fs.utimesSync(path.join(d, 'a.json'), t(3), t(3));
    fs.utimesSync(path.join(d, 'b.json'), t(2), t(2));
    fs.utimesSync(path.join(d, 'd.json'), t(2), t(2));
    const r = await run([d, '--sort', 'mtime', '-q']);
    ok(r);
    assert.deepEqual(parse(r), ['c', 'b', 'd', 'a']);
  });
  test('none: the same set of values, each once', async () => {
    const files = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}.json`, String(i)]));
    const d = mk(files);
    const r = await run([d, '--sort', 'none', '-q']);
    ok(r);
    assert.deepEqual(
      parse(r).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});

describe('semantics', () => {
  test('values copied byte for byte: big ints, long decimals, 1E400, escapes, key order', async () => {
    const d = mk({
      'a.json': '12345678901234567890\n',
      'b.json': '  0.10000000000000000555111512312578270211815834045410156250 1E400 -0.0e-0\n',
      'c.json': '{ "z" : 1, "a" : "\\u00e9\\ud800\\/\\n", "m" : [ ] }',
    });
    const r = await run([d, '-q']);
    ok(r);
    assert.equal(
      r.stdout.toString(),
      '[12345678901234567890,0.10000000000000000555111512312578270211815834045410156250,1E400,-0.0e-0,{"z":1,"a":"\\u00e9\\ud800\\/\\n","m":[]}]\n',
    );
  });

  test('file boundaries hold: 1 and 2 without trailing newline give [1,2] (jq gives [12])', async () => {
    const d = mk({ 'part-1.json': '1', 'part-2.json': '2', 'part-3.json': 'true', 'part-4.json': '"s"' });
    const r = await run([d, '-q']);
    ok(r);
    assert.equal(r.stdout.toString(), '[1,2,true,"s"]\n');
    if (HAVE_JQ) {
      // The glue this tool exists to avoid (documented jq behaviour, checked when jq is present).
      const jq = spawnSync('jq', ['-s', '-c', '.', path.join(d, 'part-1.json'), path.join(d, 'part-2.json')]);
      assert.equal(jq.stdout.toString().trim(), '[12]');
    }
  });

  test('jq -s equivalence on generated fragment sets', { skip: HAVE_JQ ? false : 'jq not on PATH' }, async () => {
    const rand = rng(42);
    const pick = (a) => a[Math.floor(rand() * a.length)];
    const value = (depth) => {
      const k = Math.floor(rand() * (depth > 2 ? 5 : 7));
      if (k === 0) return Math.round((rand() - 0.5) * 1e6) / 1e3;
      if (k === 1) return pick([true, false, null]);
      if (k === 2) return pick(['', 'a', 'é€😀', 'line\nbreak', 'q"uote\\', '\u0001']);
      if (k === 3) return Math.floor(rand() * 1e9);
      if (k === 4) return pick([0, -1, 1e-7, 2.5e30]);
      if (k === 5) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [pick(['k', 'key', 'é', 'x y']) + i, value(depth + 1)]));
    };
    for (let round = 0; round < 5; round++) {
      const files = {};
      const n = 1 + Math.floor(rand() * 40);
      for (let i = 0; i < n; i++) {
        const vals = Array.from({ length: Math.floor(rand() * 4) }, () => value(0));
        const ws = pick(['\n', ' ', '\n\n', '\t', '\r\n']);
        files[`frag-${i}.json`] = vals.map((v) => JSON.stringify(v, null, rand() < 0.5 ? 0 : 2)).join(ws) + '\n';
      }
      const d = mk(files);
      const r = await run([d, '-q']);
      ok(r);
      const order = Object.keys(files).sort((a, b) => Number(a.match(/\d+/)[0]) - Number(b.match(/\d+/)[0]));
      const jq = spawnSync('jq', ['-s', '-c', '.', ...order.map((f) => path.join(d, f))], { maxBuffer: 1 << 26 });
      assert.equal(jq.status, 0, jq.stderr.toString());
      assert.deepEqual(parse(r), JSON.parse(jq.stdout.toString()));
    }
  });

  test('6,000 fragments give ONE array with 6,000 elements in natural order', async () => {
    const d = mk();
    for (let i = 0; i < 6000; i++) fs.writeFileSync(path.join(d, `message-${i}.json`), `{"i":${i}}`);
    const r = await run([d, '-q']);
    ok(r);
    const out = r.stdout.toString();
    assert.equal(out.split('\n').length, 2, 'one line, one array');
    const arr = JSON.parse(out);
    assert.equal(arr.length, 6000);
    arr.forEach((v, i) => assert.equal(v.i, i));
  });

  test('empty dir gives []', async () => {
    const r = await run([mk(), '-q']);
    ok(r);
    assert.equal(r.stdout.toString(), '[]\n');
  });

  test('UTF-8 BOM at fragment start is dropped; empty and whitespace-only fragments contribute nothing', async () => {
    const d = mk({ 'a.json': '\ufeff{"a":1}', 'b.json': '', 'c.json': ' \n\t\r\n', 'd.json': '\ufeff', 'e.json': '[2]' });
    const r = await run([d, '--stats', path.join(d, 'stats.json'), '-q']);
    ok(r);
    assert.equal(r.stdout.toString(), '[{"a":1},[2]]\n');
    const st = JSON.parse(fs.readFileSync(path.join(d, 'stats.json')));
    assert.equal(st.emptyFiles, 3);
    assert.equal(st.files, 5);
    assert.equal(st.values, 2);
  });

  test('both read paths (AGGREGATE_READ_MODE=sync|async) give identical output', async () => {
    const files = {};
    for (let i = 0; i < 300; i++) files[`d${i % 7}/f-${i}.json`] = i % 11 === 0 ? '' : `[${i}, "${'x'.repeat(i * 3)}"]\n${i}`;
    files['big.json'] = '[' + Array.from({ length: 200_000 }, (_, i) => i).join(',') + ']'; // > 1 MiB: several chunks
    const d = mk(files);
    const a = await run([d, '-q'], { env: { AGGREGATE_READ_MODE: 'sync' } });
    const b = await run([d, '-q', '--concurrency', '7'], { env: { AGGREGATE_READ_MODE: 'async' } });
    const c = await run([d, '-q']);
    ok(a);
    ok(b);
    ok(c);
    assert.ok(a.stdout.equals(b.stdout), 'sync and async differ');
    assert.ok(a.stdout.equals(c.stdout), 'sync and auto differ');
    assert.equal(JSON.parse(a.stdout.toString()).length, 300 - 28 + 300 - 28 + 1);
  });

  test('--stats readAhead: the read path taken and the most opens in flight', async () => {
    const files = {};
    for (let i = 0; i < 40; i++) files[`f-${i}.json`] = `${i}\n`;
    const d = mk(files);
    // Outside the input (a stats file inside would be read as a fragment), in a temp dir of its own.
    const st = path.join(mk(), 'stats.json');
    ok(await run([d, '-q', '--stats', st], { env: { AGGREGATE_READ_MODE: 'sync' } }));
    assert.deepEqual(JSON.parse(fs.readFileSync(st)).readAhead, { mode: 'sync', window: 32, maxInFlight: 0 });
    ok(await run([d, '-q', '--stats', st, '--concurrency', '7'], { env: { AGGREGATE_READ_MODE: 'async' } }));
    const ra = JSON.parse(fs.readFileSync(st)).readAhead;
    assert.equal(ra.mode, 'async');
    assert.equal(ra.window, 7);
    // 40 files through a window of 7: the window fills (the first fill starts 7 opens at once).
    assert.equal(ra.maxInFlight, 7);
  });
});

describe('invalid input (exit 3, file + line:column + byte offset, no output)', { concurrency: 4 }, () => {
  const cases = [
    ['truncated', '{"a": [1, 2', 1, 12, 11, /end of input/],
    ['trailing comma', '[1,2,]', 1, 6, 5, /unexpected '\]'/],
    ['NaN', '[1,\n NaN]', 2, 2, 5, /unexpected 'N'/],
    ['comment', '// c\n[1]', 1, 1, 0, /unexpected '\/'/],
    ['leading zero', '{"n": 012}', 1, 8, 7, /leading zero/],
    ['control char', '["a\u0001b"]', 1, 4, 3, /control character/],
    ['bad UTF-8', Buffer.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]), 1, 4, 3, /UTF-8/],
    ['overlong UTF-8', Buffer.from([0x22, 0xc0, 0xaf, 0x22]), 1, 2, 1, /UTF-8/],
    ['encoded surrogate', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), 1, 3, 2, /UTF-8/],
    ['Infinity', '[Infinity]', 1, 2, 1, /unexpected 'I'/],
    ['scalars glued', '1 2x', 1, 4, 3, /whitespace/],
  ];
  for (const [name, content, line, column, offset, reason] of cases) {
    test(name, async () => {
      const d = mk({ 'a-1.json': '[0]\n', 'a-2.json': content, 'a-3.json': '[3]\n' });
      const outDir = mk();
      const out = path.join(outDir, 'out.json');
      const r = await run([d, '-o', out]);
      assert.equal(r.code, 3, r.stderr);
      const file = path.join(d, 'a-2.json');
      assert.ok(r.stderr.includes(file), `stderr does not name ${file}: ${r.stderr}`);
      assert.ok(
        r.stderr.includes(`${line}:${column}`) && r.stderr.includes(`byte offset ${offset}`),
        `position ${line}:${column}/${offset} not in: ${r.stderr}`,
      );
      assert.match(r.stderr, reason);
      assert.equal(r.stdout.length, 0);
      assert.equal(fs.existsSync(out), false, 'output file was written');
      assert.deepEqual(fs.readdirSync(outDir), [], 'temp files left');
      // Same on stdout: nothing printed.
      const s = await run([d]);
      assert.equal(s.code, 3);
      assert.equal(s.stdout.length, 0);
    });
  }
  test('--flatten with a non-array top-level value is invalid input', async () => {
    const d = mk({ 'a.json': '[1,2]', 'b.json': '[3] {"x":1}' });
    const r = await run([d, '--flatten']);
    assert.equal(r.code, 3);
    assert.ok(r.stderr.includes(path.join(d, 'b.json')) && r.stderr.includes('1:5') && r.stderr.includes('byte offset 4'), r.stderr);
    assert.equal(r.stdout.length, 0);
  });
});

describe('--on-invalid skip', () => {
  test('the bad fragment is left out entirely, even its valid first values; stats list it; exit 0', async () => {
    const d = mk({ 'p-1.json': '1\n', 'p-2.json': '"kept?" {"also":"kept?"}\n[1,', 'p-3.json': '3\n', 'p-4.json': '[4] [5,]' });
    const st = path.join(mk(), 'stats.json');
    for (const format of ['array', 'ndjson']) {
      const r = await run([d, '--on-invalid', 'skip', '--stats', st, '--format', format]);
      ok(r);
      const values =
        format === 'array'
          ? parse(r)
          : r.stdout
              .toString()
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l));
      assert.deepEqual(values, [1, 3]);
      assert.match(r.stderr, /p-2\.json/);
      assert.match(r.stderr, /p-4\.json/);
      const stats = JSON.parse(fs.readFileSync(st));
      assert.deepEqual(
        stats.skipped.map((s) => s.path),
        ['p-2.json', 'p-4.json'],
      );
      // The shape of invalid[]: the reason, and the position as its own field.
      assert.match(stats.skipped[0].reason, /end of input/);
      assert.deepEqual(stats.skipped[0].position, { line: 2, column: 4, offset: 28 });
      assert.deepEqual(stats.skipped[1].position, { line: 1, column: 8, offset: 7 });
      assert.doesNotMatch(stats.skipped[1].reason, /byte offset/);
      const shape = ({ path, reason, position, kind }) => ({ path, reason, position, kind });
      assert.deepEqual(stats.skipped.map(shape), stats.invalid.map(shape));
      assert.equal(stats.files, 2);
      assert.equal(stats.values, 2);
    }
  });
  test('skip with a big bad fragment that was partly flushed to the output', async () => {
    // More than the 4 MiB output buffer of valid values before the error: rollback must truncate.
    const big = '[' + '"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",'.repeat(100_000) + '1 2]';
    const d = mk({ 'a.json': '"a"', 'b.json': big, 'c.json': '"c"' });
    const out = path.join(mk(), 'o.json');
    const r = await run([d, '--on-invalid', 'skip', '-o', out, '-q']);
    ok(r);
    assert.equal(fs.readFileSync(out, 'utf8'), '["a","c"]\n');
  });
});

describe('output file', () => {
  test('atomic: previous file preserved on failure, replaced on success, no temp files left', async () => {
    const d = mk({ 'a.json': '[1]', 'b.json': '[2' });
    const od = mk({ 'out.json': 'previous\n' });
    const out = path.join(od, 'out.json');
    const r = await run([d, '-o', out]);
    assert.equal(r.code, 3);
    assert.equal(fs.readFileSync(out, 'utf8'), 'previous\n');
    assert.deepEqual(tempFilesIn(od), []);
    fs.writeFileSync(path.join(d, 'b.json'), '[2]');
    const r2 = await run([d, '-o', out, '-q']);
    ok(r2);
    assert.equal(r2.stdout.length, 0, 'stdout gets nothing when -o is given');
    assert.equal(fs.readFileSync(out, 'utf8'), '[[1],[2]]\n');
    assert.deepEqual(tempFilesIn(od), []);
    const r3 = await run([d, '-o', '-', '-q']);
    assert.equal(r3.stdout.toString(), '[[1],[2]]\n');
  });

  test('self-exclusion: -o, --stats, --manifest inside <dir>, run twice', async () => {
    const d = mk({ 'a.json': '1', 'sub/b.json': '2' });
    const args = [d, '-o', path.join(d, 'out.json'), '--stats', path.join(d, 'sub/stats.json'), '--manifest', path.join(d, 'manifest.json'), '-q'];
    ok(await run(args));
    ok(await run(args));
    assert.equal(fs.readFileSync(path.join(d, 'out.json'), 'utf8'), '[1,2]\n');
    assert.equal(JSON.parse(fs.readFileSync(path.join(d, 'sub/stats.json'))).files, 2);
    // Relative output path from another cwd, and <dir> through a symbolic link.
    const link = path.join(mk(), 'link');
    fs.symlinkSync(d, link);
    const side = (base) => ['--stats', path.join(base, 'sub/stats.json'), '--manifest', path.join(base, 'manifest.json')];
    ok(await run(['.', '-o', 'out.json', '-q', ...side('.')], { cwd: d }));
    ok(await run([link, '-o', path.join(d, 'out.json'), '-q', ...side(d)]));
    ok(await run([d, '-o', path.join(link, 'out.json'), '-q', ...side(link)]));
    assert.equal(fs.readFileSync(path.join(d, 'out.json'), 'utf8'), '[1,2]\n');
  });
});

describe('discovery', () => {
  test('dotfiles and dot-dirs are not matched', async () => {
    const d = mk({ 'a.json': '1', '.b.json': '2', '.hidden/c.json': '3', 'x/.d.json': '4', 'x/e.json': '5' });
    const r = await run([d, '-q']);
    ok(r);
    assert.deepEqual(parse(r), [1, 5]);
  });
  test('--pattern and --ignore (repeatable, relative to <dir>)', async () => {
    const d = mk({ 'a.json': '1', 'b.txt': '2', 'sub/c.json': '3', 'sub/d.ndjson': '4', 'skip/e.json': '5', 'f.json': '6' });
    let r = await run([d, '-p', '*.json', '-q']);
    assert.deepEqual(parse(r), [1, 6]);
    r = await run([d, '-p', '**/*.json', '-p', '**/*.ndjson', '--ignore', 'skip/**', '--ignore', 'f.json', '-q']);
    assert.deepEqual(parse(r), [1, 3, 4]);
    r = await run([d, '-p', '*.txt', '-q']);
    assert.deepEqual(parse(r), [2]);
    r = await run([d, '-p', '/etc/*.json']);
    assert.equal(r.code, 2);
    r = await run([d, '-p', '../x/*.json']);
    assert.equal(r.code, 2);
  });
});

describe('formats', () => {
  test('ndjson: one compact value a line', async () => {
    const d = mk({ 'a.json': '{ "a" : [ 1 , 2 ] }\n"s"', 'b.json': '', 'c.json': '  3  ' });
    const r = await run([d, '--format', 'ndjson', '-q']);
    ok(r);
    assert.equal(r.stdout.toString(), '{"a":[1,2]}\n"s"\n3\n');
    const e = await run([mk(), '--format', 'ndjson', '-q']);
    assert.equal(e.stdout.toString(), '');
  });
  test('flatten splices array elements (tree reduce of shards gives the unsharded result)', async () => {
    const d = mk({ 'p-1.json': '[1,[2]]', 'p-2.json': '[]', 'p-3.json': '[{"x":3}]\n[4]' });
    const r = await run([d, '--flatten', '-q']);
    ok(r);
    assert.equal(r.stdout.toString(), '[1,[2],{"x":3},4]\n');
  });
});

describe('stats and manifest', () => {
  test('--stats fields', async () => {
    const files = { 'a.json': '[1, 2]\n', 'b.json': '\n', 'c.json': '"x" "y"' };
    const d = mk({ ...files, 'fifo-less/dir.json/inner.txt': 'not json' });
    const od = mk();
    const st = path.join(od, 'st.json');
    const out = path.join(od, 'out.json');
    const r = await run([d, '-o', out, '--stats', st]);
    ok(r);
    assert.match(r.stderr, /3 files/); // the summary on stderr (not -q)
    const q = await run([d, '-o', out, '-q']);
    assert.doesNotMatch(q.stderr, /files/);
    const s = JSON.parse(fs.readFileSync(st));
    const bytesIn = Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0);
    assert.equal(s.files, 3);
    assert.equal(s.values, 3);
    assert.equal(s.emptyFiles, 1);
    assert.equal(s.matched, 3);
    assert.equal(s.bytesIn, bytesIn);
    assert.equal(s.bytesOut, fs.statSync(out).size);
    assert.equal(s.output, out);
    assert.equal(s.shard, null);
    assert.deepEqual(s.skipped, [{ path: 'fifo-less/dir.json', reason: 'directory', position: null }]);
    assert.equal(typeof s.elapsedMs, 'number');
    assert.ok(s.elapsedMs >= 0);
  });
  test('--manifest: path, size, values, sha256 of each entry, and skipped', async () => {
    const files = { 'p-2.json': '[2]\n', 'p-10.json': '10 11', 'p-1.json': '' };
    const d = mk(files);
    fs.mkdirSync(path.join(d, 'x.json'));
    const m = path.join(mk(), 'm.json');
    ok(await run([d, '--manifest', m, '-q']));
    const man = JSON.parse(fs.readFileSync(m));
    const sha = (s) => createHash('sha256').update(s).digest('hex');
    assert.deepEqual(
      man.entries.map(({ path: p, size, values, sha256 }) => ({ p, size, values, sha256 })),
      ['p-1.json', 'p-2.json', 'p-10.json'].map((p) => ({
        p,
        size: Buffer.byteLength(files[p]),
        values: [0, 1, 2][['p-1.json', 'p-2.json', 'p-10.json'].indexOf(p)],
        sha256: sha(files[p]),
      })),
    );
    assert.deepEqual(man.skipped, [{ path: 'x.json', reason: 'directory', position: null }]);
  });
  test('manifest sha256 of a multi-chunk file', async () => {
    const content = Buffer.from('[' + '1234567,'.repeat(400_000) + '0]');
    const d = mk({ 'big.json': content });
    const m = path.join(mk(), 'm.json');
    ok(await run([d, '--manifest', m, '-q', '-o', path.join(path.dirname(m), 'o.json')]));
    const man = JSON.parse(fs.readFileSync(m));
    assert.equal(man.entries[0].sha256, createHash('sha256').update(content).digest('hex'));
    assert.equal(man.entries[0].size, content.length);
  });
});

describe('--shard', () => {
  test('shards 0..N-1 concatenated == unsharded, for several N', async () => {
    const files = {};
    for (let i = 0; i < 17; i++) files[`s-${i}.json`] = i % 5 === 0 ? '' : `${i} [${i}]`;
    const d = mk(files);
    const all = await run([d, '-q']);
    ok(all);
    for (const n of [1, 3, 4, 20]) {
      const runs = await Promise.all(Array.from({ length: n }, (_, i) => run([d, '--shard', `${i}/${n}`, '-q'])));
      runs.forEach(ok);
      assert.deepEqual(runs.flatMap(parse), parse(all), `N=${n}`);
      if (n === 20)
        assert.ok(
          runs.some((r) => r.stdout.toString() === '[]\n'),
          'more shards than files: some are empty',
        );
    }
    const st = path.join(mk(), 'st.json');
    ok(await run([d, '--shard', '1/3', '--stats', st, '-q']));
    const s = JSON.parse(fs.readFileSync(st));
    assert.equal(s.shard, '1/3');
    assert.equal(s.matched, 17);
  });
  test('invalid --shard values exit 2', async () => {
    const bads = ['3/3', '-1/3', '1/0', 'x', '1/3/4', '1', ''];
    const runs = await Promise.all(bads.map((bad) => run([mk(), '--shard', bad])));
    runs.forEach((r, i) => {
      assert.equal(r.code, 2, `${bads[i]}: ${r.stderr}`);
      assert.equal(r.stdout.length, 0);
    });
  });
});

describe('usage', { concurrency: 4 }, () => {
  const cases = [
    ['no dir', []],
    ['missing dir', ['/nonexistent/agg-test']],
    ['not a directory', ['/etc/hostname']],
    ['unknown flag', ['DIR', '--bogus']],
    ['bad --sort', ['DIR', '--sort', 'size']],
    ['bad --format', ['DIR', '--format', 'xml']],
    ['bad --on-invalid', ['DIR', '--on-invalid', 'ignore']],
    ['bad --concurrency', ['DIR', '--concurrency', '0']],
    ['non-numeric --concurrency', ['DIR', '--concurrency', 'many']],
    ['two dirs', ['DIR', 'DIR']],
  ];
  for (const [name, args] of cases) {
    test(`${name}: exit 2, one-line message, nothing on stdout`, async () => {
      const d = mk({ 'a.json': '1' });
      const r = await run(args.map((a) => (a === 'DIR' ? d : a)));
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout.length, 0);
      assert.equal(r.stderr.trim().split('\n').length, 1, `not one line: ${r.stderr}`);
      assert.match(r.stderr, /^aggregate: /);
    });
  }
  test('--help and --version exit 0', async () => {
    const h = await run(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout.toString(), /--on-invalid/);
    const v = await run(['--version']);
    assert.equal(v.code, 0);
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url)));
    assert.equal(v.stdout.toString().trim(), pkg.version);
  });
});
