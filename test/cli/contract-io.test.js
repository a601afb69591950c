// The fan-in contract at its edges, as a user runs it: --expect-names lists in every form a user
// writes or gets (JSON with invalid UTF-8 or a byte order mark, a --manifest fed back as is, line
// lists with CRLF, BOM, raw bytes, NUL), and `complete`/exit 0 meaning the artifact holds every
// expected fragment (names zip cannot carry, files gone before they are read).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { run, have, tempFilesIn, tempTrees, tmpfs } from '../helpers/cli.js';
import { aggregate } from '../../dist/index.js';

const mk = tempTrees('agg-cio-');
const ok = (r) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const HAVE_UNZIP = have('unzip');
const HAVE_TAR = spawnSync('tar', ['--version']).stdout?.toString().includes('GNU tar') ?? false;

/** A new dir holding files named by exact bytes: [[name (Buffer or string), content]]. */
function mkBytes(files) {
  const d = mk();
  for (const [name, content] of files) {
    if (typeof name === 'string') fs.mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
    fs.writeFileSync(Buffer.concat([Buffer.from(d + '/'), Buffer.from(name)]), content);
  }
  return d;
}

/** A list file (exact bytes) in a fresh dir. */
function listFile(content, name = 'names.json') {
  const p = path.join(mk(), name);
  fs.writeFileSync(p, content);
  return p;
}

const bytes = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const BOM = [0xef, 0xbb, 0xbf];

describe('--expect-names: the list file itself', () => {
  test('a JSON list holding raw invalid UTF-8 is refused (exit 2) naming the list and the byte offset, not matched to U+FFFD', async () => {
    const d = mkBytes([
      ['a.json', '1'],
      ['b\ufffd.json', '2'],
    ]);
    const list = listFile(bytes('["a.json","b', [0xff], '.json"]'));
    const out = mk();
    const r = await run([d, '--expect-names', list, '-o', path.join(out, 'r.json'), '--stats', path.join(out, 's.json')]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`--expect-names ${list}`), r.stderr);
    assert.match(r.stderr, /not valid UTF-8 at byte 12\b/);
    assert.ok(!fs.existsSync(path.join(out, 'r.json')));
    // Every kind of bad sequence, at its offset: a lone continuation byte, an overlong form, a
    // surrogate's encoding, a truncated sequence at the end.
    for (const [bad, at] of [
      [[0x80], 3],
      [[0xc0, 0xaf], 3],
      [[0xed, 0xa0, 0x80], 3],
      [[0xe2, 0x82], 3],
    ]) {
      const r2 = await run([d, '--expect-names', listFile(bytes('["x', bad, '"]'))]);
      assert.equal(r2.code, 2, r2.stderr);
      assert.match(r2.stderr, new RegExp(`not valid UTF-8 at byte ${at}\\b`));
    }
    // A BOM before bad bytes: the offset counts from the file's first byte.
    const r3 = await run([d, '--expect-names', listFile(bytes(BOM, '["x', [0xff], '"]'))]);
    assert.match(r3.stderr, /not valid UTF-8 at byte 6\b/);
  });

  test('a JSON list after a byte order mark is read as JSON (also a manifest, and with whitespace first)', async () => {
    const d = mk({ 'a.json': '1', 'sub/b.json': '2' });
    for (const text of ['["a.json","sub/b.json"]', '\n  [ "sub/b.json", {"path": "a.json"} ]\n']) {
      const r = await run([d, '--expect-names', listFile(bytes(BOM, text)), '-q']);
      ok(r);
      assert.deepEqual(JSON.parse(r.stdout), [1, 2]);
    }
    // One expected file missing: named as listed, not as the BOM-prefixed first line of a line list.
    const r = await run([d, '--expect-names', listFile(bytes(BOM, '["a.json","sub/b.json","c.json"]'))]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /1 missing: c\.json/);
  });

  test('line lists: a BOM and CRLF are not part of any name; raw non-UTF-8 bytes are names as they are', async () => {
    const d = mkBytes([
      ['a.json', '1'],
      [bytes('b', [0xff], '.json'), '2'],
      ['c d.json', '3'],
    ]);
    const list = listFile(bytes(BOM, 'a.json\r\nb', [0xff], '.json\r\n\r\nc d.json'), 'names.txt');
    const r = await run([d, '--expect-names', list, '-q']);
    ok(r);
    assert.deepEqual(JSON.parse(r.stdout), [1, 2, 3]);
    // U+FFFD in the list is another name than the byte 0xFF.
    const r2 = await run([d, '--expect-names', listFile('a.json\nb\ufffd.json\nc d.json\n', 'n.txt')]);
    assert.equal(r2.code, 4, r2.stderr);
  });

  test('NUL, lone surrogates, and pathBase64 that is not base64 are refused (exit 2), in either form', async () => {
    const d = mk({ 'a.json': '1' });
    const cases = [
      [bytes('a.json\nb', [0], '.json\n'), /NUL/],
      ['["a.json","b\\u0000.json"]', /NUL/],
      ['["a.json","b\\ud800.json"]', /lone UTF-16 surrogate/],
      ['["a.json","\\udc00"]', /lone UTF-16 surrogate/],
      ['[{"pathBase64":"YS5qc29u!"}]', /"pathBase64" "YS5qc29u!" is not base64/],
      ['[{"pathBase64":"YS5qc29"}]', /is not base64/],
      [Buffer.from('\ufeff["a.json"]', 'utf16le'), /UTF-16 byte order mark/],
    ];
    for (const [text, message] of cases) {
      const r = await run([d, '--expect-names', listFile(text)]);
      assert.equal(r.code, 2, `${text}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});

/** Run `args` with --manifest, then again with that manifest as --expect-names: returns both. */
async function feedBack(dir, args, out = mk()) {
  const manifest = path.join(out, 'm.json');
  const first = await run([dir, ...args, '-o', path.join(out, 'first'), '--manifest', manifest, '-q']);
  const second = await run([dir, ...args, '-o', path.join(out, 'second'), '--expect-names', manifest, '--stats', path.join(out, 's.json'), '-q']);
  return { first, second, manifest: readJson(manifest), stats: fs.existsSync(path.join(out, 's.json')) ? readJson(path.join(out, 's.json')) : undefined, out };
}

describe('--expect-names fed the --manifest of a run as is', () => {
  const names = [
    ['a.json', '[1]'],
    ['dir/b.json', '[2]'],
    ['new\nline.json', '[3]'],
    [bytes('raw', [0xfe], '.json'), '[4]'],
    ['tab\t"q".json', '[5]'],
  ];

  for (const mode of ['json', 'tar']) {
    test(`${mode} mode: its entries (newlines, quotes, non-UTF-8 names) are the expected names: complete, exit 0`, async () => {
      const d = mkBytes(names);
      const { first, second, manifest, stats } = await feedBack(d, ['--mode', mode]);
      ok(first);
      ok(second);
      assert.equal(manifest.entries.length, 5);
      assert.equal(stats.expected, 5);
      assert.equal(stats.complete, true);
    });
  }

  test('zip mode: the same, for names zip carries', async () => {
    const d = mkBytes(names.filter(([n]) => typeof n === 'string'));
    const { first, second, stats } = await feedBack(d, ['--mode', 'zip']);
    ok(first);
    ok(second);
    assert.equal(stats.complete, true);
  });

  test('the manifest of a run that skipped files: matched ones (invalid) are expected, ones discovery passed over (a symlink) are not', async () => {
    const d = mk({ 'a.json': '1', 'bad.json': '{', 'c.json': '3' });
    fs.symlinkSync('a.json', path.join(d, 'link.json'));
    const { first, second, manifest, stats, out } = await feedBack(d, ['--on-invalid', 'skip']);
    ok(first);
    ok(second);
    const skipped = Object.fromEntries(manifest.skipped.map((s) => [s.path, s.matched === true]));
    assert.deepEqual(skipped, { 'bad.json': true, 'link.json': false });
    // bad.json is expected (found, again invalid); link.json is not (never a candidate).
    assert.equal(stats.expected, 3);
    assert.equal(stats.missing, 0);
    assert.equal(stats.extra, 0);
    assert.equal(stats.complete, false); // bad.json is still left out
    // The file fixed: complete.
    fs.writeFileSync(path.join(d, 'bad.json'), '2');
    const r = await run([d, '--expect-names', path.join(out, 'm.json'), '--stats', path.join(out, 's3.json'), '-q']);
    ok(r);
    assert.deepEqual(JSON.parse(r.stdout), [1, 2, 3]);
    assert.equal(readJson(path.join(out, 's3.json')).complete, true);
  });

  test('a manifest whose file is gone since is missing (exit 4); a new file is unexpected (exit 4)', async () => {
    const d = mk({ 'a.json': '1', 'b.json': '2' });
    const out = mk();
    const manifest = path.join(out, 'm.json');
    ok(await run([d, '--manifest', manifest, '-q']));
    fs.renameSync(path.join(d, 'b.json'), path.join(d, 'c.json'));
    const r = await run([d, '--expect-names', manifest]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /1 missing: b\.json; 1 unexpected: c\.json/);
  });

  test('not a manifest: an object without "entries", or entries that are not paths (exit 2)', async () => {
    const d = mk({ 'a.json': '1' });
    for (const [text, message] of [
      ['{"version": 1}', /a JSON array of paths, or a manifest/],
      ['{"entries": {"path": "a.json"}}', /"entries" is not an array/],
      ['{"entries": [{"size": 1}]}', /entry 0 is not a path/],
    ]) {
      const r = await run([d, '--expect-names', listFile(text)]);
      assert.equal(r.code, 2, `${text}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});

/** Three files, one named `bad` (a name zip cannot carry). */
function zipFixture(bad) {
  return mkBytes([
    ['a.bin', 'A'],
    ['b.bin', 'B'],
    [bad, 'C'],
  ]);
}

describe('complete and exit 0 mean the artifact holds every expected fragment', () => {
  const unzippable = [
    ['a backslash', 'c\\d.bin', /backslash/],
    ['invalid UTF-8', bytes('c', [0xff], '.bin'), /not valid UTF-8/],
  ];

  for (const [what, bad, reason] of unzippable) {
    test(`zip, a name with ${what}, --expect 3: exit 4 naming it, nothing written`, async () => {
      const d = zipFixture(bad);
      const out = mk();
      const r = await run(['--mode', 'zip', '--expect', '3', d, '-o', path.join(out, 'r.zip'), '--stats', path.join(out, 's.json')]);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /expected 3 files, found 2; 1 missing/);
      assert.match(r.stderr, reason);
      assert.ok(!fs.existsSync(path.join(out, 'r.zip')));
      assert.deepEqual(tempFilesIn(out), []);
      const stats = readJson(path.join(out, 's.json'));
      assert.equal(stats.complete, false);
      assert.equal(stats.missing, 1);
    });

    test(`zip, a name with ${what}: --expect-names lists it as missing; tolerated by --max-missing 1: exit 0, complete false`, async () => {
      const d = zipFixture(bad);
      const out = mk();
      const list = listFile(bytes('a.bin\nb.bin\n', bad, '\n'), 'n.txt');
      const r = await run(['--mode', 'zip', '--expect-names', list, d, '-o', path.join(out, 'r.zip')]);
      assert.equal(r.code, 4, r.stderr);
      const r2 = await run([
        '--mode',
        'zip',
        '--expect-names',
        list,
        '--max-missing',
        '1',
        d,
        '-o',
        path.join(out, 'r.zip'),
        '--stats',
        path.join(out, 's.json'),
      ]);
      ok(r2);
      const stats = readJson(path.join(out, 's.json'));
      assert.equal(stats.complete, false);
      assert.equal(stats.missing, 1);
      assert.equal(stats.missingFiles.length, 1);
      if (HAVE_UNZIP) {
        const listing = spawnSync('unzip', ['-Z1', path.join(out, 'r.zip')])
          .stdout.toString()
          .trim()
          .split('\n');
        assert.deepEqual(listing, ['a.bin', 'b.bin']);
      }
    });

    test(`zip, a name with ${what}, no contract: skipped with a warning, exit 0, complete false`, async () => {
      const d = zipFixture(bad);
      const out = mk();
      const r = await run(['--mode', 'zip', d, '-o', path.join(out, 'r.zip'), '--stats', path.join(out, 's.json')]);
      ok(r);
      assert.match(r.stderr, reason);
      const stats = readJson(path.join(out, 's.json'));
      assert.equal(stats.complete, false);
      assert.equal(stats.files, 2);
    });
  }

  test('every shard of a zip run checks the same set: the name that cannot be carried fails the shards that do not hold it too', async () => {
    const d = zipFixture('c\\d.bin');
    for (const shard of ['0/3', '1/3', '2/3']) {
      const r = await run(['--mode', 'zip', '--expect', '3', '--shard', shard, d, '-o', path.join(mk(), 'r.zip')]);
      assert.equal(r.code, 4, `${shard}: ${r.stderr}`);
    }
  });

  test(
    'tar carries what zip cannot (backslash, non-UTF-8, newline, a 300-byte path): --expect 5 complete, and GNU tar extracts the exact names',
    { skip: !HAVE_TAR && 'no GNU tar' },
    async () => {
      const long = 'd'.repeat(100) + '/' + 'e'.repeat(100) + '/' + 'f'.repeat(96) + '.bin';
      const files = [
        ['a.bin', 'A'],
        ['c\\d.bin', 'B'],
        [bytes('c', [0xff], '.bin'), 'C'],
        ['new\nline.bin', 'D'],
        [long, 'E'],
      ];
      const d = mkBytes(files);
      const out = mk();
      const r = await run(['--mode', 'tar', '--expect', '5', d, '-o', path.join(out, 'r.tar'), '--stats', path.join(out, 's.json'), '-q']);
      ok(r);
      assert.equal(readJson(path.join(out, 's.json')).complete, true);
      const x = mk();
      const t = spawnSync('tar', ['-xf', path.join(out, 'r.tar'), '-C', x]);
      assert.equal(t.status, 0, t.stderr.toString());
      for (const [name, content] of files) assert.equal(fs.readFileSync(Buffer.concat([Buffer.from(x + '/'), Buffer.from(name)])).toString(), content);
    },
  );

  test('a file replaced by a symlink after the contract was checked, before it is read (skipped, not followed): exit 4 with --expect, nothing written; without a contract, complete false', async () => {
    const mkTree = () => mk({ 'a.json': '[1]', 'z.json': '[2]' });
    const saved = process.env.AGGREGATE_READ_MODE;
    process.env.AGGREGATE_READ_MODE = 'sync';
    try {
      for (const expect of [2, undefined]) {
        const d = mkTree();
        const out = mk();
        let acted = false;
        // The progress hook runs once the run has gone 50 ms without a pause: on an idle machine
        // two files take less. The run reads signal.aborted as it starts (Pacer.check): until
        // the hook has acted, each read waits 60 ms, so the hook runs after a.json, before z.json.
        const signal = new AbortController().signal;
        Object.defineProperty(signal, 'aborted', {
          get() {
            if (!acted) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60);
            return false;
          },
        });
        const options = {
          signal,
          dir: d,
          output: path.join(out, 'r.json'),
          stats: path.join(out, 's.json'),
          onWarning: () => {},
          onProgress: () => {
            if (acted) return;
            acted = true;
            fs.unlinkSync(path.join(d, 'z.json'));
            fs.symlinkSync('a.json', path.join(d, 'z.json'));
          },
          ...(expect !== undefined && { expect }),
        };
        if (expect !== undefined) {
          await assert.rejects(aggregate(options), (e) => e.exitCode === 4 && /z\.json/.test(e.message));
          assert.ok(acted, 'the progress hook never ran');
          assert.ok(!fs.existsSync(path.join(out, 'r.json')));
          assert.equal(readJson(path.join(out, 's.json')).complete, false);
        } else {
          const stats = await aggregate(options);
          assert.ok(acted, 'the progress hook never ran');
          assert.equal(stats.complete, false);
          assert.equal(stats.files, 1);
        }
      }
    } finally {
      if (saved === undefined) delete process.env.AGGREGATE_READ_MODE;
      else process.env.AGGREGATE_READ_MODE = saved;
    }
  });
});

describe('spool files', () => {
  /** Enough output to spill the 4 MiB in-memory buffer into the spool file (6 MB), one invalid fragment. */
  function spilling() {
    const files = {};
    for (let i = 0; i < 12; i++) files[`f${i}.json`] = JSON.stringify({ i, pad: 'y'.repeat(500_000) });
    files['bad.json'] = '{';
    return mk(files);
  }

  test('json.gz under --on-invalid skip spools beside the output: a TMPDIR that cannot be written is no obstacle', async () => {
    const d = spilling();
    const out = mk();
    const target = path.join(out, 'dir', 'r.json.gz');
    const r = await run([d, '-o', target, '--on-invalid', 'skip', '-q'], { env: { TMPDIR: path.join(out, 'missing') } });
    ok(r);
    const values = JSON.parse(spawnSync('gzip', ['-dc', target], { maxBuffer: 64 << 20 }).stdout.toString());
    assert.equal(values.length, 12);
    assert.deepEqual(tempFilesIn(path.join(out, 'dir')), []);
  });

  test('the spool of json.gz fails: the message names that output, not standard output', async (t) => {
    const vol = mk();
    if (!tmpfs(t, vol, '2m')) return;
    const target = path.join(vol, 'r.json.gz');
    const r = await run([spilling(), '-o', target, '--on-invalid', 'skip', '-q'], { env: { TMPDIR: path.join(vol, 'missing') } });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`the output ${target}`), r.stderr);
    assert.ok(!r.stderr.includes('standard output'), r.stderr);
    assert.ok(!fs.existsSync(target));
    assert.deepEqual(tempFilesIn(vol), []);
  });
});
