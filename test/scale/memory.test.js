// Scale and memory bounds (npm run test:scale): big fragments streamed in bounded memory, many
// files read without running out of descriptors. Behaviour on ordinary inputs is in test/cli/.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { rm, run, tempTrees } from '../helpers/cli.js';
import { MiB, peakRss, writeBig } from '../helpers/big.js';

const mk = tempTrees('agg-scale-');
const ok = (r) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);

describe('many files', () => {
  test('100k empty files: no EMFILE, both read paths', async () => {
    const d = mk();
    const empty = Buffer.alloc(0);
    for (let i = 0; i < 100_000; i++) fs.writeFileSync(path.join(d, `e${i}.json`), empty);
    fs.writeFileSync(path.join(d, 'e50000.json'), '"mid"');
    for (const mode of ['sync', 'async']) {
      const st = path.join(mk(), 'st.json');
      const r = await run([d, '--stats', st, '--concurrency', '256'], { env: { AGGREGATE_READ_MODE: mode }, timeout: 120_000 });
      ok(r);
      assert.equal(r.stdout.toString(), '["mid"]\n');
      const s = JSON.parse(fs.readFileSync(st));
      assert.equal(s.files, 100_000);
      assert.equal(s.emptyFiles, 99_999);
    }
  });
});

describe('bounded memory', () => {
  const LIMIT_KB = 150 * 1024;
  test('a 600 MB single string streams through with peak RSS < 150 MiB', async () => {
    const d = mk();
    const size = writeBig(path.join(d, 'str.json'), '["', 'abcdefgh', 600 * MiB, '"]');
    const out = path.join(mk(), 'o.json');
    const { r, kb } = await peakRss([d, '-o', out, '-q']);
    ok(r);
    assert.equal(fs.statSync(out).size, size + 3); // [ ... ]\n
    rm(d);
    rm(out);
    assert.ok(kb < LIMIT_KB, `peak RSS ${kb} KiB`);
  });
  test('a 2 GB fragment streams through with peak RSS < 150 MiB', async () => {
    const d = mk();
    const size = writeBig(path.join(d, 'big.json'), '[', '{"k":[1,2.5,"s"]},', 2048 * MiB, '0]');
    const out = path.join(mk(), 'o.json');
    const { r, kb } = await peakRss([d, '-o', out, '-q']);
    ok(r);
    assert.equal(fs.statSync(out).size, size + 3);
    const fd = fs.openSync(out, 'r');
    const tail = Buffer.alloc(16);
    fs.readSync(fd, tail, 0, 16, size + 3 - 16);
    fs.closeSync(fd);
    assert.equal(tail.toString(), '1,2.5,"s"]},0]]\n'.slice(-16));
    rm(d);
    rm(out);
    assert.ok(kb < LIMIT_KB, `peak RSS ${kb} KiB`);
  });
});
