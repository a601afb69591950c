// Durability of the commit, observed from outside: every file output (the result, --manifest,
// --stats, the stats of a failed run) is fsync'd before it is renamed into place, and the
// directory is fsync'd after the rename. Traced with strace (Debian package `strace`); the test
// is skipped when strace is absent or cannot trace here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, tempTrees } from '../helpers/cli.js';

const mk = tempTrees('agg-sync-');
const probe = spawnSync('strace', ['-f', '-e', 'trace=fsync', '-o', '/dev/null', 'true']);
const skip = probe.error || probe.status !== 0 ? 'strace is not installed or cannot trace here' : false;

/** Run the CLI under strace; returns { status, calls: [{ call, args }] } in order. */
function traced(args) {
  const log = path.join(mk(), 'trace');
  const r = spawnSync('strace', ['-f', '-y', '-qq', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2', '-o', log, process.execPath, BIN, '-q', ...args], {
    encoding: 'utf8',
  });
  const calls = [];
  for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
    // "1234  fsync(18</dir/.aggregate-1a2b3c4d.tmp>) = 0", "1234  rename(\"/dir/.a.tmp\", \"/dir/r.json\") = 0"
    const m = /^\d+\s+(\w+)\((.*)\)\s+=\s+0$/.exec(line);
    if (m) calls.push({ call: m[1], args: m[2] });
  }
  return { status: r.status, stderr: r.stderr, calls };
}

/** For each target, the index of its rename and of the last fsync of the temp file renamed. */
function assertSyncedBeforeRename(calls, targets) {
  for (const target of targets) {
    const at = calls.findIndex((c) => /^rename/.test(c.call) && c.args.endsWith(`"${target}"`));
    assert.ok(at >= 0, `no rename onto ${target}: ${JSON.stringify(calls)}`);
    const temp = /"([^"]*\.aggregate-[0-9a-f]{8}\.tmp)"/.exec(calls[at].args)?.[1];
    assert.ok(temp, calls[at].args);
    const synced = calls.slice(0, at).some((c) => (c.call === 'fsync' || c.call === 'fdatasync') && c.args.includes(`<${temp}>`));
    assert.ok(synced, `${target} was renamed into place before ${temp} was synced: ${JSON.stringify(calls)}`);
    // The rename itself made durable: the directory synced after it.
    const dir = path.dirname(target);
    assert.ok(
      calls.slice(at + 1).some((c) => c.call === 'fsync' && c.args.endsWith(`<${dir}>`)),
      `${dir} not synced after the rename onto ${target}`,
    );
  }
}

for (const mode of ['json', 'tar', 'zip']) {
  test(`${mode}: output, --manifest and --stats each synced before their rename`, { skip }, () => {
    const d = mk({ 'a.json': '[1]', 'b.json': '{"b":2}' });
    const out = mk();
    const ext = { json: 'json', tar: 'tar.gz', zip: 'zip' }[mode];
    const targets = [path.join(out, `r.${ext}`), path.join(out, 'm.json'), path.join(out, 's.json')];
    const r = traced(['--mode', mode, d, '-o', targets[0], '--manifest', targets[1], '--stats', targets[2]]);
    assert.equal(r.status, 0, r.stderr);
    assertSyncedBeforeRename(r.calls, targets);
  });
}

test('the stats of a failed run: synced before its rename too', { skip }, () => {
  const d = mk({ 'a.json': '[1', 'b.json': '2' });
  const out = mk();
  const stats = path.join(out, 's.json');
  const r = traced([d, '-o', path.join(out, 'r.json'), '--stats', stats]);
  assert.equal(r.status, 3, r.stderr);
  assertSyncedBeforeRename(r.calls, [stats]);
});
