#!/usr/bin/env node
// Cost of the fan-in contract flags against a plain run, on the small and many profiles.
//
//   node bench/contract.mjs [--runs 11] [--profile small,many] [--bin bundle/aggregate.cjs] [--before OTHER_BIN]
//
// Every variant runs in a fresh process, round-robin (run 1 of each, then run 2, ...), so machine
// noise spreads over all of them; the report is each variant's median wall time and median CPU
// time (user + sys of the child, less sensitive to other load on a shared machine), each with its
// ratio to the plain run's median of the same bin in the same session. With --before, a second
// bin (another build, e.g. main's) runs every variant too, interleaved with the first, and each
// variant's cost is shown for both. Outputs go to a file (-o), not a pipe.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureData } from './generate.mjs';
import { median, option, shuffled } from './lib/cli.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(
    fs
      .readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(1, 11)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
  );
  process.exit(0);
}
const opt = (name, fallback) => option(args, name, fallback);
const runs = Number(opt('--runs', '11'));
const profiles = opt('--profile', 'small,many').split(',');
const bins = [['after', path.resolve(opt('--bin', path.join(here, '..', 'bundle/aggregate.cjs')))]];
if (opt('--before') !== undefined) bins.unshift(['before', path.resolve(opt('--before'))]);

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'agg-bench-contract-'));
try {
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const name of profiles) {
    const data = ensureData(name, 'full');
    const rels = data.files.map((f) => path.relative(data.dir, f));
    const names = path.join(out, 'names.txt');
    fs.writeFileSync(names, rels.join('\n') + '\n');
    const mixed = path.join(out, 'names-shuffled.txt');
    fs.writeFileSync(mixed, shuffled(rels).join('\n') + '\n'); // a fan-out's item order, not discovery's
    const variants = [
      ['plain', []],
      ['--expect N', ['--expect', String(rels.length)]],
      ['--expect-names FILE', ['--expect-names', names]],
      ['--expect-names shuffled', ['--expect-names', mixed]],
      ['--key-by path', ['--key-by', 'path']],
    ];
    const cells = bins.flatMap(([who, bin]) => variants.map(([label, extra]) => ({ who, bin, label, extra, wall: [], cpu: [] })));
    for (let r = 0; r < runs; r++) {
      // Variant by variant, each bin in turn (alternating which bin goes first).
      for (let v = 0; v < variants.length; v++) {
        const round = bins.map((_, b) => cells[b * variants.length + v]);
        for (const cell of r % 2 ? round.reverse() : round) {
          // bash's `times` prints the children's user and sys time after the run.
          const argv = [process.execPath, cell.bin, data.dir, '-q', '-o', path.join(out, 'out.json'), ...cell.extra];
          const t0 = process.hrtime.bigint();
          const p = spawnSync('bash', ['-c', '"$@" || exit; times', 'bash', ...argv], { encoding: 'utf8' });
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (p.status !== 0) throw new Error(`${name} ${cell.who} ${cell.label}: exit ${p.status}: ${p.stderr}`);
          const [user, sys] = [
            ...p.stdout
              .trim()
              .split('\n')
              .pop()
              .matchAll(/(\d+)m([\d.]+)s/g),
          ].map((m) => Number(m[1]) * 60 + Number(m[2]));
          cell.wall.push(ms);
          cell.cpu.push((user + sys) * 1000);
        }
      }
    }
    console.log(`\n[${name}] ${rels.length} files, ${runs} interleaved runs, medians: wall, cpu (user+sys); x = ratio to the same bin's plain run`);
    for (const [b, [who]] of bins.entries()) {
      const base = cells[b * variants.length];
      const [w0, c0] = [median(base.wall), median(base.cpu)];
      variants.forEach(([label], v) => {
        const cell = cells[b * variants.length + v];
        const [w, c] = [median(cell.wall), median(cell.cpu)];
        console.log(
          `  ${who.padEnd(7)} ${label.padEnd(24)} ${(w / 1000).toFixed(3)} s x${(w / w0).toFixed(3)}   ${(c / 1000).toFixed(3)} s x${(c / c0).toFixed(3)}`,
        );
      });
    }
  }
  console.log(
    `\nload average at end: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
