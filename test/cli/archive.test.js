// `aggregate --mode tar|zip` as a user runs it: the bundled bin on real temp directories, with
// GNU tar and Python's zipfile as the readers.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { have } from '../helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bundle', 'aggregate.cjs');

let TMP;
before(() => {
  TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'agg-archive-'));
});
after(() => {
  fs.rmSync(TMP, { recursive: true, force: true });
});

let seq = 0;
function scratch(name) {
  const d = path.join(TMP, `${++seq}-${name}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** Run a command (asynchronously, so that tests run side by side); stdout as a Buffer. */
function sh(cmd, args, { env, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** The environment of a run: no SOURCE_DATE_EPOCH unless given. */
function cleanEnv(env = {}) {
  const base = { ...process.env, ...env };
  if (!('SOURCE_DATE_EPOCH' in env)) delete base.SOURCE_DATE_EPOCH;
  return base;
}

/** Run the bin. */
function run(args, { env, input } = {}) {
  return sh(process.execPath, [BIN, ...args], { env: cleanEnv(env), input });
}

async function ok(args, opts) {
  const r = await run(args, opts);
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return r;
}

/** Lines of `tar -tf` (archive as a file path or Buffer). */
async function tarList(archive, flags = '-tf') {
  const r = Buffer.isBuffer(archive) ? await sh('tar', [flags, '-'], { input: archive }) : await sh('tar', [flags, archive]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.toString().split('\n').filter(Boolean);
}

/** Write files {rel: content | {data, mode}} under dir, in the given order. */
function populate(dir, files, { mtime } = {}) {
  for (const [rel, spec] of files) {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    const { data, mode } = typeof spec === 'object' && !Buffer.isBuffer(spec) ? spec : { data: spec, mode: 0o644 };
    fs.writeFileSync(abs, data);
    fs.chmodSync(abs, mode);
    if (mtime !== undefined) fs.utimesSync(abs, mtime, mtime);
  }
}

const LONG_DIR = 'long-directory-name-'.repeat(4); // 80 bytes
const TRICKY = [
  ['a.txt', 'hello\n'],
  ['run.sh', { data: '#!/bin/sh\necho hi\n', mode: 0o755 }],
  ['only-owner-x', { data: 'x', mode: 0o744 }],
  ['empty', ''],
  ['nested/deeper/still/file.bin', Buffer.from([0, 1, 2, 255, 254])],
  [`${LONG_DIR}/${'n'.repeat(60)}.dat`, 'name over 100 bytes, prefix split'],
  [`${'p'.repeat(120)}/${'q'.repeat(120)}/${'r'.repeat(60)}.txt`, 'path over 255 bytes'],
  ['x'.repeat(150) + '.txt', 'single component over 100 bytes'],
  ['caf\u00e9/\u65e5\u672c\u8a9e.txt', 'non-ASCII name'],
  ["\u00fcber/sp ace & quote's.txt", 'spaces and quotes'],
  ['blocks/exact-512', Buffer.alloc(512, 1)],
  ['blocks/over-2m', Buffer.alloc((2 << 20) + 17, 3)],
];

function expectTree(dir, files) {
  for (const [rel, spec] of files) {
    const { data, mode } = typeof spec === 'object' && !Buffer.isBuffer(spec) ? spec : { data: spec, mode: 0o644 };
    const abs = path.join(dir, rel);
    assert.deepEqual(fs.readFileSync(abs), Buffer.from(data), `bytes of ${rel}`);
    const want = (mode & 0o111) !== 0 ? 0o755 : 0o644;
    assert.equal(fs.statSync(abs).mode & 0o777, want, `mode of ${rel}`);
  }
}

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

describe('--mode tar', { concurrency: 4 }, () => {
  test('GNU tar extracts every file with its bytes and exec bit, without a warning', async () => {
    const src = scratch('src');
    populate(src, TRICKY);
    const out = path.join(scratch('out'), 'out.tar');
    await ok(['--mode', 'tar', src, '-o', out, '-q']);
    const x = scratch('x');
    const r = await sh('tar', ['-xf', out, '-C', x]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    expectTree(x, TRICKY);
    // Nothing but the files (no directory entries, no PAX leftovers).
    const listed = (await tarList(out)).sort();
    assert.deepEqual(listed, TRICKY.map(([rel]) => rel).sort());
  });

  test('owner 0/0, no names, fixed mtime 0, modes 0644/0755, natural order', async () => {
    const src = scratch('src');
    populate(
      src,
      [
        ['part-10', 'a'],
        ['part-2', 'b'],
        ['part-1', { data: 'c', mode: 0o700 }],
      ],
      { mtime: 1234567890 },
    );
    const out = path.join(scratch('out'), 'o.tar');
    await ok(['--mode', 'tar', src, '-o', out]);
    const r = await sh('tar', ['--numeric-owner', '--full-time', '-tvf', out], { env: { ...process.env, TZ: 'UTC' } });
    assert.equal(r.status, 0);
    assert.deepEqual(r.stdout.toString().trim().split('\n'), [
      '-rwxr-xr-x 0/0               1 1970-01-01 00:00:00 part-1',
      '-rw-r--r-- 0/0               1 1970-01-01 00:00:00 part-2',
      '-rw-r--r-- 0/0               1 1970-01-01 00:00:00 part-10',
    ]);
    const named = (await tarList(out, '-tvf')).join('\n');
    assert.match(named, /^-rwxr-xr-x 0\/0 /, 'no user or group names');
  });

  test('reproducible: same content, other creation order and mtimes -> identical .tar and .tar.gz', async () => {
    const a = scratch('a');
    const b = scratch('b');
    const files = TRICKY.filter(([rel]) => !rel.startsWith('blocks/over'));
    populate(a, files, { mtime: 1000 });
    populate(b, [...files].reverse(), { mtime: 2_000_000_000 });
    fs.chownSync(path.join(b, 'a.txt'), 1234, 5678); // root in CI; harmless otherwise
    const outs = scratch('outs');
    for (const ext of ['tar', 'tar.gz']) {
      await ok(['--mode', 'tar', a, '-o', path.join(outs, `a.${ext}`)]);
      await ok(['--mode', 'tar', b, '-o', path.join(outs, `b.${ext}`)]);
      assert.deepEqual(fs.readFileSync(path.join(outs, `a.${ext}`)), fs.readFileSync(path.join(outs, `b.${ext}`)), ext);
    }
  });

  test('SOURCE_DATE_EPOCH sets every mtime; a malformed one is a usage error', async () => {
    const src = scratch('src');
    populate(src, [['f', 'x']]);
    const out = path.join(scratch('out'), 'o.tar');
    await ok(['--mode', 'tar', src, '-o', out], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    const r = await sh('tar', ['--full-time', '-tvf', out], { env: { ...process.env, TZ: 'UTC' } });
    assert.match(r.stdout.toString(), / 2023-11-14 22:13:20 f\n$/);
    const bad = await run(['--mode', 'tar', src, '-o', out], { env: { SOURCE_DATE_EPOCH: 'yesterday' } });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /invalid SOURCE_DATE_EPOCH/);
  });

  test('gzip by extension (.tar.gz, .tgz) or --gzip/--level; header without time or name', async () => {
    const src = scratch('src');
    populate(src, TRICKY);
    const outs = scratch('outs');
    await ok(['--mode', 'tar', src, '-o', path.join(outs, 'a.tar.gz')]);
    await ok(['--mode', 'tar', src, '-o', path.join(outs, 'b.tgz')]);
    await ok(['--mode', 'tar', src, '-o', path.join(outs, 'c.bin'), '--gzip', '--level', '1']);
    await ok(['--mode', 'tar', src, '-o', path.join(outs, 'd.tar'), '-z', '--level', '9']);
    await ok(['--mode', 'tar', src, '-o', path.join(outs, 'e.tar')]);
    for (const f of ['a.tar.gz', 'b.tgz', 'c.bin', 'd.tar']) {
      const gz = fs.readFileSync(path.join(outs, f));
      assert.deepEqual([...gz.subarray(0, 4)], [0x1f, 0x8b, 8, 0], `${f}: gzip magic, deflate, no FNAME/FEXTRA`);
      assert.equal(gz.readUInt32LE(4), 0, `${f}: MTIME 0`);
      assert.equal(gz[9], 3, `${f}: OS = Unix`);
      const x = scratch('x');
      const r = await sh('tar', ['-xzf', path.join(outs, f), '-C', x]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      expectTree(x, TRICKY);
    }
    assert.equal(fs.readFileSync(path.join(outs, 'e.tar'))[0], TRICKY[0][0].charCodeAt(0), 'plain tar without gzip');
    assert.deepEqual(fs.readFileSync(path.join(outs, 'a.tar.gz')), fs.readFileSync(path.join(outs, 'b.tgz')));
    assert.ok(fs.statSync(path.join(outs, 'c.bin')).size > fs.statSync(path.join(outs, 'd.tar')).size, 'level 1 is larger than 9');
  });

  test('stdout when -o is absent; same bytes as a file', async () => {
    const src = scratch('src');
    populate(src, TRICKY);
    const out = path.join(scratch('out'), 'o.tar');
    await ok(['--mode', 'tar', src, '-o', out]);
    const r = await ok(['--mode', 'tar', src]);
    assert.deepEqual(r.stdout, fs.readFileSync(out));
    const z = await ok(['--mode', 'tar', src, '--gzip']);
    const x = scratch('x');
    const t = await sh('tar', ['-xzf', '-', '-C', x], { input: z.stdout });
    assert.equal(t.status, 0, t.stderr);
    expectTree(x, TRICKY);
  });

  test('symbolic links are never followed: skipped, reported on stderr and in the manifest', async () => {
    const src = scratch('src');
    const outside = scratch('outside');
    fs.writeFileSync(path.join(outside, 'secret'), 'do not archive');
    populate(src, [['real.txt', 'real']]);
    fs.symlinkSync('real.txt', path.join(src, 'inside-link'));
    fs.symlinkSync(path.join(outside, 'secret'), path.join(src, 'outside-link'));
    fs.symlinkSync(outside, path.join(src, 'dir-link'));
    const outs = scratch('outs');
    const r = await ok(['--mode', 'tar', src, '-o', path.join(outs, 'o.tar'), '--manifest', path.join(outs, 'm.json')]);
    assert.match(r.stderr, /skipped inside-link: symbolic link/);
    assert.match(r.stderr, /skipped outside-link: symbolic link/);
    assert.deepEqual(await tarList(path.join(outs, 'o.tar')), ['real.txt']);
    const m = JSON.parse(fs.readFileSync(path.join(outs, 'm.json'), 'utf8'));
    assert.deepEqual(
      m.entries.map((e) => e.path),
      ['real.txt'],
    );
    assert.deepEqual(m.skipped.map((s) => s.path).sort(), ['dir-link', 'inside-link', 'outside-link']);
    for (const s of m.skipped) assert.match(s.reason, /symbolic link/);
    assert.ok(!fs.readFileSync(path.join(outs, 'o.tar')).includes('do not archive'));
  });

  test('manifest: every entry with path, size, sha256 and mode', async () => {
    const src = scratch('src');
    populate(src, TRICKY);
    const outs = scratch('outs');
    await ok(['--mode', 'tar', src, '-o', path.join(outs, 'o.tar.gz'), '--manifest', path.join(outs, 'm.json')]);
    const m = JSON.parse(fs.readFileSync(path.join(outs, 'm.json'), 'utf8'));
    assert.equal(m.mode, 'tar');
    assert.equal(m.entries.length, TRICKY.length);
    const byPath = new Map(m.entries.map((e) => [e.path, e]));
    for (const [rel, spec] of TRICKY) {
      const { data, mode } = typeof spec === 'object' && !Buffer.isBuffer(spec) ? spec : { data: spec, mode: 0o644 };
      const e = byPath.get(rel);
      assert.ok(e, rel);
      assert.equal(e.size, Buffer.from(data).length, rel);
      assert.equal(e.sha256, sha256(Buffer.from(data)), rel);
      assert.equal(e.mode, (mode & 0o111) !== 0 ? '0755' : '0644', rel);
    }
    assert.deepEqual(m.skipped, []);
  });

  test('--pattern, --ignore and --shard select files as in json mode', async () => {
    const src = scratch('src');
    populate(src, [
      ['a/1.bin', '1'],
      ['a/2.bin', '2'],
      ['a/3.txt', '3'],
      ['b/4.bin', '4'],
      ['b/5.bin', '5'],
    ]);
    const list = async (args) => tarList((await ok(['--mode', 'tar', src, ...args])).stdout);
    assert.deepEqual(await list(['--pattern', '**/*.bin']), ['a/1.bin', 'a/2.bin', 'b/4.bin', 'b/5.bin']);
    assert.deepEqual(await list(['--pattern', '**/*.bin', '--ignore', 'b/**']), ['a/1.bin', 'a/2.bin']);
    assert.deepEqual(await list(['--shard', '0/2']), ['a/1.bin', 'a/2.bin']);
    assert.deepEqual(await list(['--shard', '1/2']), ['a/3.txt', 'b/4.bin', 'b/5.bin']);
    assert.deepEqual(await list(['--sort', 'name', '--pattern', 'b/*']), ['b/4.bin', 'b/5.bin']);
  });

  test('an empty input gives a valid empty archive', async () => {
    const src = scratch('src');
    fs.mkdirSync(path.join(src, 'only-a-dir'));
    const r = await ok(['--mode', 'tar', src]);
    assert.equal(r.stdout.length, 1024);
    assert.deepEqual(await tarList(r.stdout), []);
  });

  test('usage errors: --gzip with zip, --level out of range', async () => {
    const src = scratch('src');
    assert.equal((await run(['--mode', 'zip', src, '--gzip'])).status, 2);
    assert.equal((await run(['--mode', 'tar', src, '--level', '10'])).status, 2);
  });

  test('10k files with 64 descriptors allowed: no EMFILE, a few seconds', async () => {
    const src = scratch('many');
    for (let d = 0; d < 10; d++) {
      const dir = path.join(src, `d${d}`);
      fs.mkdirSync(dir);
      for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(dir, `f${i}`), `${d}-${i}\n`);
    }
    const out = path.join(scratch('out'), 'many.tar.gz');
    const started = Date.now();
    const r = await sh('bash', ['-c', 'ulimit -n 64 && exec "$0" "$@"', process.execPath, BIN, '--mode', 'tar', src, '-o', out, '-q'], { env: cleanEnv() });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Date.now() - started < 45_000, 'generous: the machine may be shared; speed is measured in bench/');
    const listed = await tarList(out, '-tzf');
    assert.equal(listed.length, 10_000);
    assert.equal(listed[0], 'd0/f0');
    assert.equal(listed[2], 'd0/f2', 'natural order');
  });

  test('a big file is streamed in bounded memory (peak RSS under 150 MiB)', async (t) => {
    if (!fs.existsSync('/usr/bin/time')) return t.skip('no /usr/bin/time');
    const src = scratch('big');
    // Sparse: 200 MB of zeros that cost no disk and read fast (more than the RSS bound).
    const fd = fs.openSync(path.join(src, 'big.bin'), 'w');
    fs.writeSync(fd, Buffer.from('start'), 0, 5, 0);
    fs.writeSync(fd, Buffer.from('end'), 0, 3, 200e6 - 3);
    fs.closeSync(fd);
    const outs = scratch('outs');
    for (const [mode, file] of [
      ['tar', 'o.tar.gz'],
      ['zip', 'o.zip'],
    ]) {
      const r = await sh('/usr/bin/time', ['-f', '%M', process.execPath, BIN, '--mode', mode, src, '-o', path.join(outs, file), '--level', '1', '-q']);
      assert.equal(r.status, 0, r.stderr);
      const kb = Number(r.stderr.trim().split('\n').pop());
      assert.ok(kb < 150 * 1024, `${mode}: peak RSS ${kb} KiB`);
    }
    const sizes = (await tarList(path.join(outs, 'o.tar.gz'), '-tvzf')).join('\n');
    assert.match(sizes, / 200000000 /);
    const py = await sh('python3', [
      '-c',
      'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); i=z.infolist()[0]; print(i.file_size, z.open(i).read(5).decode())',
      path.join(outs, 'o.zip'),
    ]);
    assert.equal(py.stdout.toString().trim(), '200000000 start');
  });
});

const PY_READ_ZIP = `
import json, sys, zipfile, hashlib
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([{"name": i.filename, "size": i.file_size, "sha256": hashlib.sha256(z.read(i)).hexdigest(),
  "mode": (i.external_attr >> 16) & 0o7777, "type": (i.external_attr >> 16) & 0o170000,
  "date": list(i.date_time), "system": i.create_system, "method": i.compress_type} for i in z.infolist()]))
`;

describe('--mode zip', { concurrency: 4 }, () => {
  test('Python zipfile reads every entry: bytes, exec bits, names, fixed date, deflate', async () => {
    const src = scratch('src');
    populate(src, TRICKY);
    const out = path.join(scratch('out'), 'o.zip');
    await ok(['--mode', 'zip', src, '-o', out]);
    const r = await sh('python3', ['-c', PY_READ_ZIP, out]);
    assert.equal(r.status, 0, r.stderr);
    const entries = JSON.parse(r.stdout.toString());
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.equal(entries.length, TRICKY.length);
    for (const [rel, spec] of TRICKY) {
      const { data, mode } = typeof spec === 'object' && !Buffer.isBuffer(spec) ? spec : { data: spec, mode: 0o644 };
      const e = byName.get(rel);
      assert.ok(e, rel);
      assert.equal(e.sha256, sha256(Buffer.from(data)), rel);
      assert.equal(e.mode, (mode & 0o111) !== 0 ? 0o755 : 0o644, rel);
      assert.equal(e.type, 0o100000, `${rel}: regular file`);
      assert.equal(e.system, 3, `${rel}: made on Unix`);
      assert.deepEqual(e.date, [1980, 1, 1, 0, 0, 0]);
      // Deflated when that makes it smaller (the repetitive blocks), else stored, as zip -r does.
      if (Buffer.from(data).length >= 512) assert.equal(e.method, 8, `${rel}: deflate`);
      else if (Buffer.from(data).length < 10) assert.equal(e.method, 0, `${rel}: stored`);
    }
    const u = await sh('unzip', ['-tq', out]);
    assert.equal(u.status, 0, u.stdout.toString() + u.stderr);
  });

  test('reproducible, SOURCE_DATE_EPOCH honored, --level 0 stores', async () => {
    const a = scratch('a');
    const b = scratch('b');
    populate(a, TRICKY, { mtime: 1000 });
    populate(b, [...TRICKY].reverse(), { mtime: 2_000_000_000 });
    const outs = scratch('outs');
    await ok(['--mode', 'zip', a, '-o', path.join(outs, 'a.zip')]);
    await ok(['--mode', 'zip', b, '-o', path.join(outs, 'b.zip')]);
    assert.deepEqual(fs.readFileSync(path.join(outs, 'a.zip')), fs.readFileSync(path.join(outs, 'b.zip')));

    await ok(['--mode', 'zip', a, '-o', path.join(outs, 'e.zip'), '--level', '0'], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    const entries = JSON.parse((await sh('python3', ['-c', PY_READ_ZIP, path.join(outs, 'e.zip')])).stdout.toString());
    for (const e of entries) {
      assert.deepEqual(e.date, [2023, 11, 14, 22, 13, 20]);
      assert.equal(e.method, 0);
    }
  });

  test('symlinks skipped; manifest with modes; stdout output', async () => {
    const src = scratch('src');
    populate(src, [
      ['a', 'A'],
      ['x', { data: 'X', mode: 0o755 }],
    ]);
    fs.symlinkSync('a', path.join(src, 'link'));
    const outs = scratch('outs');
    const r = await ok(['--mode', 'zip', src, '--manifest', path.join(outs, 'm.json')]);
    assert.match(r.stderr, /skipped link: symbolic link/);
    fs.writeFileSync(path.join(outs, 'o.zip'), r.stdout);
    const entries = JSON.parse((await sh('python3', ['-c', PY_READ_ZIP, path.join(outs, 'o.zip')])).stdout.toString());
    assert.deepEqual(
      entries.map((e) => [e.name, e.mode]),
      [
        ['a', 0o644],
        ['x', 0o755],
      ],
    );
    const m = JSON.parse(fs.readFileSync(path.join(outs, 'm.json'), 'utf8'));
    assert.equal(m.mode, 'zip');
    assert.deepEqual(m.entries, [
      { path: 'a', size: 1, sha256: sha256('A'), mode: '0644' },
      { path: 'x', size: 1, sha256: sha256('X'), mode: '0755' },
    ]);
    assert.deepEqual(m.skipped, [{ path: 'link', reason: 'symbolic link (not followed)', position: null }]);
  });
});

/** Entries of a zip through Python's zipfile: exact names (bytes as the flag says), data, CRC checked. */
const PY_ZIP_ENTRIES = `
import json, sys, zipfile, hashlib, base64
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
assert bad is None, bad
out = []
for i in z.infolist():
    raw = i.filename.encode('utf-8' if i.flag_bits & 0x800 else 'cp437')
    out.append({"name": raw.decode('utf-8'), "utf8flag": bool(i.flag_bits & 0x800), "sha256": hashlib.sha256(z.read(i)).hexdigest(),
      "crc": i.CRC, "mode": (i.external_attr >> 16) & 0o7777, "date": list(i.date_time)})
print(json.dumps(out))
`;

async function zipEntries(file) {
  const r = await sh('python3', ['-c', PY_ZIP_ENTRIES, file]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.toString());
}

describe('--mode zip: names, memory, dates, zip64', { concurrency: 4 }, () => {
  test('entry names are exactly the manifest names; names zip cannot carry are skipped with the reason', async () => {
    const kept = [
      ['C:x', 'drive-like prefix'],
      ['a:b', 'colon'],
      ['part:1.json', 'colon after a word'],
      ['a/b.txt', 'slash'],
      ['x..y/z..', 'dots, not a .. component'],
      ['sp ace "dq" \'sq\'.txt', 'spaces and quotes'],
      ['caf\u00e9/\u65e5\u672c.txt', 'non-ASCII'],
      ['run.sh', { data: '#!/bin/sh\n', mode: 0o755 }],
    ];
    const declined = ['a\\b.txt', 'trail\\', 'x\\..\\..\\evil.txt'];
    const src = scratch('src');
    populate(src, [...kept, ...declined.map((n) => [n, `declined ${n}`])]);
    const outs = scratch('outs');
    const out = path.join(outs, 'o.zip');
    const r = await ok(['--mode', 'zip', src, '-o', out, '--manifest', path.join(outs, 'm.json'), '-q']);
    for (const n of declined) {
      assert.ok(r.stderr.includes(`skipped ${n}: name contains a backslash`), `${n} warned: ${r.stderr}`);
    }
    const entries = await zipEntries(out);
    const m = JSON.parse(fs.readFileSync(path.join(outs, 'm.json'), 'utf8'));
    assert.deepEqual(
      entries.map((e) => e.name),
      m.entries.map((e) => e.path),
      'archive and manifest agree',
    );
    assert.deepEqual(entries.map((e) => e.name).sort(), kept.map(([n]) => n).sort());
    for (const [n, spec] of kept) {
      const { data, mode } = typeof spec === 'object' ? spec : { data: spec, mode: 0o644 };
      const e = entries.find((x) => x.name === n);
      assert.equal(e.sha256, sha256(data), n);
      assert.equal(e.mode, mode, n);
      assert.equal(e.utf8flag, /[^\x00-\x7f]/.test(n), `${n}: UTF-8 flag only for non-ASCII`);
    }
    assert.deepEqual(m.skipped.map((s) => s.path).sort(), [...declined].sort());
    for (const s of m.skipped) assert.match(s.reason, /backslash/);
    const u = await sh('unzip', ['-tq', out]);
    assert.equal(u.status, 0, u.stdout.toString() + u.stderr);
    const zi = await sh('unzip', ['-Z1', out]);
    assert.deepEqual(zi.stdout.toString().split('\n').filter(Boolean).sort(), kept.map(([n]) => n).sort());
    if (have('bsdtar')) {
      const list = await sh('bsdtar', ['-tf', out]);
      assert.deepEqual(list.stdout.toString().split('\n').filter(Boolean).sort(), kept.map(([n]) => n).sort());
      // -P: bsdtar's own policy strips a drive-letter-like 'C:' on extraction; the entry holds it.
      const x = scratch('x');
      const b = await sh('bsdtar', ['-xPf', out, '-C', x]);
      assert.equal(b.status, 0, b.stderr);
      expectTree(x, kept);
    }
  });

  test('same bytes whatever the read strategy (whole-file and streamed entries)', async () => {
    const src = scratch('src');
    const rnd = (n, seed) => {
      const b = Buffer.alloc(n);
      let x = seed;
      for (let i = 0; i < n; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 26;
      return b;
    };
    // 600 KB is read whole by the synchronous reader but streamed by the asynchronous one.
    populate(src, [
      ['a.bin', rnd(600_000, 1)],
      ['b.bin', rnd(3_000_000, 2)],
      ['c.txt', 'small'],
    ]);
    const outs = scratch('outs');
    const zips = {};
    for (const mode of ['sync', 'async']) {
      const out = path.join(outs, `${mode}.zip`);
      await ok(['--mode', 'zip', src, '-o', out], { env: { AGGREGATE_READ_MODE: mode } });
      zips[mode] = fs.readFileSync(out);
    }
    assert.deepEqual(zips.sync, zips.async);
    assert.deepEqual(
      (await zipEntries(path.join(outs, 'sync.zip'))).map((e) => e.name),
      ['a.bin', 'b.bin', 'c.txt'],
    );
  });

  test('SOURCE_DATE_EPOCH outside 1980..2107 is clamped with a warning; inside, exact', async () => {
    const src = scratch('src');
    populate(src, [['f', 'x']]);
    const outs = scratch('outs');
    const cases = [
      // [SOURCE_DATE_EPOCH, expected date, warning?]
      [undefined, [1980, 1, 1, 0, 0, 0], null],
      ['0', [1980, 1, 1, 0, 0, 0], /SOURCE_DATE_EPOCH=0 is before 1980-01-01.*dated 1980-01-01 00:00:00 \(UTC\)/],
      ['315532799', [1980, 1, 1, 0, 0, 0], /before 1980-01-01/],
      ['315532800', [1980, 1, 1, 0, 0, 0], null],
      ['4354819199', [2107, 12, 31, 23, 59, 58], null],
      ['4354819200', [2107, 12, 31, 23, 59, 58], /SOURCE_DATE_EPOCH=4354819200 is after 2107-12-31.*dated 2107-12-31 23:59:58 \(UTC\)/],
      ['999999999999999', [2107, 12, 31, 23, 59, 58], /after 2107-12-31/],
    ];
    for (const [i, [epoch, date, warning]] of cases.entries()) {
      const out = path.join(outs, `${i}.zip`);
      const r = await ok(['--mode', 'zip', src, '-o', out, '-q'], { env: epoch === undefined ? {} : { SOURCE_DATE_EPOCH: epoch } });
      if (warning) assert.match(r.stderr, warning, `SOURCE_DATE_EPOCH=${epoch}`);
      else assert.equal(r.stderr, '', `SOURCE_DATE_EPOCH=${epoch}: no warning`);
      const [e] = await zipEntries(out);
      assert.deepEqual(e.date, date, `SOURCE_DATE_EPOCH=${epoch}`);
    }
    const u = await sh('unzip', ['-Z', '-T', path.join(outs, '5.zip')]);
    assert.match(u.stdout.toString(), / 21071231\.235958 f\n/);
  });
});
