// `aggregate s3://bucket/prefix/` as a user runs it: the bundled bin against a real S3-protocol
// server (s3rver, started by test/helpers/s3.js on 127.0.0.1), compared with the same files read
// from disk and with jq. A small proxy (bench/lib/s3-proxy.mjs) sits in front of the server
// where a test must act between listing and reading, or make the server fail.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { startLite } from '../../bench/lib/s3-lite.mjs';
import { startProxy } from '../../bench/lib/s3-proxy.mjs';
import { BIN, have, run, writeTree } from '../helpers/cli.js';
import { readTree, s3Fixture } from '../helpers/s3.js';

const HAVE_JQ = have('jq');

let s3;
const fx = s3Fixture('b', (started) => (s3 = started));
const bucket = () => fx.bucket();
const scratch = (name) => fx.scratch(name);

/** A 1.5 MB fragment: larger than the read-ahead head, so it streams in several chunks. */
function bigFragment() {
  const items = [];
  for (let i = 0; i < 20_000; i++) items.push(`{"i":${i},"s":"caf\\u00e9 ${'x'.repeat(i % 40)}","f":${i}.25}`);
  return `[${items.join(',\n')}]\n`;
}

/** Answer as S3 does when throttling. */
function slowDown(res) {
  res.writeHead(503, { 'content-type': 'application/xml' });
  res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
}

const TREE = {
  'big.json': bigFragment(),
  'part-1.json': '{"a": 1, "big": 12345678901234567890}\n',
  'part-2.json': '"two" "values"',
  'part-10.json': '[10, 1.000e2, -0.0]',
  'part-11.json': '',
  'part-12.json': ' {"nested": {"deep": [true, false, null]}, "esc": "\\ud83d\\ude00 \\"q\\""}\r\n',
  'sub dir/naïve é.json': '{"k": "é 中文"}',
  'sub dir/ünï/中文 key.json': '[1,2,3]',
  '.hidden.json': '"dotfiles never match"',
  'sub dir/.also-hidden.json': '"nor here"',
  '.work/part-9.json': '"nor under a dot-directory"',
  'sub dir/.aggregate-1.tmp': '"nor a temp file"',
  'notes.txt': 'not a fragment',
};
/** TREE's fragments in natural order, as aggregate must read them. */
const ORDER = ['big.json', 'part-1.json', 'part-2.json', 'part-10.json', 'part-11.json', 'part-12.json', 'sub dir/naïve é.json', 'sub dir/ünï/中文 key.json'];

describe('S3 input: same output as the same files on disk', () => {
  let bkt;
  let disk;
  before(async () => {
    bkt = await bucket();
    disk = writeTree(scratch('tree'), TREE);
    await s3.putTree(bkt, 'runs/1/fragments/', readTree(disk));
    // Siblings that share the prefix's text but not its "directory".
    await s3.put(bkt, 'runs/1/fragments-old/part-0.json', '"not in the input"');
    await s3.put(bkt, 'runs/1/fragments.json', '"nor this"');
  });

  test('json: byte-exact against the disk run, in natural order, jq-equivalent', async () => {
    const local = await run(['-q', disk]);
    assert.equal(local.code, 0, local.stderr);
    const remote = await run(['-q', `s3://${bkt}/runs/1/fragments/`], { env: s3.env });
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(remote.stderr, '');
    assert.ok(remote.stdout.equals(local.stdout), 'S3 output differs from the disk output');
    // Byte-exact values: the big integer keeps its digits, 1.000e2 and -0.0 their text.
    const text = remote.stdout.toString();
    assert.ok(text.includes('12345678901234567890') && text.includes('1.000e2') && text.includes('-0.0'));
    if (HAVE_JQ) {
      const jq = spawnSync('jq', ['-s', '-c', '.', ...ORDER.map((f) => path.join(disk, f))], { maxBuffer: 64 << 20 });
      assert.equal(jq.status, 0, jq.stderr.toString());
      // jq rounds the big integer and rewrites 1.000e2; parsed, both sides must agree.
      assert.deepEqual(JSON.parse(text), JSON.parse(jq.stdout.toString()));
    }
  });

  test('prefix with and without a trailing slash name the same keys; a sibling prefix is not included', async () => {
    const a = await run(['-q', `s3://${bkt}/runs/1/fragments/`], { env: s3.env });
    const b = await run(['-q', `s3://${bkt}/runs/1/fragments`], { env: s3.env });
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.ok(a.stdout.equals(b.stdout));
    assert.ok(!a.stdout.toString().includes('not in the input') && !a.stdout.toString().includes('nor this'));
    // One level up: keys are relative to runs/1/, so the patterns see fragments/..., fragments-old/...
    const up = await run(['-q', `s3://${bkt}/runs/1`, '-p', '*/part-[01].json'], { env: s3.env });
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(JSON.parse(up.stdout).length, 2);
    assert.equal(JSON.parse(up.stdout)[0], 'not in the input');
    // As text: a 20-digit integer does not survive JSON.parse, and must survive the run.
    assert.match(up.stdout.toString(), /\{\s*"a":\s*1,\s*"big":\s*12345678901234567890\s*\}/);
  });

  test('manifest and stats: every key with its size, ETag and sha256; spaces and non-ASCII kept', async () => {
    const d = scratch('manifest');
    const r = await run(
      ['-q', `s3://${bkt}/runs/1/fragments/`, '-o', path.join(d, 'all.json'), '--manifest', path.join(d, 'm.json'), '--stats', path.join(d, 's.json')],
      { env: s3.env },
    );
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(fs.readFileSync(path.join(d, 'm.json'), 'utf8'));
    assert.deepEqual(
      m.entries.map((e) => e.path),
      ORDER,
    );
    for (const e of m.entries) {
      const bytes = Buffer.from(TREE[e.path]);
      assert.equal(e.size, bytes.length, e.path);
      const { createHash } = await import('node:crypto');
      // s3rver's ETag is the MD5 of the body, as S3's is for a single-part upload.
      assert.equal(e.etag, createHash('md5').update(bytes).digest('hex'), e.path);
      assert.equal(e.sha256, createHash('sha256').update(bytes).digest('hex'), e.path);
    }
    const stats = JSON.parse(fs.readFileSync(path.join(d, 's.json'), 'utf8'));
    assert.equal(stats.files, ORDER.length);
    assert.equal(
      stats.bytesIn,
      ORDER.reduce((n, f) => n + Buffer.byteLength(TREE[f]), 0),
    );
  });

  test('tar and zip: the same archive bytes as from disk', async () => {
    for (const [mode, name] of [
      ['tar', 'x.tar'],
      ['tar', 'x.tar.gz'],
      ['zip', 'x.zip'],
    ]) {
      const d = scratch(mode);
      const local = await run(['-q', '--mode', mode, disk, '-o', path.join(d, 'local-' + name)]);
      assert.equal(local.code, 0, local.stderr);
      const remote = await run(['-q', '--mode', mode, `s3://${bkt}/runs/1/fragments/`, '-o', path.join(d, 'remote-' + name)], { env: s3.env });
      assert.equal(remote.code, 0, remote.stderr);
      const l = fs.readFileSync(path.join(d, 'local-' + name));
      const rr = fs.readFileSync(path.join(d, 'remote-' + name));
      assert.ok(l.length > 1000 && rr.equals(l), `${name}: S3 archive differs from the disk archive`);
    }
  });

  test('patterns, ignore and dotfile rules select exactly the keys the walk selects on disk', async () => {
    for (const extra of [
      ['--mode', 'tar', '-p', '**/*.{json,txt}'],
      ['--mode', 'tar', '-p', '*'],
      ['-p', 'sub dir/**'],
      ['-p', '**/part-1?.json'],
      ['-p', '**/*.json', '-p', '!part-1*'],
      ['--ignore', 'sub dir/ünï'],
      ['--ignore', '**/*é*'],
      ['-p', '@(big|part-2).json'],
      ['--mode', 'tar', '-p', '**/*', '--ignore', '*.json'],
    ]) {
      const local = await run(['-q', disk, ...extra]);
      assert.equal(local.code, 0, local.stderr);
      const remote = await run(['-q', `s3://${bkt}/runs/1/fragments/`, ...extra], { env: s3.env });
      assert.equal(remote.code, 0, remote.stderr);
      assert.ok(remote.stdout.equals(local.stdout), `differs with ${extra.join(' ')}`);
      assert.ok(!remote.stdout.toString().includes('"nor '), `a dotfile was read with ${extra.join(' ')}`);
    }
  });

  test('--endpoint instead of AWS_ENDPOINT_URL; --sort name and --shard as on disk', async () => {
    const env = { ...s3.env, AWS_ENDPOINT_URL: '' };
    for (const extra of [
      ['--sort', 'name'],
      ['--shard', '1/3'],
      ['--ignore', 'sub dir'],
    ]) {
      const local = await run(['-q', disk, ...extra]);
      const remote = await run(['-q', `s3://${bkt}/runs/1/fragments/`, '--endpoint', s3.endpoint, ...extra], { env });
      assert.equal(remote.code, 0, remote.stderr);
      assert.ok(remote.stdout.equals(local.stdout), `differs with ${extra.join(' ')}`);
    }
  });
});

test('pagination: 1,050 keys come back complete and in natural order', async () => {
  const bkt = await bucket();
  const files = {};
  for (let i = 1; i <= 1050; i++) files[`p/part-${i}.json`] = `${i}\n`;
  await s3.putTree(bkt, '', files, 32);
  const r = await run(['-q', `s3://${bkt}/p/`, '--format', 'ndjson'], { env: s3.env, timeout: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const got = r.stdout.toString().trim().split('\n').map(Number);
  assert.deepEqual(
    got,
    Array.from({ length: 1050 }, (_, i) => i + 1),
  );
});

test('whole bucket: s3://bucket and s3://bucket/ list every key', async () => {
  const bkt = await bucket();
  await s3.putTree(bkt, '', { 'a.json': '1', 'd/b.json': '2' });
  for (const url of [`s3://${bkt}`, `s3://${bkt}/`]) {
    const r = await run(['-q', url], { env: s3.env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), '[1,2]\n');
  }
});

test('--expect and --expect-names count keys as discovery counts files: a missing object is exit 4, stats say which', async () => {
  const bkt = await bucket();
  await s3.putTree(bkt, 'run/', { 'part-0.json': '0', 'part-1.json': '1', 'part-3.json': '3', 'notes.txt': 'x' });
  const d = scratch('expect');
  const ok = await run(['-q', `s3://${bkt}/run/`, '--expect', '3'], { env: s3.env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.toString(), '[0,1,3]\n');
  const out = path.join(d, 'all.json');
  const stats = path.join(d, 'stats.json');
  const short = await run([`s3://${bkt}/run/`, '--expect', '4', '-o', out, '--stats', stats], { env: s3.env });
  assert.equal(short.code, 4, short.stderr);
  assert.match(short.stderr, /expected 4/);
  assert.ok(!fs.existsSync(out));
  const s = JSON.parse(fs.readFileSync(stats, 'utf8'));
  assert.equal(s.ok, false);
  assert.equal(s.exitCode, 4);
  assert.equal(s.expected, 4);
  const names = path.join(d, 'names.txt');
  fs.writeFileSync(names, 'part-0.json\npart-1.json\npart-2.json\npart-3.json\n');
  const named = await run([`s3://${bkt}/run/`, '--expect-names', names, '--stats', stats], { env: s3.env });
  assert.equal(named.code, 4, named.stderr);
  assert.match(named.stderr, /part-2\.json/);
  assert.deepEqual(
    JSON.parse(fs.readFileSync(stats, 'utf8')).missingFiles.map((f) => f.path),
    ['part-2.json'],
  );
  const tolerated = await run(['-q', `s3://${bkt}/run/`, '--expect-names', names, '--max-missing', '1'], { env: s3.env });
  assert.equal(tolerated.code, 0, tolerated.stderr);
  assert.equal(tolerated.stdout.toString(), '[0,1,3]\n');
});

test('an invalid fragment: exit 3, the key named, no output written', async () => {
  const bkt = await bucket();
  await s3.putTree(bkt, 'in/', { 'part-1.json': '{"ok": 1}', 'part-2 é.json': '{"broken": ' });
  const d = scratch('invalid');
  const out = path.join(d, 'all.json');
  const r = await run([`s3://${bkt}/in/`, '-o', out], { env: s3.env });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`s3://${bkt}/in/part-2 é\\.json`));
  assert.ok(!fs.existsSync(out));
  const skip = await run(['-q', `s3://${bkt}/in/`, '--on-invalid', 'skip'], { env: s3.env });
  assert.equal(skip.code, 0, skip.stderr);
  assert.deepEqual(JSON.parse(skip.stdout), [{ ok: 1 }]);
});

describe('objects that change or vanish between listing and reading: exit 1, no output', () => {
  /** A proxy that runs `act(key)` before forwarding the first GET of `key`. */
  async function proxyActingOn(bkt, key, act) {
    let done = false;
    return startProxy({
      target: s3.port,
      hook: async (req) => {
        const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
        if (!done && req.method === 'GET' && p === `/${bkt}/${key}`) {
          done = true;
          await act();
        }
        return false;
      },
    });
  }

  for (const [what, act, pattern] of [
    ['deleted', (bkt) => s3.remove(bkt, 'in/part-2.json'), /part-2\.json: it vanished after it was listed \(NoSuchKey, HTTP 404\)/],
    ['rewritten', (bkt) => s3.put(bkt, 'in/part-2.json', '{"v": 2, "longer": true}'), /part-2\.json: it changed after it was listed/],
    ['rewritten, same size', (bkt) => s3.put(bkt, 'in/part-2.json', '{"v": 9}'), /part-2\.json: it changed after it was listed \(ETag/],
  ]) {
    test(`an object ${what}`, async () => {
      const bkt = await bucket();
      await s3.putTree(bkt, 'in/', { 'part-1.json': '{"v": 1}', 'part-2.json': '{"v": 2}', 'part-3.json': '{"v": 3}' });
      const proxy = await proxyActingOn(bkt, 'in/part-2.json', () => act(bkt));
      try {
        const d = scratch('changed');
        const out = path.join(d, 'all.json');
        const r = await run([`s3://${bkt}/in/`, '-o', out, '--stats', path.join(d, 's.json')], { env: { ...s3.env, AWS_ENDPOINT_URL: proxy.endpoint } });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, pattern);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.ok(!fs.existsSync(out));
      } finally {
        await proxy.close();
      }
    });
  }
});

describe('a body cut mid-stream is resumed with a ranged GET', () => {
  const CUT_TREE = { 'big.json': bigFragment(), 'part-1.json': '{"a": 1, "b": [1, 2, 3]}', 'part-2.json': '"two"', 'part-3.json': '[3]' };
  const keyOf = (req) => decodeURIComponent(new URL(req.url, 'http://x').pathname).split('/').slice(2).join('/');
  let bkt;
  let disk;
  before(async () => {
    bkt = await bucket();
    disk = writeTree(scratch('cut'), CUT_TREE);
    await s3.putTree(bkt, 'in/', readTree(disk));
  });

  test('cut once or twice per object (in the head, past it, before any byte), a throttled resume: output byte-exact with the disk run', async () => {
    for (const mode of ['json', 'tar']) {
      // Per key: the byte counts after which its successive GETs are cut (undefined: not cut).
      const cuts = { 'in/big.json': [300_000, 400_000], 'in/part-1.json': [10], 'in/part-2.json': [0] };
      const gets = {};
      let throttled = false;
      const proxy = await startProxy({
        target: s3.port,
        hook: async (req, res) => {
          const key = keyOf(req);
          if (req.method !== 'GET' || key === '') return false;
          (gets[key] ??= []).push({ range: req.headers.range, ifMatch: req.headers['if-match'] });
          // The first resume of part-1.json is throttled once: the SDK retries it.
          if (key === 'in/part-1.json' && req.headers.range && !throttled) {
            throttled = true;
            slowDown(res);
            return true;
          }
          return false;
        },
        cut: (req) => cuts[keyOf(req)]?.shift(),
      });
      try {
        const d = scratch(`cut-${mode}`);
        const local = await run(['-q', '--mode', mode, disk, '-o', path.join(d, 'local')]);
        assert.equal(local.code, 0, local.stderr);
        const remote = await run(['-q', '--mode', mode, `s3://${bkt}/in/`, '-o', path.join(d, 'remote')], {
          env: { ...s3.env, AWS_ENDPOINT_URL: proxy.endpoint },
        });
        assert.equal(remote.code, 0, remote.stderr);
        assert.equal(remote.stderr, '');
        assert.ok(fs.readFileSync(path.join(d, 'remote')).equals(fs.readFileSync(path.join(d, 'local'))), `${mode}: output differs from the disk run`);
        // big.json: three GETs, the resumes ranged from where the body stopped, all with If-Match.
        const big = gets['in/big.json'];
        assert.equal(big.length, 3);
        assert.equal(big[0].range, undefined);
        const [from1, from2] = big.slice(1).map((g) => Number(/^bytes=(\d+)-$/.exec(g.range)?.[1]));
        assert.ok(from1 > 0 && from1 <= 300_000 && from2 > from1 && from2 <= from1 + 400_000, JSON.stringify(big));
        assert.ok(
          big.every((g) => /^"[0-9a-f]{32}"$/.test(g.ifMatch)),
          JSON.stringify(big),
        );
        assert.deepEqual(
          gets['in/part-1.json'].map((g) => g.range),
          [undefined, 'bytes=10-', 'bytes=10-'],
        );
        // Cut before any byte of the body: the resume is a plain GET again.
        assert.deepEqual(
          gets['in/part-2.json'].map((g) => g.range),
          [undefined, undefined],
        );
        assert.equal(gets['in/part-3.json'].length, 1);
      } finally {
        await proxy.close();
      }
    }
  });

  test('cut every time: exit 1 after the retries, the key named, nothing written', async () => {
    let bigGets = 0;
    const proxy = await startProxy({
      target: s3.port,
      cut: (req) => (keyOf(req) === 'in/big.json' ? (bigGets++, 1000) : undefined),
    });
    try {
      const d = scratch('cut-always');
      const out = path.join(d, 'all.json');
      const r = await run([`s3://${bkt}/in/`, '-o', out], { env: { ...s3.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_MAX_ATTEMPTS: '3' } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^aggregate: cannot read s3://${bkt}/in/big\\.json: the connection was cut after \\d+ of ${Buffer.byteLength(CUT_TREE['big.json'])} bytes, 3 times in a row \\(gave up after the retries\\)`,
        ),
      );
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(bigGets, 3);
      assert.deepEqual(fs.readdirSync(d), []);
    } finally {
      await proxy.close();
    }
  });

  test('the object changes between the cut and the resume: exit 1, it changed after listing', async () => {
    const b = await bucket();
    await s3.putTree(b, 'in/', { 'a.json': '{"v": 1, "pad": "xxxxxxxx"}', 'b.json': '2' });
    let cutDone = false;
    const proxy = await startProxy({
      target: s3.port,
      hook: async (req) => {
        // The resume: the object was rewritten (same size) since the listing.
        if (req.headers.range && keyOf(req) === 'in/a.json') await s3.put(b, 'in/a.json', '{"v": 2, "pad": "yyyyyyyy"}');
        return false;
      },
      cut: (req) => (keyOf(req) === 'in/a.json' && !cutDone ? ((cutDone = true), 8) : undefined),
    });
    try {
      const d = scratch('cut-changed');
      const out = path.join(d, 'all.json');
      const r = await run([`s3://${b}/in/`, '-o', out], { env: { ...s3.env, AWS_ENDPOINT_URL: proxy.endpoint } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^aggregate: cannot read s3://${b}/in/a\\.json: it changed after it was listed \\(ETag`));
      assert.deepEqual(fs.readdirSync(d), []);
    } finally {
      await proxy.close();
    }
  });
});

test('a resume answered without an ETag (the store ignores If-Match and Range) by other bytes: exit 1, never two versions spliced', async () => {
  const b = await bucket();
  const v1 = JSON.stringify('x'.repeat(200));
  await s3.putTree(b, 'in/', { 'a.json': v1, 'b.json': '2' });
  const keyOf = (req) => decodeURIComponent(new URL(req.url, 'http://x').pathname).split('/').slice(2).join('/');
  for (const variant of ['no ETag', 'quoted empty ETag']) {
    let gets = 0;
    const proxy = await startProxy({
      target: s3.port,
      hook: async (req, res) => {
        if (keyOf(req) !== 'in/a.json') return false;
        if (++gets === 1) {
          // The first answer, cut after 50 bytes.
          res.writeHead(200, { 'content-length': v1.length, etag: `"${createHash('md5').update(v1).digest('hex')}"` });
          res.write(v1.slice(0, 50), () => res.socket.destroy());
          return true;
        }
        // The object was overwritten: the whole new version, same size, no way to tell it apart but its ETag.
        const v2 = JSON.stringify('y'.repeat(200));
        res.writeHead(200, { 'content-length': v2.length, ...(variant === 'quoted empty ETag' && { etag: '""' }) });
        res.end(v2);
        return true;
      },
    });
    try {
      const d = scratch('resume-no-etag');
      const r = await run([`s3://${b}/in/`, '-o', path.join(d, 'all.json')], { env: { ...s3.env, AWS_ENDPOINT_URL: proxy.endpoint } });
      assert.equal(r.code, 1, `${variant}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^aggregate: cannot read s3://${b}/in/a\\.json: .*ETag`), variant);
      assert.deepEqual(fs.readdirSync(d), []);
    } finally {
      await proxy.close();
    }
  }
});

describe('server and credential failures: one line, documented exit code, no secret', () => {
  test('wrong access key id: exit 2, and the secret is not in the message', async () => {
    const bkt = await bucket();
    await s3.put(bkt, 'in/a.json', '1');
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const r = await run([`s3://${bkt}/in/`], { env: { ...s3.env, AWS_ACCESS_KEY_ID: 'AKIAWRONGKEY', AWS_SECRET_ACCESS_KEY: secret } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^aggregate: cannot list s3:\/\/[^ ]+\/in\/: credentials rejected: unknown access key id .*\(InvalidAccessKeyId, HTTP 403\)\n$/);
    assert.ok(!r.stderr.includes(secret));
  });

  test('no credentials anywhere, or no region: exit 2 with what to set', async () => {
    const bkt = await bucket();
    const none = { ...s3.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_EC2_METADATA_DISABLED: 'true' };
    const r = await run([`s3://${bkt}/in/`], { env: none });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^aggregate: cannot list s3:\/\/[^ ]+: no AWS credentials found .*\n$/);
    const noRegion = await run([`s3://${bkt}/in/`], { env: { ...s3.env, AWS_REGION: '', AWS_ENDPOINT_URL: '' } });
    assert.equal(noRegion.code, 2, noRegion.stderr);
    assert.match(noRegion.stderr, /^aggregate: cannot list s3:\/\/[^ ]+: no valid AWS region configured \(set AWS_REGION\)/);
  });

  test('no such bucket: exit 2', async () => {
    const r = await run(['s3://no-such-bucket-here/x/'], { env: s3.env });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, 'aggregate: cannot list s3://no-such-bucket-here/x/: no such bucket (NoSuchBucket, HTTP 404)\n');
  });

  test('throttling is retried with backoff; past the retries, exit 1', async () => {
    const bkt = await bucket();
    await s3.putTree(bkt, 'in/', { 'a.json': '1', 'b.json': '2' });
    let failures = 0;
    // The first listing request and the first GET are throttled, then service is normal.
    const throttled = new Set();
    const flaky = await startProxy({
      target: s3.port,
      hook: async (req, res) => {
        const kind = req.url.includes('list-type=2') ? 'list' : 'get';
        if (!throttled.has(kind)) {
          throttled.add(kind);
          failures++;
          slowDown(res);
          return true;
        }
        return false;
      },
    });
    try {
      const r = await run(['-q', `s3://${bkt}/in/`], { env: { ...s3.env, AWS_ENDPOINT_URL: flaky.endpoint } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.toString(), '[1,2]\n');
      assert.equal(failures, 2);
    } finally {
      await flaky.close();
    }
    const down = await startProxy({ target: s3.port, hook: async (req, res) => (slowDown(res), true) });
    try {
      const r = await run([`s3://${bkt}/in/`], { env: { ...s3.env, AWS_ENDPOINT_URL: down.endpoint, AWS_MAX_ATTEMPTS: '3' } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^aggregate: cannot list s3:\/\/[^ ]+: throttled by the server \(gave up after the retries\) \(SlowDown, HTTP 503\)\n$/);
      assert.equal(down.requests, 3);
    } finally {
      await down.close();
    }
  });

  test('nothing listening: exit 1', async () => {
    const proxy = await startProxy({ target: s3.port });
    const endpoint = proxy.endpoint;
    await proxy.close();
    const r = await run(['s3://some-bucket/x/'], { env: { ...s3.env, AWS_ENDPOINT_URL: endpoint, AWS_MAX_ATTEMPTS: '2' } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^aggregate: cannot list s3:\/\/some-bucket\/x\/: .*ECONNREFUSED/);
  });
});

test('SIGTERM while GETs are in flight: stops at once with 143, nothing written', async () => {
  const bkt = await bucket();
  await s3.putTree(bkt, 'in/', { 'a.json': '1', 'b.json': '2', 'c.json': '3' });
  // The listing answers at once; every GET hangs for 20 s.
  const slow = await startProxy({
    target: s3.port,
    hook: async (req) => {
      if (!req.url.includes('list-type=2')) await new Promise((r) => setTimeout(r, 20_000).unref());
      return false;
    },
  });
  try {
    const d = scratch('sigterm');
    const out = path.join(d, 'all.json');
    const child = spawn(process.execPath, [BIN, `s3://${bkt}/in/`, '-o', out], {
      env: { ...process.env, ...s3.env, AWS_ENDPOINT_URL: slow.endpoint },
      stdio: 'ignore',
    });
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 143);
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms to stop`);
    assert.ok(!fs.existsSync(out));
    assert.deepEqual(fs.readdirSync(d), []);
  } finally {
    await slow.close();
  }
});

test('GETs signed as S3 checks them: the same output from a server that verifies every SigV4 signature (s3rver does not)', async () => {
  // Keys that need encoding in the path and in the signature: spaces, '+', '!*()', non-ASCII.
  const disk = writeTree(scratch('sigv4'), { 'a b/c+d(1)!*.json': '{"k": 1}', 'é/中文 ü.json': '[2]', "it's.json": '"3"', 'plain.json': '4' });
  const lite = await startLite({ bucket: 'signed', mounts: { 'in/': disk } });
  try {
    const local = await run(['-q', disk]);
    const env = { ...s3.env, AWS_ENDPOINT_URL: lite.endpoint };
    for (const get of ['', 'sdk']) {
      const r = await run(['-q', 's3://signed/in/'], { env: { ...env, AGGREGATE_S3_GET: get } });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.equals(local.stdout), `${get || 'lean'}: ${r.stdout}`);
    }
    // The server does check: a wrong secret is refused (at the listing, signed by the SDK).
    const wrong = await run(['-q', 's3://signed/in/'], { env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' } });
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /SignatureDoesNotMatch/);
  } finally {
    await lite.stop();
  }
});

describe('usage errors: exit 2 before any request', () => {
  for (const [args, pattern] of [
    [['s3://'], /invalid input 's3:\/\/'/],
    [['s3://B_ad/x'], /invalid bucket name 'B_ad'/],
    [['s3://bucket/a//b/'], /invalid prefix/],
    [['s3://bucket/../b/'], /invalid prefix/],
    [['s3://bucket/x/', '--endpoint', 'ftp://host'], /invalid --endpoint 'ftp:\/\/host'/],
    [['s3://bucket/x/', '--endpoint', 'not a url'], /invalid --endpoint/],
    [['.', '--endpoint', 'http://127.0.0.1:9'], /--endpoint applies to an s3:\/\/ input only/],
    // The same pattern rules as for a directory: nothing matches outside the prefix or a dotfile.
    [['s3://bucket/x/', '-p', '../y/*.json'], /pattern '\.\.\/y\/\*\.json' points outside the input directory/],
    [['s3://bucket/x/', '-p', '.work/*.json'], /names a dotfile or dot-directory \('\.work'\)/],
  ]) {
    test(args.join(' '), async () => {
      const r = await run(args, { env: { AWS_ENDPOINT_URL: '' } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
    });
  }
});
