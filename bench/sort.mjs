#!/usr/bin/env node
// Sorting the listing alone, in a cold process: the packed names of N files (`part-K.json` flat,
// or `dD/part-K.json`), in the walk's kind of order (directories and files shuffled), sorted
// (a) with the comparator per pair (`PackedNames#sorted(compareNaturalAt)`, what `arrange` did
// before) and (b) by `PackedNames#sortedBy('natural')`; `--bytes` for the byte order
// (compareBytesAt, `--sort name`). Each measurement is a fresh process (nothing optimised yet,
// as in a run), the two interleaved, medians of --runs; both orders are checked equal.
//
//   npm run build && node bench/sort.mjs [--node PATH] [--files 10000,100000,1000000] [--dirs 100] [--runs 11] [--bytes]
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : process.argv[i + 1];
};

if (process.argv[2] === '--child') {
  const [how, files, dirs, order] = process.argv.slice(3);
  const { PackedNames } = await import(path.join(ROOT, 'dist/names.js'));
  const { compareBytesAt, compareNaturalAt } = await import(path.join(ROOT, 'dist/sort.js'));
  const names = listing(Number(files), Number(dirs));
  const t0 = performance.now();
  const sorted = how === 'comparator' ? names.sorted(order === 'natural' ? compareNaturalAt : compareBytesAt) : names.sortedBy(order);
  const ms = performance.now() - t0;
  let hash = 0;
  for (const i of sorted) hash = (Math.imul(hash, 31) + i) | 0;
  process.stdout.write(JSON.stringify({ ms, hash }));
  process.exit(0);

  /** The packed names, directories in a shuffled order and files shuffled within each (a readdir order). */
  function listing(n, ndirs) {
    let seed = 1;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const shuffled = (k) => {
      const a = Array.from({ length: k }, (_, i) => i);
      for (let i = k - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    };
    const p = new PackedNames();
    const per = n / ndirs;
    for (const d of shuffled(ndirs)) {
      const prefix = Buffer.from(ndirs === 1 ? '' : `d${d}/`);
      for (const f of shuffled(per)) p.push(prefix, `part-${d * per + f}.json`);
    }
    return p;
  }
}

const node = opt('--node', process.execPath);
const sizes = opt('--files', '10000,100000,1000000').split(',').map(Number);
const dirs = Number(opt('--dirs', 100));
const runs = Number(opt('--runs', 11));
const order = process.argv.includes('--bytes') ? 'bytes' : 'natural';
const version = execFileSync(node, ['--version']).toString().trim();
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`| ${order} order, Node ${version}, ${dirs} dirs, median of ${runs} (cold processes) | comparator ms | sortedBy ms | speed-up |`);
console.log('| --- | ---: | ---: | ---: |');
for (const files of sizes) {
  const times = { comparator: [], keys: [] };
  const hashes = new Set();
  const n = files >= 1_000_000 ? Math.max(3, Math.ceil(runs / 3)) : runs;
  for (let r = 0; r < n; r++) {
    for (const how of ['comparator', 'keys']) {
      const out = JSON.parse(execFileSync(node, [fileURLToPath(import.meta.url), '--child', how, files, dirs, order]));
      times[how].push(out.ms);
      hashes.add(out.hash);
    }
  }
  if (hashes.size !== 1) throw new Error(`orders differ at ${files} names`);
  const [a, b] = [median(times.comparator), median(times.keys)];
  console.log(`| ${files} names (${n} runs) | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}x |`);
}
