#!/usr/bin/env node
// The CPU the contract flags themselves cost, measured inside a fresh process (so on cold code,
// as in the CLI), apart from the rest of the run: loading an --expect-names list and checking it
// against the discovered listing, and --key-by's per-file work (startFile..endFile) minus the
// same loop through the plain array writer. Far less noisy than whole-run ratios on a shared machine.
//
//   node bench/contract-cost.mjs [--runs 7] [--profile small,many] [--dist dist] [--before OTHER_DIST]
//
// A dist is a `tsc` output directory (this repository's `dist/`, or another checkout's).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureData } from './generate.mjs';
import { median, option, shuffled } from './lib/cli.mjs';

const self = fileURLToPath(import.meta.url);
const here = path.dirname(self);
const args = process.argv.slice(2);
const opt = (name, fallback) => option(args, name, fallback);

if (args[0] === '--child') {
  const [, dist, dir, what, list] = args;
  const { discover } = await import(`${dist}/discover.js`);
  const { resolveSettings } = await import(`${dist}/options.js`);
  const output = path.join(os.tmpdir(), 'agg-contract-cost.json');
  const found = discover(resolveSettings({ dir, output }));
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let t0;
  if (what === 'names') {
    const { checkExpectation } = await import(`${dist}/contract.js`);
    t0 = cpu();
    const report = checkExpectation(resolveSettings({ dir, output, expectNames: list }), dir, found.all);
    if (report.missing || report.extra) throw new Error('the list does not match');
  } else {
    const { KeyedWriter } = await import(`${dist}/json/keyed.js`);
    const { JsonWriter } = await import(`${dist}/json/write.js`);
    const out = { write() {}, length: 0, rollback() {} };
    const writer = what === 'key-by' ? new KeyedWriter(out) : Object.assign(new JsonWriter(out, 'array'), { startFile() {}, endFile() {} });
    const entries = Array.from({ length: found.files.length }, (_, i) => found.files.at(i));
    t0 = cpu();
    for (const e of entries) {
      writer.startFile(e.rel, e.abs);
      writer.begin();
      writer.end();
      writer.endFile(e.rel, 1, e.abs);
    }
  }
  console.log(cpu() - t0);
  process.exit(0);
}

const runs = Number(opt('--runs', '7'));
const profiles = opt('--profile', 'small,many').split(',');
const dists = [['after', path.resolve(opt('--dist', path.join(here, '..', 'dist')))]];
if (opt('--before') !== undefined) dists.unshift(['before', path.resolve(opt('--before'))]);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agg-bench-cost-'));
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
    const lists = { '--expect-names FILE': rels, '--expect-names shuffled': shuffled(rels) };
    const tasks = [
      ...Object.entries(lists).map(([label, names]) => {
        const file = path.join(tmp, `${label.replace(/\W+/g, '-')}.txt`);
        fs.writeFileSync(file, names.join('\n') + '\n');
        return [label, ['names', file]];
      }),
      ['--key-by path (minus plain writer)', ['key-by'], ['plain']],
    ];
    console.log(`\n[${name}] ${rels.length} files, ${runs} runs each, median CPU ms (user+sys) of the flag's own work`);
    for (const [label, argv, minus] of tasks) {
      const line = [];
      for (const [who, dist] of dists) {
        const one = (a) => Number(spawnSync(process.execPath, [self, '--child', dist, data.dir, ...a], { encoding: 'utf8' }).stdout.trim());
        const got = [];
        for (let r = 0; r < runs; r++) got.push(one(argv) - (minus ? one(minus) : 0));
        line.push(`${who} ${median(got).toFixed(1)} ms`);
      }
      console.log(`  ${label.padEnd(36)} ${line.join('   ')}`);
    }
  }
  console.log(
    `\nload average at end: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
