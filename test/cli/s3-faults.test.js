// S3 faults a run must not survive silently: requests that stall (never answered, a body that
// stops, a connect that never completes), listings that contradict themselves, and keys no
// file or archive entry can be named after. The bundled bin against s3rver behind the fault
// proxy (bench/lib/s3-proxy.mjs); short --timeout values keep the stalls quick.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startProxy } from '../../bench/lib/s3-proxy.mjs';
import { have, run } from '../helpers/cli.js';
import { s3Fixture } from '../helpers/s3.js';

let s3;
const fx = s3Fixture('f', (started) => (s3 = started));
const bucket = () => fx.bucket();
const scratch = (name) => fx.scratch(name);

const isList = (req) => req.url.includes('list-type=2');
const keyOf = (req) => decodeURIComponent(new URL(req.url, 'http://x').pathname).split('/').slice(2).join('/');

/** Run against `proxy` (started with `options`), closing it whatever happens. */
async function viaProxy(options, args, env = {}) {
  const proxy = await startProxy({ target: s3.port, ...options });
  try {
    // A run that hangs (the bug) fails the test instead of the suite waiting forever.
    return await run(args, { env: { ...s3.env, AWS_ENDPOINT_URL: proxy.endpoint, ...env }, timeout: 40_000 });
  } finally {
    await proxy.close();
  }
}

/** `n` successive calls return `value`, then undefined. */
function times(n, value) {
  return () => (n-- > 0 ? value : undefined);
}

function bigFragment() {
  const items = [];
  for (let i = 0; i < 20_000; i++) items.push(`{"i":${i},"s":"${'x'.repeat(i % 40)}"}`);
  return `[${items.join(',\n')}]\n`;
}

describe('--timeout: a request without progress is retried, then the run exits 1 naming it', () => {
  const TREE = { 'a.json': '{"a": 1}', 'big.json': bigFragment(), 'c.json': '[3]' };
  const EXPECTED = JSON.stringify([{ a: 1 }, JSON.parse(TREE['big.json']), [3]]);
  let bkt;
  before(async () => {
    bkt = await bucket();
    await s3.putTree(bkt, 'in/', TREE);
  });
  const parsed = (r) => JSON.stringify(JSON.parse(r.stdout));

  test('a GET never answered: retried once, output complete', async () => {
    const once = times(1, 'request');
    const r = await viaProxy({ stall: (req) => (keyOf(req) === 'in/a.json' ? once() : undefined) }, ['-q', `s3://${bkt}/in/`, '--timeout', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parsed(r), EXPECTED);
  });

  test('a GET never answered, every time: exit 1 naming the key and the timeout, nothing written', async () => {
    const d = scratch('get-stall');
    const out = path.join(d, 'all.json');
    const r = await viaProxy({ stall: (req) => (keyOf(req) === 'in/c.json' ? 'request' : undefined) }, [`s3://${bkt}/in/`, '--timeout', '1', '-o', out], {
      AWS_MAX_ATTEMPTS: '2',
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^aggregate: cannot read s3://${bkt}/in/c\\.json: timed out after 1 s without progress \\(no answer\\), 2 attempts`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.deepEqual(fs.readdirSync(d), []);
  });

  test('a listing never answered, or its body stopping half-way: retried; every time: exit 1 naming the prefix', async () => {
    const once = times(1, 'request');
    const r = await viaProxy({ stall: (req) => (isList(req) ? once() : undefined) }, ['-q', `s3://${bkt}/in/`, '--timeout', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parsed(r), EXPECTED);
    const half = times(1, 200);
    const h = await viaProxy({ stall: (req) => (isList(req) ? half() : undefined) }, ['-q', `s3://${bkt}/in/`, '--timeout', '1']);
    assert.equal(h.code, 0, h.stderr);
    assert.equal(parsed(h), EXPECTED);
    const always = await viaProxy({ stall: (req) => (isList(req) ? 200 : undefined) }, [`s3://${bkt}/in/`, '--timeout', '0.5'], { AWS_MAX_ATTEMPTS: '2' });
    assert.equal(always.code, 1, always.stderr);
    assert.match(
      always.stderr,
      new RegExp(`^aggregate: cannot list s3://${bkt}/in/: timed out after 0\\.5 s without progress \\(the answer stopped\\), 2 attempts`),
    );
  });

  test('a body that stops mid-stream is resumed with a ranged GET and the same If-Match; every time: exit 1', async () => {
    const gets = [];
    const once = times(1, 300_000);
    for (const mode of ['json', 'tar']) {
      gets.length = 0;
      const stall = (req) => {
        if (keyOf(req) !== 'in/big.json') return undefined;
        gets.push({ range: req.headers.range, ifMatch: req.headers['if-match'] });
        return once();
      };
      const d = scratch(`body-stall-${mode}`);
      const r = await viaProxy({ stall }, ['-q', '--mode', mode, `s3://${bkt}/in/`, '--timeout', '1', '-o', path.join(d, 'out')]);
      assert.equal(r.code, 0, r.stderr);
      if (mode === 'json') {
        assert.equal(JSON.stringify(JSON.parse(fs.readFileSync(path.join(d, 'out')))), EXPECTED);
        assert.equal(gets.length, 2, JSON.stringify(gets));
        assert.equal(gets[0].range, undefined);
        const from = Number(/^bytes=(\d+)-$/.exec(gets[1].range)?.[1]);
        assert.ok(from > 0 && from <= 300_000, gets[1].range);
        assert.ok(gets[1].ifMatch && gets[1].ifMatch === gets[0].ifMatch, JSON.stringify(gets));
      } else {
        const x = scratch('x');
        assert.equal(spawnSync('tar', ['-xf', path.join(d, 'out'), '-C', x]).status, 0);
        assert.equal(fs.readFileSync(path.join(x, 'big.json'), 'utf8'), TREE['big.json']);
      }
    }
    const d = scratch('body-stall-always');
    const size = Buffer.byteLength(TREE['big.json']);
    const r = await viaProxy(
      { stall: (req) => (keyOf(req) === 'in/big.json' ? 1000 : undefined) },
      [`s3://${bkt}/in/`, '--timeout', '1', '-o', path.join(d, 'all.json')],
      { AWS_MAX_ATTEMPTS: '3' },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^aggregate: cannot read s3://${bkt}/in/big\\.json: timed out after 1 s without progress \\(the body stopped\\) after \\d+ of ${size} bytes, 3 times in a row`,
      ),
    );
    assert.deepEqual(fs.readdirSync(d), []);
  });

  test('a connect that never completes: exit 1 after the retries', { skip: !have('python3') && 'needs python3' }, async () => {
    // A listening socket that never accepts, its backlog filled: further connects hang in SYN_SENT.
    const server = spawn(
      'python3',
      ['-c', 'import socket,sys\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const fillers = [];
    try {
      const port = Number(await new Promise((resolve) => server.stdout.once('data', (d) => resolve(String(d).trim()))));
      const net = await import('node:net');
      for (let i = 0; i < 3; i++) fillers.push(net.connect(port, '127.0.0.1').on('error', () => {}));
      await new Promise((r) => setTimeout(r, 200));
      const r = await run([`s3://${bkt}/in/`, '--timeout', '1'], {
        env: { ...s3.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_MAX_ATTEMPTS: '2' },
        timeout: 40_000,
      });
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`^aggregate: cannot list s3://${bkt}/in/: timed out after 1 s without progress \\(no (connection|answer)\\), 2 attempts`),
      );
    } finally {
      for (const f of fillers) f.destroy();
      server.stdin.end();
      server.kill();
    }
  });

  test('--timeout is checked: a number of seconds > 0, for an s3:// input only', async () => {
    for (const bad of ['0', '-1', 'abc', '', '1e3', 'Infinity', '0x10', '100000']) {
      const r = await run([`s3://${bkt}/in/`, `--timeout=${bad}`], { env: s3.env });
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /invalid --timeout/);
    }
    const local = await run([scratch('local'), '--timeout', '5']);
    assert.equal(local.code, 2, local.stderr);
    assert.match(local.stderr, /--timeout applies to an s3:\/\/ input only/);
    const help = await run(['--help']);
    assert.match(help.stdout.toString(), /--timeout/);
  });
});

describe('a listing that contradicts itself: exit 1 naming the prefix and what is wrong, nothing written', () => {
  let bkt;
  before(async () => {
    bkt = await bucket();
    await s3.putTree(bkt, 'in/', { 'a.json': '1', 'b.json': '2', 'c.json': '3', 'd.json': '4', 'e.json': '5' });
  });
  /** Pages of two keys, so that a small bucket has several. */
  const smallPages = async (req) => {
    if (isList(req)) req.url += '&max-keys=2';
    return false;
  };
  const sent = (req) => new URL(req.url, 'http://x').searchParams.get('continuation-token');
  const contents = (xml) => xml.match(/<Contents>.*?<\/Contents>/gs) ?? [];

  test('pages of two keys read in full (the proxy itself loses nothing)', async () => {
    const r = await viaProxy({ hook: smallPages }, ['-q', `s3://${bkt}/in/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), '[1,2,3,4,5]\n');
  });

  test('truncated pages without a key, each with a new token, without end', async () => {
    let n = 0;
    const endless = async (req, res) => {
      if (!isList(req)) return false;
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bkt}</Name><Prefix>in/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>token-${++n}</NextContinuationToken></ListBucketResult>`,
      );
      return true;
    };
    const r = await viaProxy({ hook: endless }, [`s3://${bkt}/in/`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`^aggregate: cannot list s3://${bkt}/in/: the listing contradicts itself on page 1000: 1000 truncated pages in a row without a key`),
    );
  });

  for (const [what, rewrite, pattern] of [
    [
      'truncated without a continuation token',
      (req, xml) => xml.replace(/<NextContinuationToken>.*?<\/NextContinuationToken>/s, ''),
      /page 1: it says more keys follow \(IsTruncated\) but gives no continuation token/,
    ],
    [
      'a continuation token repeated',
      (req, xml) =>
        sent(req) ? xml.replace(/<NextContinuationToken>.*?<\/NextContinuationToken>/s, `<NextContinuationToken>${sent(req)}</NextContinuationToken>`) : xml,
      /page 2: it repeats a continuation token already used/,
    ],
    [
      'keys out of order',
      (req, xml) => {
        const [x, y] = contents(xml);
        return sent(req) ? xml : xml.replace(x, '\0').replace(y, x).replace('\0', y);
      },
      /page 1: key in\/a\.json comes after in\/b\.json, out of order/,
    ],
    [
      'a key repeated on the next page',
      (() => {
        let lastOfPage1;
        return (req, xml) => {
          const c = contents(xml);
          if (!sent(req)) {
            lastOfPage1 = c.at(-1);
            return xml;
          }
          return xml.replace(c[0], lastOfPage1 + c[0]);
        };
      })(),
      /page 2: key in\/b\.json is listed twice/,
    ],
    [
      'a key outside the prefix',
      (req, xml) => xml.replace('<Key>in/a.json</Key>', '<Key>out/a.json</Key>'),
      /page 1: key out\/a\.json lies outside the prefix/,
    ],
  ]) {
    test(what, async () => {
      const d = scratch('listing');
      const out = path.join(d, 'all.json');
      const r = await viaProxy({ hook: smallPages, rewrite: (req, body) => (isList(req) ? rewrite(req, body.toString()) : undefined) }, [
        `s3://${bkt}/in/`,
        '-o',
        out,
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^aggregate: cannot list s3://${bkt}/in/: the listing contradicts itself on ${pattern.source}`));
      assert.deepEqual(fs.readdirSync(d), []);
    });
  }
});

describe('keys no archive entry can be named after: skipped and reported, never silently dropped', () => {
  const HAVE_UNZIP = have('unzip');

  /** Extract with the standard tool; returns { status, stderr, files: { rel: content } }. */
  function extract(mode, archive) {
    const x = scratch('extract');
    const r = mode === 'zip' ? spawnSync('unzip', ['-q', archive, '-d', x]) : spawnSync('tar', ['-xf', archive, '-C', x]);
    const files = {};
    const walk = (sub) => {
      for (const e of fs.readdirSync(path.join(x, sub), { withFileTypes: true })) {
        const rel = sub ? `${sub}/${e.name}` : e.name;
        if (e.isDirectory()) walk(rel);
        else files[rel] = fs.readFileSync(path.join(x, rel), 'utf8');
      }
    };
    walk('');
    return { status: r.status, stderr: r.stderr.toString(), files };
  }

  test('x/a beside x/a/b.json (a key that is also a "directory"): tar and zip skip x/a, report it, and extract with GNU tar and unzip', async () => {
    const bkt = await bucket();
    await s3.putTree(bkt, 'in/', {
      'x/a': 'file a',
      'x/a/b.json': '{"b": 1}',
      'x/a-1/c.json': '"c"',
      'x/ab': 'ab',
      'y/z/w': 'deep',
      'y/z': 'z',
      'y/z/.keep': '',
    });
    for (const [mode, name] of [
      ['tar', 'out.tar'],
      ['tar', 'out.tar.gz'],
      ['zip', 'out.zip'],
    ]) {
      if (mode === 'zip' && !HAVE_UNZIP) continue;
      const d = scratch(mode);
      const out = path.join(d, name);
      const stats = path.join(d, 'stats.json');
      const r = await run(['--mode', mode, `s3://${bkt}/in/`, '-o', out, '--stats', stats], { env: s3.env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /skipped x\/a: key is also the 'directory' of other keys/);
      assert.match(r.stderr, /skipped y\/z: key is also the 'directory' of other keys/);
      const s = JSON.parse(fs.readFileSync(stats, 'utf8'));
      assert.deepEqual(
        s.skipped.map((k) => k.path),
        ['x/a', 'y/z'],
      );
      const x = extract(mode, out);
      assert.equal(x.status, 0, x.stderr);
      assert.deepEqual(x.files, { 'x/a/b.json': '{"b": 1}', 'x/a-1/c.json': '"c"', 'x/ab': 'ab', 'y/z/w': 'deep' });
    }
    // The contract counts what is archived: the skipped key is missing.
    const r = await run(['--mode', 'tar', `s3://${bkt}/in/`, '-p', 'x/**', '--expect', '4', '-o', path.join(scratch('expect'), 'o.tar')], { env: s3.env });
    assert.equal(r.code, 4, r.stderr);
    // A pattern that leaves out the keys under x/a: x/a is a plain file again.
    const only = await run(['--mode', 'tar', `s3://${bkt}/in/`, '-p', 'x/a', '-o', path.join(scratch('only'), 'o.tar')], { env: s3.env });
    assert.equal(only.code, 0, only.stderr);
    assert.doesNotMatch(only.stderr, /skipped/);
  });

  test('tar and zip: a key segment longer than 255 bytes (S3 allows 1,024) is skipped and reported; 255 is archived', async () => {
    const bkt = await bucket();
    await s3.putTree(bkt, 'in/', { 'ok.json': '1' });
    const long = `${'é'.repeat(128)}.json`; // 261 bytes in UTF-8, 133 characters
    const fits = `${'x'.repeat(250)}.json`; // 255 bytes
    for (const [mode, name] of [
      ['tar', 'o.tar'],
      ['zip', 'o.zip'],
    ]) {
      if (mode === 'zip' && !HAVE_UNZIP) continue;
      const d = scratch(`long-${mode}`);
      const out = path.join(d, name);
      const stats = path.join(d, 'stats.json');
      // s3rver cannot store either name (its files add a suffix): the proxy lists both and serves the one read.
      const serve = async (req, res) => {
        if (isList(req) || keyOf(req) !== `in/d/${fits}`) return false;
        res.writeHead(200, { etag: '"0cc175b9c0f1b6a831c399e269772661"', 'content-length': 1 });
        res.end('a');
        return true;
      };
      const r = await viaProxy({ hook: serve, rewrite: withKeys([`in/d/${long}`, `in/d/${fits}`]) }, [
        '--mode',
        mode,
        `s3://${bkt}/in/`,
        '-o',
        out,
        '--stats',
        stats,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /a segment of the key is longer than 255 bytes/);
      assert.deepEqual(
        JSON.parse(fs.readFileSync(stats, 'utf8')).skipped.map((k) => k.path),
        [`d/${long}`],
      );
      const x = extract(mode, out);
      assert.equal(x.status, 0, x.stderr);
      assert.deepEqual(x.files, { 'ok.json': '1', [`d/${fits}`]: 'a' });
    }
  });

  test('json mode, --key-by path too: no conflict, every value kept', async () => {
    const bkt = await bucket();
    await s3.putTree(bkt, 'in/', { 'x/a.json': '1', 'x/a.json/b.json': '2' });
    const arr = await run(['-q', `s3://${bkt}/in/`], { env: s3.env });
    assert.equal(arr.code, 0, arr.stderr);
    assert.equal(arr.stdout.toString(), '[1,2]\n');
    const keyed = await run(['-q', `s3://${bkt}/in/`, '--key-by', 'path'], { env: s3.env });
    assert.equal(keyed.code, 0, keyed.stderr);
    assert.deepEqual(JSON.parse(keyed.stdout), { 'x/a': 1, 'x/a.json/b': 2 });
  });

  /**
   * A listing rewrite that adds objects s3rver cannot store (its file store folds '//' and
   * '..'): each page's entries are put back in S3's order, byte order of the keys.
   */
  function withKeys(keys) {
    return (req, body) => {
      if (!isList(req)) return undefined;
      const xml = body.toString();
      const blocks = xml.match(/<Contents>.*?<\/Contents>/gs) ?? [];
      const added = keys.map(
        (k) =>
          `<Contents><Key>${k}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"0cc175b9c0f1b6a831c399e269772661"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
      const all = [...blocks, ...added].sort((a, b) =>
        Buffer.compare(Buffer.from(/<Key>(.*?)<\/Key>/.exec(a)[1]), Buffer.from(/<Key>(.*?)<\/Key>/.exec(b)[1])),
      );
      const at = xml.indexOf(blocks[0]);
      return xml.slice(0, at) + all.join('') + xml.slice(xml.lastIndexOf('</Contents>') + '</Contents>'.length);
    };
  }

  test("odd keys ('e.json/' not empty, '//', './', '../', a leading '/'): reported in every mode; empty folder markers ignored", async () => {
    const bkt = await bucket();
    await s3.putTree(bkt, 'in/', { 'ok.json': '1', 'odd/e.json/': '{"e": 5}', 'folder/': '', 'notes/': 'not empty, but no pattern of json mode takes it' });
    const INJECTED = ['in/a//b.json', 'in/a/./c.json', 'in/a/../d.json', 'in//lead.json', 'in/nested/../../up.json', 'in/./x/.hidden.json', 'in/notes.txt/./'];
    const ODD = ['/lead.json', 'a//b.json', 'a/../d.json', 'a/./c.json', 'nested/../../up.json', 'odd/e.json/'].sort();
    for (const mode of ['json', 'tar', 'zip']) {
      const d = scratch(`odd-${mode}`);
      const stats = path.join(d, 'stats.json');
      const out = path.join(d, 'out');
      const r = await viaProxy({ rewrite: withKeys(INJECTED) }, ['--mode', mode, `s3://${bkt}/in/`, '-o', out, '--stats', stats]);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(fs.readFileSync(stats, 'utf8'));
      // Archive modes take every name: also the non-empty 'notes/' and 'notes.txt/./'.
      const odd = mode === 'json' ? ODD : [...ODD, 'notes.txt/./', 'notes/'].sort();
      assert.deepEqual(s.skipped.map((k) => k.path).sort(), odd, mode);
      assert.equal(s.files, 1, mode);
      for (const k of odd) assert.ok(r.stderr.includes(`skipped ${k}:`), `${mode}: ${k} not warned about: ${r.stderr}`);
      assert.ok(!r.stderr.includes('folder') && !r.stderr.includes('hidden'), r.stderr);
      if (mode !== 'json' && (mode === 'tar' || HAVE_UNZIP)) {
        const x = extract(mode, out);
        assert.equal(x.status, 0, x.stderr);
        assert.deepEqual(x.files, { 'ok.json': '1' });
      }
    }
  });
});
