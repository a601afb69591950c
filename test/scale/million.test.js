// Issue 10: a million fragments, flat and over 1,000 directories, in bounded memory, in the
// order today's rules give. Peak RSS measured with GNU time on the spawned CLI.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run, tmpdir, rm } from '../helpers/cli.js';
import { compareNatural } from '../../dist/sort.js';

const N = 1_000_000;
const DIRS = 1_000;
const LIMIT_KB = 150 * 1024;
const haveTime = fs.existsSync('/usr/bin/time');

/** Creates N files `part-<k>.json` holding `k` (flat, or DIRS directories `d<i>`); returns the rel paths by k. */
function createFragments(root, spread) {
  const rels = new Array(N);
  const per = N / DIRS;
  for (let k = 0; k < N; k++) {
    const dir = spread ? `d${Math.floor(k / per)}/` : '';
    if (spread && k % per === 0) fs.mkdirSync(path.join(root, dir));
    rels[k] = `${dir}part-${k}.json`;
    const fd = fs.openSync(path.join(root, rels[k]), 'w');
    fs.writeSync(fd, String(k));
    fs.closeSync(fd);
  }
  return rels;
}

async function measured(args) {
  const r = await run(args, { prefix: ['/usr/bin/time', '-f', 'PEAK_RSS_KB %M'], timeout: 900_000 });
  assert.equal(r.code, 0, r.stderr);
  const m = /PEAK_RSS_KB (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return { r, kb: Number(m[1]) };
}

/** Entry names of a tar file, in order, read header by header (data is skipped, not read). */
function tarNames(file) {
  const fd = fs.openSync(file, 'r');
  const h = Buffer.alloc(512);
  const names = [];
  let pax = null;
  try {
    for (let off = 0; ;) {
      fs.readSync(fd, h, 0, 512, off);
      if (h[0] === 0) break;
      const field = (o, n) => h.toString('latin1', o, o + n).replace(/\0.*$/s, '');
      const size = parseInt(field(124, 12), 8);
      const type = String.fromCharCode(h[156]);
      if (type === 'x') {
        const data = Buffer.alloc(size);
        fs.readSync(fd, data, 0, size, off + 512);
        pax = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1] ?? null;
      } else {
        const prefix = field(345, 155);
        names.push(pax ?? (prefix ? prefix + '/' : '') + field(0, 100));
        pax = null;
      }
      off += 512 + Math.ceil(size / 512) * 512;
    }
  } finally {
    fs.closeSync(fd);
  }
  return names;
}

describe('a million fragments', { skip: !haveTime && 'needs GNU time (/usr/bin/time)', timeout: 1_800_000 }, () => {
  for (const spread of [false, true]) {
    const layout = spread ? `over ${DIRS} directories` : 'in one directory';
    test(`${layout}: json and tar under 150 MiB peak RSS, today's order; --shard never above`, async (ctx) => {
      // Each test's million files go when it ends, not when the file does: one tree on disk at a time.
      const d = tmpdir('agg-1m-');
      ctx.after(() => rm(d));
      const rels = createFragments(d, spread);
      // Today's order: the string comparator of the fast-glob era on the relative paths.
      const order = Array.from(rels.keys()).sort((a, b) => compareNatural(rels[a], rels[b]));
      const od = tmpdir('agg-1m-out-');
      ctx.after(() => rm(od));

      const json = path.join(od, 'out.json');
      const full = await measured([d, '-o', json, '-q']);
      assert.ok(full.kb < LIMIT_KB, `json peak RSS ${full.kb} KiB`);
      assert.deepEqual(JSON.parse(fs.readFileSync(json, 'utf8')), order);
      fs.rmSync(json);

      let shard = { kb: NaN };
      if (!spread) {
        // Both runs hold the same packed listing (a shard's range needs the whole sorted list) and
        // peak while sorting it; the sharded one then reads an eighth. "Never above" within GC noise.
        shard = await measured([d, '--shard', '3/8', '-o', json, '-q']);
        assert.deepEqual(JSON.parse(fs.readFileSync(json, 'utf8')), order.slice((3 * N) / 8, (4 * N) / 8));
        assert.ok(shard.kb <= full.kb * 1.05, `--shard 3/8 peak ${shard.kb} KiB above the unsharded ${full.kb} KiB`);
        fs.rmSync(json);
      }

      const tar = path.join(od, 'out.tar');
      const t = await measured(['--mode', 'tar', d, '-o', tar, '-q']);
      assert.ok(t.kb < LIMIT_KB, `tar peak RSS ${t.kb} KiB`);
      const names = tarNames(tar);
      fs.rmSync(tar);
      assert.equal(names.length, N);
      for (let i = 0; i < N; i++) if (names[i] !== rels[order[i]]) assert.fail(`entry ${i} is ${names[i]}, expected ${rels[order[i]]}`);
      process.stderr.write(`# 1M ${layout}: json ${full.kb} KiB,${spread ? '' : ` --shard 3/8 ${shard.kb} KiB,`} tar ${t.kb} KiB\n`);
    });
  }
});
