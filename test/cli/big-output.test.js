// Big outputs through the spawned CLI: a file output of 70+ MB (past the point where background
// syncs run behind the writes) comes out byte for byte, and a run that fails after them leaves
// the previous target and no temp file; stdout gets the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { largeChunks } from '../../bench/generate.mjs';
import { run, tempFilesIn, tempTrees } from '../helpers/cli.js';

const mk = tempTrees('agg-big-');
const MiB = 1 << 20;
let text = '';
for (const c of largeChunks(4 * MiB, 31, false)) text += c;
const fragment = Buffer.from(text);
// The fragment's only whitespace outside strings is the newline before each record.
const compact = Buffer.from(text.replaceAll('\n', ''));
const FILES = 18; // ~72 MB of output: two background syncs and then some

function tree() {
  const files = {};
  for (let i = 1; i <= FILES; i++) files[`part-${String(i).padStart(2, '0')}.json`] = fragment;
  return files;
}

const want = Buffer.concat([
  Buffer.from('['),
  ...Array.from({ length: FILES }, (_, i) => (i ? Buffer.concat([Buffer.from(','), compact]) : compact)),
  Buffer.from(']\n'),
]);

test('-o FILE with 72 MB of output: byte for byte, no temp file left; stdout gives the same bytes', async () => {
  const dir = mk(tree());
  const out = mk();
  const target = path.join(out, 'all.json');
  const r = await run(['--mode', 'json', dir, '-o', target], { timeout: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.readFileSync(target).equals(want), 'file output differs');
  assert.deepEqual(tempFilesIn(out), []);
  const s = await run(['--mode', 'json', dir], { timeout: 120_000 });
  assert.equal(s.code, 0, s.stderr);
  assert.ok(s.stdout.equals(want), 'stdout differs');
});

test('-o FILE: invalid input after 68 MB of output leaves the previous target and no temp file', async () => {
  const files = tree();
  files['part-18.json'] = Buffer.concat([fragment.subarray(0, 3 * MiB), Buffer.from('}')]);
  const dir = mk(files);
  const out = mk({ 'all.json': 'previous\n' });
  const target = path.join(out, 'all.json');
  const r = await run(['--mode', 'json', dir, '-o', target], { timeout: 120_000 });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /part-18\.json/);
  assert.equal(fs.readFileSync(target, 'utf8'), 'previous\n');
  assert.deepEqual(tempFilesIn(out), []);
});
