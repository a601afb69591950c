// The fan-in contract (--expect, --expect-names, --max-missing, --max-invalid) as a user runs it.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run, tempTrees, tempFilesIn } from '../helpers/cli.js';

const mk = tempTrees();

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

  test('stats on a failed run (exit 4): written, with the outcome and what was missing', async () => {
    const d = mk(parts(2));
    const st = path.join(mk(), 'stats.json');
    const r = await run([d, '--expect', '3', '--stats', st, '-q']);
    assert.equal(r.code, 4);
    assert.equal(r.stdout.length, 0);
    const s = readJson(st);
    assert.deepEqual([s.ok, s.exitCode, s.expected, s.missing, s.extra, s.complete], [false, 4, 3, 1, 0, false]);
    assert.match(s.error, /^incomplete input under .*: expected 3 files, found 2; 1 missing/);
    // --expect N counts files, it does not name them: the name lists are unknown (null), not empty.
    assert.deepEqual([s.missingFiles, s.extraFiles], [null, null]);
    assert.equal(s.bytesOut, 0);
  });

  test('stats on a failed run (exit 4) with --expect-names: the missing and extra names', async () => {
    const d = mk({ ...parts(2), 'stale.json': '9', 'n\u00e9\nl.json': '8' });
    const st = path.join(mk(), 'stats.json');
    const r = await run([d, '--expect-names', '-', '--stats', st, '-q'], { input: 'part-0.json\npart-1.json\npart-2.json\n' });
    assert.equal(r.code, 4, r.stderr);
    const s = readJson(st);
    assert.deepEqual([s.ok, s.exitCode, s.expected, s.missing, s.extra], [false, 4, 3, 1, 2]);
    assert.deepEqual(s.missingFiles, [{ path: 'part-2.json' }]);
    assert.deepEqual(s.extraFiles.map((f) => f.path).sort(), ['n\u00e9\nl.json', 'stale.json']);
    assert.equal(s.error, r.stderr.trim().replace(/^aggregate: /, ''));
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

  test('the name lists say whether names are known: null under --expect N (stats and manifest), lists under --expect-names', async () => {
    const d = mk(parts(8));
    const o = mk();
    const [st, man] = [path.join(o, 'stats.json'), path.join(o, 'manifest.json')];
    ok(await run([d, '--expect', '10', '--max-missing', '2', '--stats', st, '--manifest', man, '-o', path.join(o, 'out.json'), '-q']));
    let s = readJson(st);
    assert.deepEqual([s.missing, s.missingFiles, s.extra, s.extraFiles], [2, null, 0, null]);
    let m = readJson(man);
    assert.deepEqual([m.expected, m.missing, m.extra], [10, null, null]);
    // Without any expectation: nothing expected, no names known.
    ok(await run([d, '--stats', st, '-q']));
    s = readJson(st);
    assert.deepEqual([s.expected, s.missingFiles, s.extraFiles], [null, null, null]);
    // With names: the lists, empty when nothing is missing or extra.
    const names = Object.keys(parts(9)).join('\n');
    ok(await run([d, '--expect-names', '-', '--max-missing', '1', '--stats', st, '--manifest', man, '-o', path.join(o, 'out.json'), '-q'], { input: names }));
    s = readJson(st);
    assert.deepEqual([s.missing, s.missingFiles, s.extra, s.extraFiles], [1, [{ path: 'part-8.json' }], 0, []]);
    m = readJson(man);
    assert.deepEqual([m.expected, m.missing, m.extra], [9, [{ path: 'part-8.json' }], []]);
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

describe('--expect-names', () => {
  test('one path per line, a JSON array, or stdin: the same set passes', async () => {
    const d = mk({ 'a/part-0.json': '0', 'a/part-1.json': '1', 'b.json': '2' });
    const names = ['a/part-0.json', 'a/part-1.json', 'b.json'];
    const side = mk();
    const lines = path.join(side, 'names.txt');
    fs.writeFileSync(lines, names.join('\r\n') + '\n\n');
    const arr = path.join(side, 'names.json');
    fs.writeFileSync(arr, JSON.stringify([names[0], { path: names[1] }, { pathBase64: Buffer.from(names[2]).toString('base64') }]));
    for (const args of [['--expect-names', lines], ['--expect-names', arr], ['--expect-names', '-'], ['--expect-names=-']]) {
      const r = await run([d, ...args, '-q'], { input: names.join('\n') });
      ok(r);
      assert.deepEqual(JSON.parse(r.stdout), [0, 1, 2]);
    }
  });

  test('missing and unexpected files are named in the message (quoted), exit 4', async () => {
    const d = mk({ 'part-0.json': '0', 'part-1.json': '1', 'stale\nforged.json': '9' });
    const empty = await failsUntouched(d, ['--expect-names', '-'], 4); // an empty list expects nothing
    assert.match(empty.stderr, /expected 0 files, found 3; 3 unexpected/);
    const r2 = await run([d, '--expect-names', '-'], { input: 'part-0.json\npart-1.json\npart-2.json\n' });
    assert.equal(r2.code, 4);
    assert.match(r2.stderr, /expected 3 files, found 3; 1 missing: part-2\.json; 1 unexpected: \$'stale\\nforged\.json'/);
    assert.equal(r2.stderr.trim().split('\n').length, 1);
  });

  test('long lists are capped in the message and in --stats, complete in --manifest', async () => {
    const d = mk(parts(5));
    const names = Object.keys(parts(30));
    const side = mk();
    const list = path.join(side, 'names.json');
    fs.writeFileSync(list, JSON.stringify(names));
    const r = await run([d, '--expect-names', list], { input: '' });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /25 missing: part-5\.json, part-6\.json, .*part-14\.json and 15 more/);
    const st = path.join(side, 'stats.json');
    const m = path.join(side, 'manifest.json');
    ok(await run([d, '--expect-names', list, '--max-missing', '25', '--stats', st, '--manifest', m, '-q']));
    const s = readJson(st);
    assert.deepEqual([s.expected, s.missing, s.extra, s.complete], [30, 25, 0, false]);
    assert.equal(s.missingFiles.length, 20);
    assert.deepEqual(s.missingFiles[0], { path: 'part-5.json' });
    const man = readJson(m);
    const text = fs.readFileSync(m, 'utf8');
    assert.equal(text, JSON.stringify(man, null, 2) + '\n', 'the streamed layout, contract fields included');
    assert.deepEqual(Object.keys(man), ['version', 'mode', 'entries', 'skipped', 'expected', 'missing', 'extra']);
    assert.equal(man.expected, 30);
    assert.deepEqual(
      man.missing.map((e) => e.path),
      names.slice(5),
    );
    assert.deepEqual(man.extra, []);
  });

  test('names are compared as exact bytes: no normalization, no case folding', async () => {
    const d = mk({ 'Part-0.json': '0', 'caf\u00e9.json': '1' });
    const nfd = 'cafe\u0301.json';
    const r = await run([d, '--expect-names', '-'], { input: `part-0.json\n${nfd}\n` });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /2 missing: part-0\.json, cafe\u0301\.json; 2 unexpected: Part-0\.json, caf\u00e9\.json/);
    const nl = mk({ 'a\nb.json': '7' });
    const list = path.join(mk(), 'n.json');
    fs.writeFileSync(list, JSON.stringify(['a\nb.json']));
    const ok2 = await run([nl, '--expect-names', list, '-q']);
    ok(ok2);
    assert.equal(ok2.stdout.toString(), '[7]\n');
  });
});

describe('--max-invalid', () => {
  const withBad = (good, bad) => ({ ...parts(good), ...Object.fromEntries(Array.from({ length: bad }, (_, i) => [`bad-${i}.json`, '{"x": '])) });

  test('within it: success, the invalid fragments left out and counted', async () => {
    const d = mk(withBad(7, 3));
    const st = path.join(mk(), 'stats.json');
    const r = await run([d, '--on-invalid', 'skip', '--max-invalid', '3', '--stats', st, '-q']);
    ok(r);
    assert.equal(JSON.parse(r.stdout).length, 7);
    const s = readJson(st);
    assert.equal(s.invalidCount, 3);
    assert.deepEqual(
      s.invalid.map((x) => [x.path, x.position.offset]),
      [
        ['bad-0.json', 6],
        ['bad-1.json', 6],
        ['bad-2.json', 6],
      ],
    );
    assert.equal(s.complete, false);
    assert.deepEqual(
      s.skipped.map((x) => x.path),
      ['bad-0.json', 'bad-1.json', 'bad-2.json'],
    );
  });

  test('past it: exit 3, nothing written, the message names the last invalid file', async () => {
    const d = mk(withBad(7, 3));
    const r = await failsUntouched(d, ['--on-invalid', 'skip', '--max-invalid', '2', '-q'], 3);
    assert.match(r.stderr, /too many invalid fragments: more than 2 of 10 \(--max-invalid 2\); the last: bad-2\.json: unexpected end of input/);
  });

  test('past it: the stats of the failed run list the invalid fragments (exit 3)', async () => {
    const d = mk(withBad(7, 3));
    const st = path.join(mk(), 'stats.json');
    const r = await run([d, '--on-invalid', 'skip', '--max-invalid', '2', '--stats', st, '-q']);
    assert.equal(r.code, 3, r.stderr);
    const s = readJson(st);
    assert.deepEqual([s.ok, s.exitCode, s.invalidCount, s.complete, s.bytesOut], [false, 3, 3, false, 0]);
    assert.match(s.error, /^too many invalid fragments: more than 2 of 10/);
    assert.deepEqual(
      s.invalid.map((x) => x.path),
      ['bad-0.json', 'bad-1.json', 'bad-2.json'],
    );
    assert.equal(s.expected, null);
  });

  test('a percentage of the files read (after --shard), rounded down', async () => {
    const d = mk(withBad(7, 3));
    ok(await run([d, '--on-invalid', 'skip', '--max-invalid', '30%', '-q']));
    await failsUntouched(d, ['--on-invalid', 'skip', '--max-invalid', '29%'], 3);
    // The bad ones sort first: shard 0/2 reads bad-0..2 and part-0..1 (5 files): 60% allows 3.
    ok(await run([d, '--on-invalid', 'skip', '--max-invalid', '60%', '--shard', '0/2', '-q']));
    await failsUntouched(d, ['--on-invalid', 'skip', '--max-invalid', '59%', '--shard', '0/2'], 3);
  });

  test('non-regular files (skipped, not invalid) do not count', async () => {
    const d = mk(parts(2));
    fs.symlinkSync(path.join(d, 'part-0.json'), path.join(d, 'link.json'));
    fs.mkdirSync(path.join(d, 'dir.json'));
    const st = path.join(mk(), 'stats.json');
    ok(await run([d, '--on-invalid', 'skip', '--max-invalid', '0', '--stats', st, '-q']));
    const s = readJson(st);
    assert.equal(s.invalidCount, 0);
    assert.deepEqual(s.invalid, []);
    assert.equal(s.skipped.length, 2);
  });
});

describe('refused combinations and bad values: exit 2 before anything is read', () => {
  const cases = [
    [['--expect', '-1'], /invalid --expect '-1'/],
    [['--expect', 'ten'], /invalid --expect 'ten'/],
    [['--expect', '1.5'], /invalid --expect '1.5'/],
    [['--expect', ''], /invalid --expect ''/],
    [['--expect', '2', '--expect-names', '-'], /either --expect or --expect-names, not both/],
    [['--max-missing', '1'], /--max-missing needs --expect N or --expect-names FILE/],
    [['--expect', '2', '--max-missing', '101%'], /invalid --max-missing '101%'/],
    [['--expect', '2', '--max-missing', 'x'], /invalid --max-missing 'x'/],
    [['--max-invalid', '1'], /--max-invalid needs --on-invalid skip/],
    [['--on-invalid', 'fail', '--max-invalid', '1'], /--max-invalid needs --on-invalid skip/],
    [['--on-invalid', 'skip', '--max-invalid', '-2'], /invalid --max-invalid '-2'/],
    [['--expect-names', '/nonexistent/names.txt'], /--expect-names \/nonexistent\/names\.txt: no such file/],
  ];
  for (const [args, re] of cases) {
    test(args.join(' '), async () => {
      const d = mk(parts(2));
      const r = await failsUntouched(d, args, 2);
      assert.match(r.stderr, re);
    });
  }

  test('a names file with a bad entry: absolute, .., listed twice, not an array of paths', async () => {
    const d = mk(parts(2));
    for (const [input, re] of [
      ['/etc/passwd\n', /is not a relative path/],
      ['a/../part-0.json\n', /is not a relative path/],
      ['./part-0.json\n', /is not a relative path/],
      ['part-0.json\npart-0.json\n', /part-0\.json is listed twice/],
      ['[1, 2]', /element 0 is not a path/],
      ['[ "a", ', /not valid JSON/],
    ]) {
      const r = await run([d, '--expect-names', '-'], { input });
      assert.equal(r.code, 2, `${input}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });
});

test('--help documents exit code 4 and the refused combinations', async () => {
  const r = await run(['--help']);
  ok(r);
  const help = r.stdout.toString();
  assert.match(help, /^ {2}4 {4}incomplete input: fewer or other files than --expect\/--expect-names promised/m);
  assert.match(help, /Refused \(exit 2\): --key-by with --format ndjson, --flatten or --mode tar\|zip/);
  for (const flag of ['--expect ', '--expect-names', '--max-missing', '--max-invalid', '--key-by']) assert.ok(help.includes(flag), flag);
});

test('--expect-names: a name holding a NUL byte is refused (exit 2)', async () => {
  const d = mk(parts(1));
  const r = await run([d, '--expect-names', '-'], { input: JSON.stringify(['part-0.json', 'a\u0000b']) });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /holds a NUL byte/);
});

describe('value flags: one value per occurrence, `-` taken as a value', () => {
  test('--output -, --output=-, -o -: stdout, before or after <dir>; no file named - is made', async () => {
    const d = mk(parts(2));
    const cwd = mk();
    for (const flag of [['--output', '-'], ['--output=-'], ['-o', '-']]) {
      for (const args of [
        [...flag, d],
        [d, ...flag],
      ]) {
        const r = await run(['-q', ...args], { cwd });
        ok(r);
        assert.deepEqual(JSON.parse(r.stdout), [{ i: 0 }, { i: 1 }], args.join(' '));
      }
    }
    assert.deepEqual(fs.readdirSync(cwd), []);
  });

  test('--expect-names - and --expect-names=- before <dir> read stdin', async () => {
    const d = mk(parts(2));
    for (const args of [
      ['--expect-names', '-', d],
      ['--expect-names=-', d],
      ['--expect-names', '-', '--max-missing', '1', d],
    ]) {
      const r = await run(['-q', ...args], { input: 'part-0.json\npart-1.json\n' });
      ok(r);
      assert.deepEqual(JSON.parse(r.stdout), [{ i: 0 }, { i: 1 }], args.join(' '));
    }
    const r = await run(['--expect-names', '-', d], { input: 'part-0.json\n' });
    assert.equal(r.code, 4, r.stderr);
  });

  test('--stats - and --manifest - are taken as the value, not as a second <dir>', async () => {
    // `-` means stdout for --output only; for --stats and --manifest it is a file named '-'.
    const d = mk(parts(2));
    for (const flag of ['--stats', '--manifest']) {
      const cwd = mk();
      const r = await run(['-q', flag, '-', d], { cwd });
      ok(r);
      assert.deepEqual(JSON.parse(r.stdout), [{ i: 0 }, { i: 1 }]);
      assert.deepEqual(fs.readdirSync(cwd), ['-']);
      assert.equal(readJson(path.join(cwd, '-')).mode, 'json');
    }
  });

  test('each new flag takes one value: <dir> after it stays the input', async () => {
    const d = mk(parts(3));
    ok(await run(['-q', '--expect', '3', d]));
    ok(await run(['-q', '--max-missing', '1', '--expect', '4', d]));
    ok(await run(['-q', '--on-invalid', 'skip', '--max-invalid', '0', d]));
    const r = await run(['-q', '--key-by', 'path', d]);
    ok(r);
    assert.equal(r.stdout.toString(), '{"part-0":{"i":0},"part-1":{"i":1},"part-2":{"i":2}}\n');
    // Repeated with another value: refused (which one was meant?); the same value twice is one.
    const twice = await run(['-q', '--expect', '9', '--expect', '3', d]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /--expect/);
    assert.equal(twice.stdout.length, 0);
    ok(await run(['-q', '--expect', '3', '--expect', '3', d]));
  });

  for (const [flag, re] of [
    ['--expect', /invalid --expect '-1': expected the number of fragment files, an integer >= 0/],
    ['--max-missing', /invalid --max-missing '-1': expected a count of files \(e\.g\. 2\) or a percentage from 0% to 100%/],
    ['--max-invalid', /invalid --max-invalid '-1': expected a count of files \(e\.g\. 2\) or a percentage from 0% to 100%/],
    ['--key-by', /invalid --key-by '-1': expected one of path$/m],
  ]) {
    test(`${flag} -1 and ${flag}=-1: exit 2 naming the flag and the accepted form`, async () => {
      const d = mk(parts(2));
      const extra = flag === '--max-missing' ? ['--expect', '2'] : flag === '--max-invalid' ? ['--on-invalid', 'skip'] : [];
      for (const args of [[flag, '-1'], [`${flag}=-1`]]) {
        const r = await failsUntouched(d, [...extra, ...args], 2);
        assert.match(r.stderr, re);
        assert.equal(r.stderr.trim().split('\n').length, 1);
      }
    });
  }

  test('a new flag left without a value says so and how to pass one starting with -', async () => {
    const d = mk(parts(1));
    const r = await run([d, '--expect-names']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--expect-names needs a value \(for a value that starts with '-', write --expect-names=VALUE\)/);
  });
});
