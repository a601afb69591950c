#!/usr/bin/env node
// Cost of the fan-in contract flags against a plain run, on the small and many profiles.
//
//   node bench/contract.mjs [--runs 11] [--profile small,many] [--bin bundle/aggregate.cjs]
//
// Every variant runs in a fresh process, round-robin (run 1 of each, then run 2, ...), so machine
// noise spreads over all of them; the report is each variant's median wall time and median CPU
// time (user + sys of the child, less sensitive to other load on a shared machine), each with its
// ratio to the plain run's median in the same session. Outputs go to a file (-o), not a pipe.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {ensureData} from './generate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(opt('--runs', '11'));
const profiles = opt('--profile', 'small,many').split(',');
const bin = path.resolve(opt('--bin', path.join(here, '..', 'bundle/aggregate.cjs')));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'agg-bench-contract-'));
try {
  for (const name of profiles) {
    const data = ensureData(name, 'full');
    const rels = data.files.map((f) => path.relative(data.dir, f));
    const names = path.join(out, 'names.txt');
    fs.writeFileSync(names, rels.join('\n') + '\n');
    const variants = [
      ['plain', []],
      ['--expect N', ['--expect', String(rels.length)]],
      ['--expect-names FILE', ['--expect-names', names]],
      ['--key-by path', ['--key-by', 'path']],
    ];
    const wall = variants.map(() => []);
    const cpu = variants.map(() => []);
    for (let r = 0; r < runs; r++) {
      variants.forEach(([label, extra], v) => {
        // bash's `times` prints the children's user and sys time after the run.
        const argv = [process.execPath, bin, data.dir, '-q', '-o', path.join(out, 'out.json'), ...extra];
        const t0 = process.hrtime.bigint();
        const p = spawnSync('bash', ['-c', '"$@" || exit; times', 'bash', ...argv], {encoding: 'utf8'});
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (p.status !== 0) throw new Error(`${name} ${label}: exit ${p.status}: ${p.stderr}`);
        const [user, sys] = [...p.stdout.trim().split('\n').pop().matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
        wall[v].push(ms);
        cpu[v].push((user + sys) * 1000);
      });
    }
    const [w0, c0] = [median(wall[0]), median(cpu[0])];
    console.log(`\n[${name}] ${rels.length} files, ${runs} interleaved runs, medians: wall, cpu (user+sys)`);
    variants.forEach(([label], v) => {
      const [w, c] = [median(wall[v]), median(cpu[v])];
      console.log(`  ${label.padEnd(22)} ${(w / 1000).toFixed(3)} s x${(w / w0).toFixed(3)}   ${(c / 1000).toFixed(3)} s x${(c / c0).toFixed(3)}`);
    });
  }
} finally {
  fs.rmSync(out, {recursive: true, force: true});
}
