// Outputs that never lose data (issue 9): stdout and descriptors written whole at commit at the
// descriptor's offset, outputs committed together, output paths validated, honest messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, rm, run, tempFilesIn, tmpdir, writeTree } from '../helpers/cli.js';

/** Run a shell command line with $AGG set to the CLI, as a `script:` template would. */
function sh(command, env = {}) {
  return spawnSync('sh', ['-c', command], { env: { ...process.env, AGG: `${process.execPath} ${BIN}`, ...env }, encoding: 'utf8' });
}
const q = (p) => `'${p.replace(/'/g, `'\\''`)}'`;

function fixture(t, files = { 'part-1.json': '{"a":1}', 'part-2.json': '[2,3]', 'part-10.json': '"x"' }, cleanups = []) {
  const dir = tmpdir();
  const out = tmpdir('agg-out-');
  t.after(() => {
    for (const c of cleanups) c();
    rm(dir);
    rm(out);
  });
  writeTree(dir, files);
  return { dir, out };
}
const EXPECTED = '[{"a":1},[2,3],"x"]\n';

// 1. stdout redirected to a file, inside shell groups

test('stdout in a shell group: later writes of the group land after the output', (t) => {
  const { dir, out } = fixture(t);
  const f = path.join(out, 'o.json');
  let r = sh(`{ $AGG -q ${q(dir)}; echo END; } > ${q(f)}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(f, 'utf8'), EXPECTED + 'END\n');

  r = sh(`{ echo BEFORE; $AGG -q ${q(dir)}; } > ${q(f)}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(f, 'utf8'), 'BEFORE\n' + EXPECTED);

  r = sh(`$AGG ${q(dir)} > ${q(f)} 2>&1`);
  assert.equal(r.status, 0, r.stderr);
  const text = fs.readFileSync(f, 'utf8');
  assert.ok(text.startsWith(EXPECTED), JSON.stringify(text));
  assert.match(text.slice(EXPECTED.length), /^aggregate: 3 files, 3 values, .* -> stdout\n$/);
});

test('stdout with >>: appended after the earlier content, and the group goes on after it', (t) => {
  const { dir, out } = fixture(t);
  const f = path.join(out, 'log');
  fs.writeFileSync(f, 'OLD\n');
  const r = sh(`$AGG -q ${q(dir)} >> ${q(f)}; echo AFTER >> ${q(f)}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(f, 'utf8'), 'OLD\n' + EXPECTED + 'AFTER\n');
});

test('a failing run inside a group writes nothing; the next writes follow the original content, no hole', (t) => {
  const big = JSON.stringify({ pad: 'y'.repeat(6 << 20) }); // past the in-memory buffer
  const { dir, out } = fixture(t, { 'p-1.json': big, 'p-2.json': '{"broken": ' });
  const f = path.join(out, 'o.txt');
  fs.writeFileSync(f, 'ORIGINAL\n');
  const r = sh(`{ echo BEFORE; $AGG -q ${q(dir)}; echo "rc=$?"; } >> ${q(f)}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(f, 'utf8'), 'ORIGINAL\nBEFORE\nrc=3\n');
});

test('TMPDIR not writable: the spool goes beside the file stdout is redirected to; else a clear error', (t) => {
  const big = JSON.stringify({ pad: 'y'.repeat(6 << 20) }); // past the in-memory buffer
  const { dir, out } = fixture(t, { 'p-1.json': big, 'p-2.json': '2' });
  const f = path.join(out, 'o.json');
  const env = { TMPDIR: path.join(out, 'missing') };
  let r = sh(`$AGG -q ${q(dir)} > ${q(f)}`, env);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(f, 'utf8'), `[${big},2]\n`);
  assert.deepEqual(tempFilesIn(out), []);
  r = sh(`$AGG -q ${q(dir)} | wc -c`, env);
  assert.match(
    r.stderr,
    /cannot hold standard output in a spool file: tried .*missing; .*no such file or directory \(ENOENT\) \(set TMPDIR to a writable directory\)/,
  );
});

// 2. descriptor paths: the open descriptor, never reopened by path

test('-o /dev/stdout onto >> keeps the earlier content; -o - and /dev/stdout through a pipe work', (t) => {
  const { dir, out } = fixture(t);
  const log = path.join(out, 'log');
  fs.writeFileSync(log, 'OLD\n');
  let r = sh(`$AGG -q ${q(dir)} -o /dev/stdout >> ${q(log)}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(log, 'utf8'), 'OLD\n' + EXPECTED);

  r = sh(`$AGG -q ${q(dir)} -o /dev/stdout | cat`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, EXPECTED);
  r = sh(`$AGG -q ${q(dir)} -o - | cat`);
  assert.equal(r.stdout, EXPECTED);
});

test('--stats /dev/stderr and --manifest /dev/fd/3 are the open descriptors (2>> keeps the log)', (t) => {
  const { dir, out } = fixture(t);
  const log = path.join(out, 'err.log');
  const man = path.join(out, 'm.json');
  fs.writeFileSync(log, 'OLD\n');
  fs.writeFileSync(man, 'KEEP\n');
  const r = sh(`$AGG -q ${q(dir)} -o ${q(path.join(out, 'r.json'))} --stats /dev/stderr --manifest /proc/self/fd/3 2>> ${q(log)} 3>> ${q(man)}`);
  assert.equal(r.status, 0, r.stderr);
  const text = fs.readFileSync(log, 'utf8');
  assert.ok(text.startsWith('OLD\n'));
  assert.equal(JSON.parse(text.slice(4)).files, 3);
  const m = fs.readFileSync(man, 'utf8');
  assert.ok(m.startsWith('KEEP\n'));
  assert.equal(JSON.parse(m.slice(5)).entries.length, 3);
});

test('a descriptor that is not open (or read-only) is a usage error', async (t) => {
  const { dir } = fixture(t);
  let r = await run([dir, '-o', '/dev/fd/57']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--output \/dev\/fd\/57: descriptor 57 is not open/);
  const s = sh(`$AGG ${q(dir)} --stats /dev/stdin < /dev/null`);
  assert.equal(s.status, 2, s.stderr);
  assert.match(s.stderr, /--stats \/dev\/stdin: descriptor 0 is open for reading only/);
});

// 3. two outputs naming one file

test('two outputs naming the same file: usage error before anything is read', async (t) => {
  // The invalid fragment would give exit 3 if anything were read.
  const { dir, out } = fixture(t, { 'a.json': '1', 'b.json': '{' });
  fs.symlinkSync('r.json', path.join(out, 'link.json'));
  fs.mkdirSync(path.join(out, 'sub'));
  const r1 = path.join(out, 'r.json');
  const cases = [
    [['-o', r1, '--stats', r1], /--output .*r\.json and --stats .*r\.json are the same file/],
    [['--manifest', path.join(out, 'x'), '--stats', path.join(out, 'x')], /--stats .*x and --manifest .*x are the same file/],
    [['-o', r1, '--manifest', path.join(out, 'link.json')], /same file/],
    [['-o', path.join(out, 'sub/../r.json'), '--stats', r1], /same file/],
    [['-o', '-', '--stats', '/dev/stdout'], /--output - and --stats \/dev\/stdout are the same file/],
    [['--stats', '/dev/fd/1'], /standard output and --stats \/dev\/fd\/1 are the same file/],
  ];
  for (const [args, re] of cases) {
    const r = await run([dir, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stdout.length, 0);
  }
  assert.deepEqual(fs.readdirSync(out).sort(), ['link.json', 'sub']);
  // a device named twice loses nothing
  const dev = await run(['-q', dir, '-p', 'a.json', '-o', '/dev/null', '--stats', '/dev/null']);
  assert.equal(dev.code, 0, dev.stderr);
  // stdout redirected to the file --stats names
  const s = path.join(out, 's.json');
  const r = sh(`$AGG -q ${q(dir)} --stats ${q(s)} > ${q(s)}`);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /standard output and --stats .* are the same file/);
});

// 4. all outputs committed together

/** Mount (root only: skips otherwise); unmounted before the fixture's directories are removed. */
function mount(t, args, cleanups) {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  if (r.status !== 0) {
    t.skip(`mount ${args.join(' ')}: ${r.stderr.trim()} (needs root)`);
    return false;
  }
  cleanups.push(() => spawnSync('umount', [args[args.length - 1]]));
  return true;
}

test('nearly full volume: the manifest fails, so neither output nor manifest is replaced', async (t) => {
  const files = {};
  // 1 MiB volume: the output (~900 KiB) fits alone; the manifest (~170 KiB) does not fit beside it.
  for (let i = 0; i < 1000; i++) files[`f-${i}.json`] = JSON.stringify({ i, pad: 'z'.repeat(890) });
  const cleanups = [];
  const { dir, out } = fixture(t, files, cleanups);
  const vol = path.join(out, 'vol');
  fs.mkdirSync(vol);
  if (!mount(t, ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', vol], cleanups)) return;
  fs.writeFileSync(path.join(vol, 'r.json'), 'OLD OUTPUT\n');
  fs.writeFileSync(path.join(vol, 'm.json'), 'OLD MANIFEST\n');
  const r = await run(['-q', dir, '-o', path.join(vol, 'r.json'), '--manifest', path.join(vol, 'm.json')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /no space left on device \(ENOSPC\)/);
  assert.equal(fs.readFileSync(path.join(vol, 'r.json'), 'utf8'), 'OLD OUTPUT\n');
  assert.equal(fs.readFileSync(path.join(vol, 'm.json'), 'utf8'), 'OLD MANIFEST\n');
  assert.deepEqual(tempFilesIn(vol), []);
});

test('a rename failing halfway puts back the target already replaced', async (t) => {
  const cleanups = [];
  const { dir, out } = fixture(t, undefined, cleanups);
  const r1 = path.join(out, 'r.json');
  const s = path.join(out, 's.json');
  const other = path.join(out, 'other');
  fs.writeFileSync(r1, 'OLD OUTPUT\n');
  fs.writeFileSync(s, 'OLD STATS\n');
  fs.writeFileSync(other, 'MOUNTED\n');
  // A mount point cannot be renamed over (EBUSY): the stats rename fails after the output's.
  if (!mount(t, ['--bind', other, s], cleanups)) return;
  const r = await run(['-q', dir, '-o', r1, '--stats', s]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /cannot rename into place .*s\.json: .*EBUSY/);
  assert.equal(fs.readFileSync(r1, 'utf8'), 'OLD OUTPUT\n');
  assert.equal(fs.readFileSync(s, 'utf8'), 'MOUNTED\n');
  assert.deepEqual(tempFilesIn(out), []);
});

// 8./9. output path validation; temp names that fit

test('output path mistakes are usage errors that name the mistake', async (t) => {
  const { dir, out } = fixture(t);
  fs.writeFileSync(path.join(out, 'a.json'), 'x');
  const cases = [
    [['-o', ''], /empty --output: give a file name, or - for standard output/],
    [['-o', out], /--output .* is a directory: give a file name/],
    [['-o', path.join(out, 'newdir') + '/'], /--output .*newdir\/ names a directory: give a file name/],
    [['-o', path.join(out, 'a.json/x.json')], /--output .*a\.json\/x\.json: .*a\.json is not a directory/],
    [['-o', path.join(out, 'n'.repeat(256))], /--output .*: file name too long \(256 bytes; the limit is 255\)/],
    [['-o', path.join(out, ('d'.repeat(200) + '/').repeat(21), 'x.json')], /--output .*: path too long \(\d+ bytes; the limit is 4095\)/],
    [['--stats', ''], /empty --stats: give a file name$/m],
    [['--manifest', out], /--manifest .* is a directory/],
  ];
  for (const [args, re] of cases) {
    const r = await run([dir, ...args]);
    assert.equal(r.code, 2, `${args.join(' ').slice(0, 80)}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.ok(!fs.existsSync(path.join(out, 'newdir')));
});

test('an output name of 240 or 255 bytes works (temp names fit where the target fits)', async (t) => {
  const { dir, out } = fixture(t);
  for (const n of [240, 255]) {
    const target = path.join(out, 'r'.repeat(n - 5) + '.json');
    const r = await run(['-q', dir, '-o', target, '--stats', path.join(out, 's'.repeat(n))]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(target, 'utf8'), EXPECTED);
  }
  assert.deepEqual(tempFilesIn(out), []);
});

// 10./11. one value per flag occurrence; messages name only what was given

test('--ignore and -p take one value each; --shard -1/2 names the flag and its form', async (t) => {
  const { dir } = fixture(t, { 'a.json': '1', 'x.json': '2', 'b.json': '3' });
  let r = await run(['-q', '--ignore', 'x.json', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.toString(), '[1,3]\n');
  r = await run(['-q', '-p', 'a.json', '-p', 'x.json', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.toString(), '[1,2]\n');
  r = await run(['-q', dir, '-p', 'a.json', 'x.json']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /expected one input directory, got 2/);
  r = await run([dir, '--shard', '-1/2']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /invalid --shard '-1\/2': expected i\/N/);
  r = await run([dir, '-o', '-x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /-o needs a value \(for a value that starts with '-', write --output=VALUE\)/);
  r = await run([dir, '--concurrency', '-4']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /invalid --concurrency '-4'/);
});

test('messages never name a flag that was not given', async (t) => {
  const { dir, out } = fixture(t);
  let r = await run([dir, '--mode', 'zip', '-o', path.join(out, 'r.zip.gz')]);
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stderr, /--gzip/);
  assert.match(r.stderr, /r\.zip\.gz ends in \.gz or \.tgz, which means gzip/);
  r = await run([dir, '--mode', 'tar', '--flatten']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--flatten applies to json mode only/);
  assert.doesNotMatch(r.stderr, /--format/);
});

// 12. a dangling link at -o

test('-o a dangling symlink writes the file it names and keeps the link', async (t) => {
  const { dir, out } = fixture(t);
  fs.mkdirSync(path.join(out, 'links'));
  fs.symlinkSync('../data/result.json', path.join(out, 'links', 'r.json')); // relative to the link
  const r = await run(['-q', dir, '-o', path.join(out, 'links', 'r.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.lstatSync(path.join(out, 'links', 'r.json')).isSymbolicLink());
  assert.equal(fs.readFileSync(path.join(out, 'data', 'result.json'), 'utf8'), EXPECTED);
});

// 13. names that could forge a line

test('a name holding a newline or an escape sequence is quoted in every message', async (t) => {
  const evil = 'e\naggregate: forged \x1b[2J.json';
  const { dir } = fixture(t, { 'a.json': '1', [evil]: '{"x":' });
  for (const args of [[], ['--on-invalid', 'skip']]) {
    const r = await run(['-q', dir, ...args]);
    assert.ok(!r.stderr.includes('\x1b'), JSON.stringify(r.stderr));
    assert.ok(!r.stderr.split('\n').some((l) => l.startsWith('aggregate: forged')), r.stderr);
    assert.ok(r.stderr.includes(`/e\\naggregate: forged \\x1b[2J.json'`), r.stderr);
  }
});

// 14. read-ahead within RLIMIT_NOFILE

test('--concurrency 1024 under ulimit -n 1024 does not run out of descriptors', (t) => {
  const files = {};
  for (let i = 0; i < 3000; i++) files[`f-${i}.json`] = `${i}`;
  const { dir } = fixture(t, files);
  const r = sh(`ulimit -n 1024 && $AGG -q --concurrency 1024 ${q(dir)} | wc -c`, { AGGREGATE_READ_MODE: 'async' });
  assert.equal(r.stderr, '');
  const expected = Buffer.byteLength(JSON.stringify(Array.from({ length: 3000 }, (_, i) => i)) + '\n');
  assert.equal(Number(r.stdout.trim()), expected);
});

// 15. --on-invalid fail lists every invalid fragment

test('--on-invalid fail validates to the end and lists every invalid fragment (capped)', async (t) => {
  const files = { 'ok-1.json': '1' };
  for (let i = 0; i < 25; i++) files[`bad-${String(i).padStart(2, '0')}.json`] = '[1,';
  const { dir, out } = fixture(t, files);
  const target = path.join(out, 'r.json');
  const r = await run(['-q', dir, '-o', target, '--sort', 'name']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /invalid input: 25 invalid fragments, nothing written/);
  assert.equal((r.stderr.match(/bad-\d\d\.json at 1:4 \(byte offset 3\)/g) ?? []).length, 20);
  assert.match(r.stderr, /bad-19\.json/);
  assert.match(r.stderr, /\n {2}and 5 more\n/);
  assert.match(r.stderr, /or pass --on-invalid skip/);
  assert.ok(!fs.existsSync(target));
  assert.deepEqual(tempFilesIn(out), []);
});

// 16. zero matched files

test('zero matched files: a warning names the pattern and the directory; exit 0', async (t) => {
  const { dir } = fixture(t, { 'sub/a.json': '1' });
  const r = await run([dir, '-p', '*.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.toString(), '[]\n');
  assert.ok(r.stderr.includes(`aggregate: no file under ${dir} matched '*.json'; the result is empty`), r.stderr);
});

// 17. --stats on every run

test('--stats is written on failed runs too, with the outcome', async (t) => {
  const { dir, out } = fixture(t, { 'a.json': '1', 'b.json': '{' });
  const s = path.join(out, 'stats.json');
  let r = await run(['-q', dir, '--stats', s]);
  assert.equal(r.code, 3);
  let stats = JSON.parse(fs.readFileSync(s, 'utf8'));
  assert.equal(stats.ok, false);
  assert.equal(stats.exitCode, 3);
  assert.match(stats.error, /b\.json at 1:2/);
  assert.equal(stats.invalidCount, 1);
  assert.deepEqual({ ...stats.invalid[0], reason: '' }, { path: 'b.json', reason: '', kind: 'syntax', position: { line: 1, column: 2, offset: 1 } });
  assert.deepEqual(stats.invalidKinds, { syntax: 1, schema: 0, key: 0 });
  assert.equal(stats.bytesOut, 0);

  fs.rmSync(s);
  r = await run(['-q', path.join(dir, 'missing'), '--stats', s]); // a usage error found after option parsing
  assert.equal(r.code, 2);
  stats = JSON.parse(fs.readFileSync(s, 'utf8'));
  assert.equal(stats.exitCode, 2);
  assert.equal(stats.ok, false);

  fs.rmSync(s);
  r = await run(['-q', dir, '--stats', s, '--level', '99']); // option parsing: no stats
  assert.equal(r.code, 2);
  assert.ok(!fs.existsSync(s));
});

test('--stats caps the skipped list (the manifest has all); values is null in tar mode', async (t) => {
  const files = { 'a.json': '1' };
  for (let i = 0; i < 30; i++) files[`d-${i}.json/x`] = '';
  const { dir, out } = fixture(t, files);
  const s = path.join(out, 'stats.json');
  const m = path.join(out, 'manifest.json');
  let r = await run(['-q', dir, '--stats', s, '--manifest', m, '-o', path.join(out, 'r.json')]);
  assert.equal(r.code, 0, r.stderr);
  const stats = JSON.parse(fs.readFileSync(s, 'utf8'));
  assert.equal(stats.ok, true);
  assert.equal(stats.exitCode, 0);
  assert.equal(stats.error, null);
  assert.equal(stats.skippedCount, 30);
  assert.equal(stats.skipped.length, 20);
  assert.deepEqual(stats.skipped[0], { path: 'd-0.json', reason: 'directory', position: null });
  const manifest = JSON.parse(fs.readFileSync(m, 'utf8'));
  assert.equal(manifest.skipped.length, 30);
  assert.equal(manifest.entries.length, 1);

  r = await run(['-q', '--mode', 'tar', dir, '--stats', s, '-o', path.join(out, 'r.tar')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(fs.readFileSync(s, 'utf8')).values, null);
});

test('the streamed manifest has the layout of JSON.stringify(manifest, null, 2)', async (t) => {
  const { dir, out } = fixture(t, { 'a.json': '1', 'b.json': '[2, 3]', 'dir.json/x': '' });
  const m = path.join(out, 'm.json');
  const r = await run(['-q', dir, '--manifest', m, '-o', path.join(out, 'r.json')]);
  assert.equal(r.code, 0, r.stderr);
  const text = fs.readFileSync(m, 'utf8');
  assert.equal(text, JSON.stringify(JSON.parse(text), null, 2) + '\n');
  assert.deepEqual(Object.keys(JSON.parse(text)), ['version', 'mode', 'entries', 'skipped']);
});

test('stdout a pipe whose reader exits early (aggregate d | head): exit 1 naming the closed pipe, as docs/failures.md says', () => {
  const dir = tmpdir();
  try {
    const value = JSON.stringify({ pad: 'x'.repeat(5000) });
    writeTree(dir, Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`part-${i}.json`, value])));
    // 1 MB of output, far past a pipe's 64 KiB: the writes after head exits meet EPIPE.
    const r = spawnSync(
      'bash',
      ['-c', '"$0" "$1" "$2" 2>"$3" | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"', process.execPath, BIN, dir, path.join(dir, 'err')],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.stdout.trim(), '1');
    assert.match(
      fs.readFileSync(path.join(dir, 'err'), 'utf8'),
      /^aggregate: cannot write standard output \(the reader closed the pipe\): broken pipe \(EPIPE\)$/m,
    );
  } finally {
    rm(dir);
  }
});
