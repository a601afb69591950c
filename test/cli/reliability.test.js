// Issue 6: what real volumes and real pods do to the collect step. Spawns the built CLI.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { run, tempFilesIn, have, BIN, tempTrees } from '../helpers/cli.js';
import { aggregate, exitCodeOf, IoError } from '../../dist/index.js';
import { FileReader } from '../../dist/read.js';
import { rng } from '../helpers/json-ref.js';
import { MiB, writeBig } from '../helpers/big.js';

const mk = tempTrees('agg-rel-');
const ok = (r) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);

// Run the CLI as an unprivileged user (root ignores permission bits).
const NOBODY = 65534;
const asNobody = (() => {
  if (process.getuid?.() !== 0) return null; // already unprivileged: run directly
  if (have('setpriv')) {
    const probe = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, '--version']);
    if (probe.status === 0) return ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
  }
  if (have('runuser')) {
    const probe = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, '--version']);
    if (probe.status === 0) return ['runuser', '-u', 'nobody', '--'];
  }
  return undefined;
})();
const unprivilegedSkip = asNobody === undefined ? 'cannot run as an unprivileged user (no working setpriv/runuser)' : false;
const unprivileged = asNobody ?? [];
/** A temp dir an unprivileged user can enter. */
const mkOpen = (files) => {
  const d = mk(files);
  fs.chmodSync(d, 0o755);
  return d;
};

describe('broken and odd inputs', { concurrency: 3 }, () => {
  test('truncated fragment (killed writer): exit 3, "unexpected end of input" with its position', async () => {
    const d = mk({ 'part-1.json': '{"a":1}\n', 'part-2.json': '{"id": 2, "items": [1, 2, 3' });
    const r = await run([d]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /part-2\.json at 1:28 \(byte offset 27\).*unexpected end of input/);
    assert.equal(r.stdout.length, 0);
  });

  test('a fragment that vanishes after discovery: IoError, exit code 1, file named (both read paths)', async () => {
    const d = mk({ 'a.json': '[1]', 'b.json': '[2]' });
    const entries = ['a.json', 'b.json'].map((rel) => ({ rel, abs: path.join(d, rel) }));
    fs.unlinkSync(entries[1].abs);
    for (const mode of ['sync', 'async']) {
      const reader = new FileReader(entries, { concurrency: 4, stat: false, mode });
      const first = await reader.next();
      assert.equal(first.kind, 'file');
      first.file.close();
      await assert.rejects(
        async () => reader.next(),
        (e) => e instanceof IoError && e.code === 'ENOENT' && exitCodeOf(e) === 1 && e.message.includes(entries[1].abs) && /vanished/.test(e.message),
      );
      reader.dispose();
    }
  });

  test('a fragment deleted mid-run (through the library, deterministic): exit code 1, target untouched', async () => {
    // A first file big enough that the run pauses for progress while scanning it; the progress
    // callback deletes the next file. Sync reads so the next file is not opened ahead.
    const d = mk({ 'b.json': '[2]' });
    writeBig(path.join(d, 'a.json'), '[', '1234567,', 64 * MiB, '0]');
    const od = mk({ 'out.json': 'previous' });
    const saved = process.env.AGGREGATE_READ_MODE;
    process.env.AGGREGATE_READ_MODE = 'sync';
    let deleted = false;
    try {
      await assert.rejects(
        aggregate({
          dir: d,
          output: path.join(od, 'out.json'),
          onProgress: () => {
            if (!deleted) fs.unlinkSync(path.join(d, 'b.json'));
            deleted = true;
          },
        }),
        (e) => exitCodeOf(e) === 1 && e.message.includes(path.join(d, 'b.json')),
      );
    } finally {
      if (saved === undefined) delete process.env.AGGREGATE_READ_MODE;
      else process.env.AGGREGATE_READ_MODE = saved;
    }
    assert.ok(deleted, 'progress callback never ran: the test did not exercise a vanishing file');
    assert.equal(fs.readFileSync(path.join(od, 'out.json'), 'utf8'), 'previous');
    assert.deepEqual(tempFilesIn(od), []);
  });

  test('unreadable file (EACCES) as a non-root user: exit 1, file named', { skip: unprivilegedSkip }, async () => {
    const d = mkOpen({ 'a.json': '[1]', 'b.json': '[2]' });
    fs.chmodSync(path.join(d, 'b.json'), 0o000);
    for (const mode of ['sync', 'async']) {
      const r = await run([d], { prefix: unprivileged, env: { AGGREGATE_READ_MODE: mode } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /permission denied/);
      assert.ok(r.stderr.includes(path.join(d, 'b.json')), r.stderr);
      assert.equal(r.stdout.length, 0);
    }
  });

  test('FIFO, socket, directory, symlink loop, symlink out of <dir>: skipped and reported, never hang or followed', async () => {
    const d = mk({ 'a.json': '["in"]' });
    const outside = mk({ 'secret.json': '["SECRET"]' });
    spawnSync('mkfifo', [path.join(d, 'x.json')]);
    assert.ok(fs.statSync(path.join(d, 'x.json')).isFIFO());
    const server = net.createServer();
    await new Promise((res) => server.listen(path.join(d, 's.json'), res));
    fs.mkdirSync(path.join(d, 'dir.json'));
    fs.symlinkSync('loop.json', path.join(d, 'loop.json'));
    fs.symlinkSync(path.join(outside, 'secret.json'), path.join(d, 'link.json'));
    fs.symlinkSync(outside, path.join(d, 'linkdir'));
    try {
      const st = path.join(mk(), 'st.json');
      for (const mode of ['sync', 'async']) {
        // Generous: the limit only catches a hang (a FIFO opened blocking); under load a run can take 10+ s.
        const r = await run([d, '--stats', st, '-p', '**/*.json', '-p', 'linkdir/*.json'], { env: { AGGREGATE_READ_MODE: mode }, timeout: 60_000 });
        ok(r);
        assert.equal(r.stdout.toString(), '[["in"]]\n');
        assert.doesNotMatch(r.stdout.toString(), /SECRET/);
        for (const f of ['x.json', 's.json', 'dir.json', 'loop.json', 'link.json'])
          assert.match(r.stderr, new RegExp(`skipped ${f.replace('.', '\\.')}`), r.stderr);
        const skipped = JSON.parse(fs.readFileSync(st)).skipped;
        const reasons = Object.fromEntries(skipped.map((s) => [s.path, s.reason]));
        assert.match(reasons['x.json'], /FIFO/);
        assert.match(reasons['s.json'], /socket/);
        assert.match(reasons['dir.json'], /directory/);
        assert.match(reasons['loop.json'], /symbolic link/);
        assert.match(reasons['link.json'], /symbolic link/);
      }
    } finally {
      server.close();
    }
  });

  test('200,000-deep nesting: exit 0, output equals input', async () => {
    const text = '['.repeat(200_000) + '{"a":' + '[1]' + '}' + ']'.repeat(200_000);
    const d = mk({ 'deep.json': text });
    const out = path.join(mk(), 'o.json');
    ok(await run([d, '-o', out, '-q']));
    assert.equal(fs.readFileSync(out, 'utf8'), '[' + text + ']\n');
  });
});

describe('output failures', { concurrency: 2 }, () => {
  test('output to /dev/full: clear message, exit 1', async () => {
    const d = mk({ 'a.json': '[1]' });
    const r = await run([d, '-o', '/dev/full']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/dev\/full.*no space left on device/);
  });

  test('output bigger than a small tmpfs: exit 1, previous file kept, no partial or temp file', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('mounting a tmpfs needs root');
    const mnt = mk();
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    if (m.status !== 0) return t.skip(`mount -t tmpfs failed: ${m.stderr.toString().trim()}`);
    try {
      fs.writeFileSync(path.join(mnt, 'out.json'), 'previous');
      const d = mk();
      const item = Buffer.from(JSON.stringify(['x'.repeat(1000)]));
      for (let i = 0; i < 3000; i++) fs.writeFileSync(path.join(d, `f${i}.json`), item); // ~3 MB out
      const r = await run([d, '-o', path.join(mnt, 'out.json')]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /no space left on device/);
      assert.deepEqual(fs.readdirSync(mnt), ['out.json']);
      assert.equal(fs.readFileSync(path.join(mnt, 'out.json'), 'utf8'), 'previous');
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  test('read-only output directory (non-root user): exit 1, clear message', { skip: unprivilegedSkip }, async () => {
    const d = mkOpen({ 'a.json': '[1]' });
    fs.chmodSync(path.join(d, 'a.json'), 0o644);
    const od = mkOpen({ 'out.json': 'previous' });
    fs.chmodSync(od, 0o555);
    const r = await run([d, '-o', path.join(od, 'out.json')], { prefix: unprivileged });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /permission denied/);
    assert.ok(r.stderr.includes(od), r.stderr);
    assert.equal(fs.readFileSync(path.join(od, 'out.json'), 'utf8'), 'previous');
  });
});

describe('signals', () => {
  test('SIGTERM and SIGINT at random moments: 143/130, target untouched, no temp file', async () => {
    const d = mk();
    writeBig(path.join(d, 'big.json'), '[', '"abc",12345,', 300 * MiB, '0]');
    const rand = rng(7);
    for (let k = 0; k < 6; k++) {
      const sig = k % 2 === 0 ? 'SIGTERM' : 'SIGINT';
      // Half the runs write the output inside <dir>.
      const od = k < 3 ? mk() : d;
      const out = path.join(od, 'out.json');
      fs.writeFileSync(out, 'previous');
      const child = spawn(process.execPath, [BIN, d, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += c));
      const closed = new Promise((res) => child.on('close', (code, signal) => res({ code, signal })));
      // Wait until the run is under way (its temp file exists), then a random 50-500 ms.
      const t0 = Date.now();
      while (tempFilesIn(od).length === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 5));
      assert.equal(tempFilesIn(od).length, 1, 'the run never created its temp file');
      await new Promise((r) => setTimeout(r, 50 + Math.floor(rand() * 450)));
      child.kill(sig);
      const { code, signal } = await closed;
      assert.equal(signal, null, `killed by ${signal} instead of exiting: ${stderr}`);
      assert.equal(code, sig === 'SIGTERM' ? 143 : 130, stderr);
      assert.equal(fs.readFileSync(out, 'utf8'), 'previous');
      assert.deepEqual(tempFilesIn(od), []);
      if (od === d) fs.unlinkSync(out);
    }
  });
});
