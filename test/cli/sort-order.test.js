// The run order of the spawned CLI on real directories whose names stress the natural order
// (leading zeros, long digit runs, digits next to other bytes, non-UTF-8 bytes, names that are
// prefixes of others, files beside directories of similar names), in json mode with
// `--sort natural` (the default) and `--sort name`, against the comparators the listing was
// sorted with before (compareNaturalAt, compareBytesAt: a stable sort of the indices).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { run, tmpdir, rm } from '../helpers/cli.js';
import { PackedNames } from '../../dist/names.js';
import { compareBytesAt, compareNaturalAt } from '../../dist/sort.js';

const dirs = [];
after(() => dirs.forEach(rm));

/** Relative paths (Buffers): fixed edge cases, then pseudo-random ones, unique, no dotfile. */
function names() {
  const fixed = [
    'a1',
    'a01',
    'a001',
    'a0',
    'a00',
    'a',
    'a10',
    'a9',
    'a1b',
    'a01b',
    'a1-',
    'a1.',
    'a-1',
    'a.1',
    'a~1',
    'x' + '9'.repeat(250),
    'x' + '1' + '0'.repeat(249),
    'x' + '0'.repeat(240) + '5',
    'x18446744073709551616',
    'x9007199254740993',
    'part-1.json',
    'part-01.json',
    'part-10.json',
    'part-2.json',
    'part-1',
    'part-',
    'd1/a',
    'd01/a',
    'd1/a1',
    'd1/a01',
    'd1-x/a',
    'd1.x',
    'd10/b',
    'd9/b',
    'd1x',
    'd01x',
  ].map((s) => Buffer.from(s, 'latin1'));
  fixed.push(
    Buffer.from([0xff, 0x31]),
    Buffer.from([0xff, 0x30, 0x31]),
    Buffer.from([0xc3, 0x28, 0x32]),
    Buffer.from([0xc3, 0xa9, 0x31, 0x30]),
    Buffer.from([0x80]),
  );
  const alphabet = Buffer.from('000129ab-~ \x80\xff\xc3(', 'latin1');
  let seed = 7;
  const rnd = (k) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k;
  const subdirs = ['', 'd1/', 'd01/', 'd10/', 'd9/', 'd1-x/'];
  const seen = new Set(fixed.map((b) => b.toString('latin1')));
  const out = [...fixed];
  while (out.length < 400) {
    const base = Buffer.from(Array.from({ length: 1 + rnd(10) }, () => alphabet[rnd(alphabet.length)]));
    const rel = Buffer.concat([Buffer.from(subdirs[rnd(subdirs.length)]), base]);
    const key = rel.toString('latin1');
    // Not a file where a directory of that name is needed (d1, d01, ...), nor twice.
    if (seen.has(key) || subdirs.includes(key + '/')) continue;
    seen.add(key);
    out.push(rel);
  }
  return out;
}

function reference(rels, compare) {
  const p = new PackedNames();
  for (const r of rels) p.pushBytes(r, 0, r.length);
  return [...p.sorted(compare)];
}

describe('run order on real directories', () => {
  const rels = names();
  const d = tmpdir('agg-sort-');
  dirs.push(d);
  for (const [k, rel] of rels.entries()) {
    const root = Buffer.from(d + '/');
    const slash = rel.lastIndexOf(0x2f);
    if (slash >= 0) fs.mkdirSync(Buffer.concat([root, rel.subarray(0, slash)]), { recursive: true });
    fs.writeFileSync(Buffer.concat([root, rel]), String(k));
  }

  for (const [sort, compare] of [
    ['natural', compareNaturalAt],
    ['name', compareBytesAt],
  ]) {
    test(`--sort ${sort}: the comparator's order, on ${rels.length} names`, async () => {
      const r = await run([d, '-p', '**/*', '--sort', sort, '-q']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), reference(rels, compare));
    });
  }
});
