#!/usr/bin/env node
// Discovery cost alone: listing a tree of N files with fast-glob's sync walk (what aggregate
// used before its own walk), aggregate's walk (dist/walk.js: opendir batches, exact byte names,
// picomatch, packed listing), and a bare readdirSync recursion as the floor. Each run is a fresh
// process (cold module load counted), interleaved, median of --runs.
//
//   npm run build && node bench/walk.mjs [--files 100000] [--dirs 100] [--runs 7]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};

if (process.argv[2] === '--child') {
  const [how, dir] = process.argv.slice(3);
  const t0 = performance.now();
  let n = 0;
  if (how === 'fast-glob') {
    const { default: fg } = await import('fast-glob');
    n = fg.sync(['**/*.json'], {
      cwd: dir,
      ignore: ['lost+found/**', 'lost+found'],
      dot: false,
      followSymbolicLinks: false,
      onlyFiles: false,
      objectMode: true,
      unique: true,
    }).length;
  } else if (how === 'aggregate') {
    const { walk } = await import(path.join(ROOT, 'dist/walk.js'));
    const { compilePatterns } = await import(path.join(ROOT, 'dist/patterns.js'));
    n = (await walk(dir, { patterns: compilePatterns(['**/*.json'], []), reportDirectories: true, mtimes: false, exclude: [], concurrency: 32 })).files.length;
  } else {
    const rec = (d) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) rec(d + '/' + e.name);
        else n++;
      }
    };
    rec(dir);
  }
  process.stdout.write(JSON.stringify({ n, ms: performance.now() - t0 }));
  process.exit(0);
}

const files = arg('--files', 100_000);
const ndirs = arg('--dirs', 100);
const runs = arg('--runs', 7);
const dir = path.join(os.tmpdir(), `aggregate-walk-${files}-${ndirs}`);
if (!fs.existsSync(dir + '.done')) {
  fs.rmSync(dir, { recursive: true, force: true });
  const per = files / ndirs;
  for (let d = 0; d < ndirs; d++) {
    fs.mkdirSync(path.join(dir, `d${d}`), { recursive: true });
    for (let i = 0; i < per; i++) fs.writeFileSync(path.join(dir, `d${d}`, `part-${d * per + i}.json`), '1');
  }
  fs.writeFileSync(dir + '.done', '');
}
const tools = ['fast-glob', 'aggregate', 'readdirSync'];
const times = Object.fromEntries(tools.map((t) => [t, []]));
for (let r = 0; r < runs; r++) {
  for (const t of tools) {
    const out = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', t, dir]));
    if (out.n !== files) throw new Error(`${t} listed ${out.n} files, expected ${files}`);
    times[t].push(out.ms);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const base = median(times['fast-glob']);
console.log(`| walk of ${files} files in ${ndirs} dirs (median of ${runs}) | ms | vs fast-glob |`);
console.log('| --- | ---: | ---: |');
for (const t of tools) console.log(`| ${t} | ${median(times[t]).toFixed(0)} | ${(median(times[t]) / base).toFixed(2)} |`);
