// stdout redirected to a regular file receives the output only when the run succeeds (held back
// in memory, then a spool): the shell's `> out.json` and `>> log` behave like -o as far as users
// can see. Shell groups and descriptor paths: outputs.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, rm, tmpdir, writeTree } from '../helpers/cli.js';

/** Run the CLI with stdout redirected by a shell, as a user would. */
function sh(command) {
  return spawnSync('sh', ['-c', command], { env: { ...process.env, AGG: `${process.execPath} ${BIN}` }, encoding: 'utf8' });
}

const q = (p) => `'${p.replace(/'/g, `'\\''`)}'`;

test('> file: success writes the array; invalid input leaves the file empty (exit 3)', (t) => {
  const dir = tmpdir();
  t.after(() => rm(dir));
  const out = path.join(tmpdir('agg-out-'), 'out.json');
  t.after(() => rm(path.dirname(out)));
  writeTree(dir, { 'a-1.json': '{"n": 12345678901234567890}', 'a-2.json': '[1, 2]\n"x"' });
  let r = sh(`$AGG -q ${q(dir)} > ${q(out)}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(out, 'utf8'), '[{"n":12345678901234567890},[1,2],"x"]\n');

  writeTree(dir, { 'a-3.json': '{"broken": ' });
  r = sh(`$AGG -q ${q(dir)} > ${q(out)}`);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /a-3\.json at 1:12 \(byte offset 11\)/);
  assert.equal(fs.statSync(out).size, 0, 'nothing left on a failed run');
});

test('>> file: a failed run leaves the earlier content exactly; a skipped fragment leaves no trace', (t) => {
  const dir = tmpdir();
  t.after(() => rm(dir));
  const log = path.join(tmpdir('agg-out-'), 'log.txt');
  t.after(() => rm(path.dirname(log)));
  fs.writeFileSync(log, 'earlier line\n');
  // Big enough to pass the in-memory buffer, so the output goes through the spool file.
  const big = JSON.stringify({ pad: 'x'.repeat(6 << 20) });
  writeTree(dir, { 'p-1.json': big, 'p-2.json': '1 2 [3', 'p-3.json': 'true' });
  let r = sh(`$AGG -q ${q(dir)} >> ${q(log)}`);
  assert.equal(r.status, 3);
  assert.equal(fs.readFileSync(log, 'utf8'), 'earlier line\n');

  r = sh(`$AGG -q --on-invalid skip ${q(dir)} >> ${q(log)}`);
  assert.equal(r.status, 0, r.stderr);
  const text = fs.readFileSync(log, 'utf8');
  assert.ok(text.startsWith('earlier line\n'));
  assert.deepEqual(JSON.parse(text.slice('earlier line\n'.length)), [JSON.parse(big), true]);
});

test('> a file inside <dir> is never read as input', (t) => {
  const dir = tmpdir();
  t.after(() => rm(dir));
  writeTree(dir, { 'part-1.json': '1\n', 'part-2.json': '2\n' });
  for (let i = 0; i < 2; i++) {
    const r = sh(`cd ${q(dir)} && $AGG -q . > all.json`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(dir, 'all.json'), 'utf8'), '[1,2]\n');
  }
});
