// Issue 10: discovery stays inside <dir>, keeps names byte for byte, and keeps its pattern
// syntax. Spawns the built CLI (and the library, for a deterministic mid-run swap).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, run, have, tempTrees } from '../helpers/cli.js';
import { aggregate } from '../../dist/index.js';

const mk = tempTrees('agg-disc-');
const ok = (r) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
const parse = (r) => JSON.parse(r.stdout.toString('utf8'));
const HAVE_JQ = have('jq');
const HAVE_TAR = spawnSync('tar', ['--version']).stdout?.toString().includes('GNU tar') ?? false;
const MiB = 1 << 20;

/** `e/in` with a file inside and secrets next to it (what an escaping pattern would reach). */
function escapeFixture() {
  const e = mk({ 's.json': '["SECRET-SIBLING"]', 'in/a.json': '["inside"]', 'in/sub/b.json': '["inside-b"]' });
  return { e, dir: path.join(e, 'in') };
}

/**
 * `sub/z.json` and `<big>` (`a.json` at the top, or `sub/a.json`), big enough that the run pauses
 * for progress while reading it (tar copies chunks faster than JSON scans them: more chunks).
 */
function bigThenZ(mode, big = 'a.json') {
  const d = mk({ 'sub/z.json': '["inside-z"]' });
  const fd = fs.openSync(path.join(d, big), 'w');
  const block = Buffer.from('[' + '1234567,'.repeat(MiB / 8));
  fs.writeSync(fd, block);
  for (let i = 0; i < (mode === 'tar' ? 400 : 48); i++) fs.writeSync(fd, block.subarray(1));
  fs.writeSync(fd, '0]');
  fs.closeSync(fd);
  return d;
}

/** The library's run with synchronous reads (nothing opened ahead of the hook); `act` runs once, at the first progress report. */
async function syncRunActingOnce(options, act) {
  let acted = false;
  const saved = process.env.AGGREGATE_READ_MODE;
  process.env.AGGREGATE_READ_MODE = 'sync';
  try {
    const stats = await aggregate({
      patterns: ['**/*.json'],
      onWarning: () => {},
      ...options,
      onProgress: () => {
        if (acted) return;
        act();
        acted = true;
      },
    });
    assert.ok(acted, 'progress hook never ran: the test did nothing mid-run');
    return stats;
  } finally {
    if (saved === undefined) delete process.env.AGGREGATE_READ_MODE;
    else process.env.AGGREGATE_READ_MODE = saved;
  }
}

/** Swaps `<d>/sub` for a link to `outside`. */
const swapSub = (d, outside) => () => {
  fs.renameSync(path.join(d, 'sub'), path.join(d, 'sub.real'));
  fs.symlinkSync(outside, path.join(d, 'sub'));
};

describe('containment: patterns', () => {
  const escaping = [
    '..{,}/*.json',
    '.{.,}/*.json',
    '{/etc/hostname,x}',
    '@(..)/*.json',
    '*(.)/*.json',
    '+(.)/*',
    '{a,..}/*.json',
    '../*.json',
    '/etc/*',
    'sub/../../*.json',
    'sub/{x,..}/*.json',
    '[.][.]/*.json',
  ];
  for (const mode of ['json', 'tar']) {
    test(`${mode}: patterns that point outside <dir> are usage errors (exit 2), no byte from outside, no stack trace`, async () => {
      const { e, dir } = escapeFixture();
      const out = path.join(e, `out.${mode}`);
      for (const p of escaping) {
        const r = await run(['--mode', mode, dir, '-p', p, '-o', out]);
        assert.equal(r.code, 2, `${p}: exit ${r.code}: ${r.stderr}`);
        assert.match(r.stderr, /points outside the input directory/, p);
        assert.doesNotMatch(r.stderr, /\n\s+at /, `${p}: stack trace`);
        assert.ok(!fs.existsSync(out), `${p}: output written`);
        // --ignore too
        const ri = await run(['--mode', mode, dir, '--ignore', p]);
        assert.equal(ri.code, 2, `--ignore ${p}: exit ${ri.code}`);
      }
    });
  }

  test('patterns only filter what the walk found: an inside path that a glob also spells stays inside', async () => {
    const { dir } = escapeFixture();
    const r = await run([dir, '-p', '{,sub/}*.json', '--flatten', '-q']);
    ok(r);
    assert.deepEqual(parse(r), ['inside', 'inside-b']);
    assert.doesNotMatch(r.stdout.toString(), /SECRET/);
  });
});

describe('containment: a directory swapped for a link during the run', () => {
  for (const mode of ['json', 'tar']) {
    test(`${mode}: the file behind the swapped directory is skipped with the reason, never read`, async () => {
      // a.* is read first; the progress hook then swaps sub for a link to a directory outside,
      // before sub/z.* is reached.
      const d = bigThenZ(mode);
      const outside = mk({ 'z.json': '["SECRET-OUTSIDE"]' });
      const od = mk();
      const output = path.join(od, `out.${mode}`);
      const warnings = [];
      const stats = await syncRunActingOnce(
        { dir: d, mode, output, stats: path.join(od, 'stats.json'), onWarning: (m) => warnings.push(m) },
        swapSub(d, outside),
      );
      assert.equal(stats.files, 1);
      assert.deepEqual(
        stats.skipped.map((s) => s.path),
        ['sub/z.json'],
      );
      assert.match(stats.skipped[0].reason, /outside the directory as walked/);
      const bytes = fs.readFileSync(output);
      assert.ok(!bytes.includes('SECRET-OUTSIDE'), 'bytes from outside <dir> in the output');
      assert.ok(
        warnings.some((w) => /skipped sub\/z\.json: not read: it was opened at .*z\.json, outside/.test(w)),
        warnings.join('\n'),
      );
    });
  }
});

describe('containment: a directory at a time', () => {
  for (const mode of ['json', 'tar']) {
    test(`${mode}: a directory swapped for a link after its first file was read is still read as walked, never through the link`, async () => {
      // The swap lands between sub/a.* and sub/z.*: z is opened inside the directory the walk
      // listed (held open since a.*), not through the new link to a directory outside.
      const d = bigThenZ(mode, 'sub/a.json');
      const outside = mk({ 'z.json': '["SECRET-OUTSIDE"]' });
      const output = path.join(mk(), `out.${mode}`);
      const stats = await syncRunActingOnce({ dir: d, mode, output }, swapSub(d, outside));
      assert.equal(stats.files, 2);
      assert.equal(stats.skippedCount, 0);
      const bytes = fs.readFileSync(output);
      assert.ok(!bytes.includes('SECRET-OUTSIDE'), 'bytes from outside <dir> in the output');
      assert.ok(bytes.includes('inside-z'), 'the walked file was not read');
    });
  }

  test('files of directories that interleave in natural order are each read from their own directory', async () => {
    // a1/x1, a01/x2, a001/x3, ...: the numbers before '/' are equal, so the files sort by x and
    // the directory changes at every file, through more directories than are held open at once.
    const files = {};
    const expected = [];
    const dirs = ['a1', 'a01', 'a001', 'a0001', 'a00001', 'a000001'];
    for (let i = 1; i <= 30; i++) {
      const rel = `${dirs[i % dirs.length]}/x${i}.json`;
      files[rel] = JSON.stringify(rel);
      expected.push(rel);
    }
    files['top.json'] = '"top.json"';
    expected.push('top.json');
    const d = mk(files);
    const r = await run([d, '-q'], { env: { AGGREGATE_READ_MODE: 'sync' } });
    ok(r);
    assert.deepEqual(parse(r), expected);
    const t = await run(['--mode', 'tar', d, '-q'], { env: { AGGREGATE_READ_MODE: 'sync' } });
    ok(t);
    for (const rel of expected) assert.ok(t.stdout.includes(JSON.stringify(rel)), `${rel} not archived`);
  });

  test('an input directory given through a symbolic link: files at its top and below are read', async () => {
    const d = mk({ 'a.json': '"a"', 'sub/b.json': '"b"', 'sub/deeper/c.json': '"c"' });
    const links = mk();
    const link = path.join(links, 'in');
    fs.symlinkSync(d, link);
    for (const dir of [link, link + '/']) {
      const r = await run([dir, '-q'], { env: { AGGREGATE_READ_MODE: 'sync' } });
      ok(r);
      assert.deepEqual(parse(r), ['a', 'b', 'c']);
    }
  });

  test('a file whose full path is too long to open fails alike in every read mode', async () => {
    // Its directory's path fits in PATH_MAX (4096 bytes) and the file's does not: opened through
    // the directory it would open, but by its path (the async reader, and main before) it cannot.
    const d = mk({ 'a.json': '"top"' });
    let deep = d;
    while (deep.length < 3950) {
      deep = path.join(deep, 'd'.repeat(Math.min(250, 4000 - deep.length)));
      fs.mkdirSync(deep);
    }
    assert.ok(deep.length < 4096 && deep.length + 206 >= 4096, `${deep.length}`);
    // Written from inside (the full path is what cannot be opened).
    for (const f of ['x', 'y']) assert.equal(spawnSync('sh', ['-c', `printf '"long"' > ${f.repeat(200)}.json`], { cwd: deep }).status, 0);
    try {
      const results = [];
      for (const mode of ['sync', 'async', 'auto']) {
        const r = await run([d, '-q'], { env: { AGGREGATE_READ_MODE: mode } });
        results.push(`${r.code} ${r.stderr}`);
        assert.equal(r.code, 1, `${mode}: exit ${r.code}: ${r.stderr}`);
        assert.match(r.stderr, /ENAMETOOLONG/, mode);
      }
      assert.equal(new Set(results).size, 1, results.join('\n'));
    } finally {
      spawnSync('sh', ['-c', 'rm -f *.json'], { cwd: deep }); // rmSync of the tree can't reach them
    }
  });

  test(
    'a directory that can be searched but not listed any more is read file by file',
    { skip: process.getuid?.() === 0 && 'root reads any directory' },
    async () => {
      // The lock lands before sub is first opened (a.json at the top is read first).
      const d = bigThenZ('json');
      try {
        const stats = await syncRunActingOnce({ dir: d, mode: 'json', output: path.join(mk(), 'out.json') }, () => fs.chmodSync(path.join(d, 'sub'), 0o311));
        assert.equal(stats.files, 2);
      } finally {
        fs.chmodSync(path.join(d, 'sub'), 0o755);
      }
    },
  );
});

describe('dotfiles', () => {
  test('explicit dot patterns are usage errors that say dotfiles are never read', async () => {
    const d = mk({ '.hidden/a.json': '["h"]', '.b.json': '["b"]', 'c.json': '["c"]' });
    for (const p of ['**/.*.json', '.hidden/*.json', '.*', 'x/{.hidden,y}/*.json']) {
      for (const mode of ['json', 'tar']) {
        const r = await run(['--mode', mode, d, '-p', p]);
        assert.equal(r.code, 2, `${p}: ${r.stderr}`);
        assert.match(r.stderr, /never read/);
      }
    }
  });

  test("dotfiles, dot-directories and the tool's own temp files never match, whatever the pattern", async () => {
    const d = mk({ '.hidden/a.json': '["h"]', '.b.json': '["b"]', 'c.json': '["c"]', '.aggregate-out.json.1234.tmp': '["tmp"]', 'x/.aggregate-1.tmp': 'tmp' });
    for (const p of ['**/*', '**', '*', '**/*.json', '**/*.tmp', '!(c.json)', '@(*)']) {
      const r = await run([d, '-p', p, '-q']);
      ok(r);
      const text = r.stdout.toString();
      assert.doesNotMatch(text, /"h"|"b"|tmp/, `${p}: ${text}`);
    }
    const t = await run(['--mode', 'tar', d, '-q']);
    ok(t);
    assert.ok(!t.stdout.includes('.aggregate'), 'temp file archived');
    assert.ok(!t.stdout.includes('.hidden'), 'dot-directory archived');
  });
});

describe('pattern syntax (picomatch, as fast-glob read it)', () => {
  const files = {
    'a.json': '"a"',
    'b.json': '"b"',
    'x/c.json': '"x/c"',
    'x/y/d.json': '"x/y/d"',
    'z/e.json': '"z/e"',
    'z/e.txt': '"z/e.txt"',
    'part-1.json': '"p1"',
    'part-2.json': '"p2"',
    'part-10.json': '"p10"',
  };
  const cases = [
    [['**/*.json'], [], ['a', 'b', 'p1', 'p2', 'p10', 'x/c', 'x/y/d', 'z/e']],
    [['*.json'], [], ['a', 'b', 'p1', 'p2', 'p10']],
    [['x/**/*.json'], [], ['x/c', 'x/y/d']],
    [['{a,b}.json', 'z/*'], [], ['a', 'b', 'z/e', 'z/e.txt']],
    [['part-+([0-9]).json'], [], ['p1', 'p2', 'p10']],
    [['part-@(1|10).json'], [], ['p1', 'p10']],
    [['!(part-*).json'], [], ['a', 'b']],
    [['**/*.json', '!x/**'], [], ['a', 'b', 'p1', 'p2', 'p10', 'z/e']],
    [['**/*.json'], ['x/y/**', 'part-*'], ['a', 'b', 'x/c', 'z/e']],
    [['**/*.json'], ['**/c.json'], ['a', 'b', 'p1', 'p2', 'p10', 'x/y/d', 'z/e']],
    [['./x/*.json'], [], ['x/c']],
    [['x/*/d.json'], [], ['x/y/d']],
    [['part-[12].json'], [], ['p1', 'p2']],
    [['{x,z}/**/*.{json,txt}'], [], ['x/c', 'x/y/d', 'z/e', 'z/e.txt']],
  ];
  for (const [patterns, ignore, expected] of cases) {
    test(`-p ${patterns.join(' -p ')}${ignore.length ? ' --ignore ' + ignore.join(' --ignore ') : ''}`, async () => {
      const d = mk(files);
      const r = await run([d, ...patterns.flatMap((p) => ['-p', p]), ...ignore.flatMap((p) => ['--ignore', p]), '-q']);
      ok(r);
      assert.deepEqual(parse(r), expected);
    });
  }
});

describe('exact names (non-UTF-8 bytes)', () => {
  /** `b\xff.json` next to `b\uFFFD.json` (valid UTF-8 of U+FFFD), and a non-UTF-8 directory. */
  function fixture() {
    const d = mk({ 'a.json': '["a"]', 'b\uFFFD.json': '["fffd"]', 'c.json': '["c"]' });
    const raw = (s) => Buffer.concat([Buffer.from(d + '/'), Buffer.from(s, 'latin1')]);
    fs.writeFileSync(raw('b\xff.json'), '["ff"]');
    fs.mkdirSync(raw('d\xfe'));
    fs.writeFileSync(raw('d\xfe/x.json'), '["dfe"]');
    fs.writeFileSync(raw('n'.repeat(120) + '\xff.json'), '["long"]');
    return d;
  }
  // Byte order: 'a' < 'b\xef\xbf\xbd' < 'b\xff' < 'c' < 'd\xfe/' < 'n...'.
  const ORDER = ['a', 'fffd', 'ff', 'c', 'dfe', 'long'];

  test('json: every file read under its exact bytes, in byte order, same as jq -s', async () => {
    const d = fixture();
    const st = path.join(mk(), 'st.json');
    const man = path.join(mk(), 'man.json');
    const r = await run([d, '--flatten', '--stats', st, '--manifest', man]);
    ok(r);
    assert.deepEqual(parse(r), ORDER);
    const entries = JSON.parse(fs.readFileSync(man)).entries;
    const ff = entries.find((e) => e.pathBase64 === Buffer.from('b\xff.json', 'latin1').toString('base64'));
    assert.ok(ff, JSON.stringify(entries));
    assert.equal(ff.path, "$'b\\xff.json'");
    assert.ok(entries.some((e) => e.path === 'b\uFFFD.json' && e.pathBase64 === undefined));
    if (HAVE_JQ) {
      // jq gets the same files, in the run's order, by their exact names.
      const names = fs.readdirSync(d, { encoding: 'buffer', recursive: false }).flatMap((n) => {
        const p = Buffer.concat([Buffer.from(d + '/'), n]);
        return fs.statSync(p).isDirectory() ? fs.readdirSync(p, { encoding: 'buffer' }).map((m) => Buffer.concat([p, Buffer.from('/'), m])) : [p];
      });
      names.sort(Buffer.compare);
      const jq = spawnSync('sh', ['-c', 'xargs -0 cat | jq -s -c add'], { input: Buffer.concat(names.flatMap((n) => [n, Buffer.from([0])])) });
      assert.equal(jq.status, 0, jq.stderr.toString());
      assert.deepEqual(JSON.parse(jq.stdout), parse(r));
    }
  });

  test("messages show a non-UTF-8 name escaped ($'...'), never as replacement characters", async () => {
    const d = fixture();
    fs.writeFileSync(Buffer.concat([Buffer.from(d + '/'), Buffer.from('bad\xff.json', 'latin1')]), '[1,');
    const r = await run([d]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /bad\\xff\.json/);
    assert.doesNotMatch(r.stderr, /\uFFFD/);
  });

  test(
    'tar: names stored as GNU tar does; GNU tar lists them without a warning and extracts the exact bytes',
    { skip: !HAVE_TAR && 'needs GNU tar' },
    async () => {
      const d = fixture();
      const od = mk();
      const out = path.join(od, 'out.tar');
      const r = await run(['--mode', 'tar', d, '-o', out, '-q']);
      ok(r);
      const list = spawnSync('tar', ['-tf', out]);
      assert.equal(list.status, 0);
      assert.equal(list.stderr.toString(), '', 'GNU tar warned');
      assert.equal(list.stdout.toString().split('\n').filter(Boolean).length, 6);
      const x = path.join(od, 'x');
      fs.mkdirSync(x);
      const ex = spawnSync('tar', ['-xf', out, '-C', x]);
      assert.equal(ex.status, 0, ex.stderr.toString());
      assert.equal(ex.stderr.toString(), '');
      const diff = spawnSync('diff', ['-r', d, x]);
      assert.equal(diff.status, 0, diff.stdout.toString() + diff.stderr.toString());
    },
  );
});

describe('what discovery kept', () => {
  test('lost+found at the root is never walked; elsewhere it is an ordinary directory', async () => {
    const d = mk({ 'lost+found/a.json': '"root-lf"', 'x/lost+found/b.json': '"x-lf"', 'c.json': '"c"' });
    const r = await run([d, '-q']);
    ok(r);
    assert.deepEqual(parse(r), ['c', 'x-lf']);
  });

  test('own outputs inside <dir> are excluded by real path (through a link to <dir>)', async () => {
    const d = mk({ 'a.json': '"a"' });
    const link = path.join(mk(), 'link');
    fs.symlinkSync(d, link);
    fs.writeFileSync(path.join(d, 'out.json'), '"previous output"');
    const r = await run([link, '-o', path.join(d, 'out.json'), '-q']);
    ok(r);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(d, 'out.json'))), ['a']);
  });
});

describe('a root reached through a link to a name that is not UTF-8', () => {
  test('is read (not ENOENT, exit 1), and an output inside it, named or on stdout, is never read back', async () => {
    const e = mk({});
    const real = Buffer.from(`${e}/r\xfdeal`, 'latin1');
    fs.mkdirSync(real);
    fs.writeFileSync(Buffer.concat([real, Buffer.from('/a.json')]), '1');
    fs.symlinkSync(Buffer.from('r\xfdeal', 'latin1'), path.join(e, 'link'));
    const first = await run([path.join(e, 'link'), '-q']);
    ok(first);
    assert.deepEqual(parse(first), [1]);
    // The output inside the root, through the link: excluded from the input (else it is read back).
    const out = path.join(e, 'link', 'all.json');
    fs.writeFileSync(out, '"old"');
    ok(await run([path.join(e, 'link'), '-q', '-o', out]));
    assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')), [1]);
    fs.writeFileSync(out, '"old"');
    const r = spawnSync('bash', ['-c', 'exec "$0" "$1" "$2" -q >> "$3"', process.execPath, BIN, path.join(e, 'link'), out]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(fs.readFileSync(out, 'utf8'), '"old"[1]\n');
  });
});
