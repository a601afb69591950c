#!/usr/bin/env node
// Scanner throughput: the JSON scanner alone over in-memory 256 MB buffers, and the whole CLI on
// the same bytes as a file. Prints MB/s medians of interleaved runs.
//
//   node bench/scan.mjs                       scanner + CLI, shapes large and dense, 5 runs
//   node bench/scan.mjs --runs 7 --mb 64      smaller buffers, more runs
//   node bench/scan.mjs --no-cli              scanner only (--no-scanner: CLI only)
//   node bench/scan.mjs --node PATH           the CLI under another node binary (repeatable)
//   node bench/scan.mjs --scanner FILE        another build of scan.js to compare (repeatable)
//   node bench/scan.mjs --bin FILE            another bundle of the CLI to compare (repeatable)
//   node bench/scan.mjs --out file,stdout     CLI output: -o FILE (default) and/or stdout > FILE
//
// Shapes: `large` (the bench's records: ids, words, two-decimal floats, nested arrays, escapes)
// and `dense` (8 one-letter keys, 17-digit floats), both `[` records joined by `,\n` `]`, plus
// `large-ws` (the large shape pretty-printed: 2-space indent, the worst case for whitespace
// dropping), and `python`, `indent`, `indent-crlf` (the bench profiles of those names: Python's
// json.dump defaults, indent=2, indent=2 with CRLF). The scanner gets 1 MiB chunks, as the CLI reads them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureData, largeChunks, pythonChunks, seedOf } from './generate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const MB = 1e6;
const MiB = 1 << 20;

const o = { runs: 5, mb: 256, cli: true, scanner: true, nodes: [], scanners: [], bins: [], shapes: ['large', 'dense'], outs: [] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--runs') o.runs = Number(process.argv[++i]);
  else if (a === '--mb') o.mb = Number(process.argv[++i]);
  else if (a === '--no-cli') o.cli = false;
  else if (a === '--no-scanner') o.scanner = false;
  else if (a === '--node') o.nodes.push(path.resolve(process.argv[++i]));
  else if (a === '--scanner') o.scanners.push(path.resolve(process.argv[++i]));
  else if (a === '--bin') o.bins.push(path.resolve(process.argv[++i]));
  else if (a === '--shape') o.shapes = process.argv[++i].split(',');
  else if (a === '--out') o.outs = process.argv[++i].split(',');
  else throw new Error(`unknown option ${a}`);
}
if (!o.scanners.length) o.scanners.push(path.join(root, 'dist/json/scan.js'));
if (!o.nodes.length) o.nodes.push(process.execPath);
if (!o.bins.length) o.bins.push(path.join(root, 'bundle/aggregate.cjs'));
if (!o.outs.length) o.outs.push('file');
for (const out of o.outs) if (out !== 'file' && out !== 'stdout') throw new Error(`--out: file or stdout, not ${out}`);

function makeBuffer(shape, bytes) {
  if (shape === 'python' || shape === 'indent' || shape === 'indent-crlf') {
    const chunks = pythonChunks(bytes, seedOf(shape), shape === 'python' ? 0 : 2, shape === 'indent-crlf' ? '\r\n' : '\n');
    return Buffer.concat([...chunks].map((c) => Buffer.from(c)));
  }
  const dense = shape === 'dense';
  const parts = [];
  for (const c of largeChunks(bytes, seedOf(dense ? 'dense' : 'large'), dense)) parts.push(Buffer.from(c));
  let buf = Buffer.concat(parts);
  if (shape === 'large-ws') {
    // Pretty-print record by record (JSON.stringify keeps big integers only as text: re-insert them).
    const lines = buf.toString('latin1').split(',\n');
    buf = Buffer.from(lines.map((l) => l.replace(/([,:{[])/g, '$1 ').replace(/"(\w+)": /g, '\n  "$1": ')).join(',\n'), 'latin1');
  }
  return buf;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const scanners = [];
for (const file of o.scanners) {
  const mod = await import(pathToFileURL(file).href);
  scanners.push({ label: path.relative(root, file), JsonScanner: mod.JsonScanner });
}

const buffers = Object.fromEntries(o.shapes.map((s) => [s, o.scanner || o.mb !== 256 ? makeBuffer(s, o.mb * MB) : null]));

/** One scan of `buf` in 1 MiB chunks; returns MB/s and checks the output length. */
function scanOnce(JsonScanner, buf) {
  let out = 0;
  let values = 0;
  const sink = {
    begin() {},
    bytes(b, s, e) {
      out += e - s;
    },
    end() {
      values++;
    },
  };
  const sc = new JsonScanner(sink);
  const t = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let p = 0; p < buf.length; p += MiB) sc.write(buf.subarray(p, Math.min(p + MiB, buf.length)));
  sc.finish();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  const u = process.cpuUsage(cpu);
  if (values !== 1) throw new Error(`expected one value, got ${values}`);
  return { mbps: buf.length / MB / s, cpuMbps: buf.length / (u.user + u.system), out };
}

const results = {};
const add = (key, v) => (results[key] ??= []).push(v);

console.log(
  `scan bench: ${os.cpus()[0]?.model} x${os.availableParallelism?.() ?? os.cpus().length}, node ${process.version}, ${o.mb} MB per shape, ${o.runs} runs, ${new Date().toISOString()}, load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
const outLen = {};
for (let run = 0; run < (o.scanner ? o.runs : 0); run++) {
  for (const shape of o.shapes) {
    for (const s of scanners) {
      const r = scanOnce(s.JsonScanner, buffers[shape]);
      if (outLen[shape] !== undefined && outLen[shape] !== r.out) throw new Error(`${s.label}: output length ${r.out} != ${outLen[shape]}`);
      outLen[shape] = r.out;
      add(`scanner ${shape} ${s.label}`, r);
    }
  }
}
// Wall MB/s is what users get; CPU MB/s (bytes per CPU second of this process) is steadier when
// the machine is shared.
for (const [k, v] of Object.entries(results)) {
  const wall = v.map((r) => r.mbps);
  const cpu = v.map((r) => r.cpuMbps);
  console.log(
    `${k.padEnd(48)} ${median(wall).toFixed(0).padStart(5)} MB/s wall, ${median(cpu).toFixed(0).padStart(5)} MB/s CPU, best ${Math.max(...cpu).toFixed(0)}  (wall runs: ${wall.map((x) => x.toFixed(0)).join(' ')})`,
  );
}

if (o.cli) {
  const dirs = {};
  for (const shape of o.shapes.filter((s) => s !== 'large-ws')) {
    dirs[shape] = o.mb === 256 ? ensureData(shape, 'full').dir : null;
    if (!dirs[shape]) {
      dirs[shape] = fs.mkdtempSync(path.join(os.tmpdir(), `scan-bench-${shape}-`));
      fs.writeFileSync(path.join(dirs[shape], 'part-1.json'), buffers[shape]);
    }
  }
  for (const k of Object.keys(buffers)) delete buffers[k];
  const cli = {};
  const outFile = path.join(os.tmpdir(), `scan-bench-${process.pid}.out`);
  const time = fs.existsSync('/usr/bin/time');
  for (let run = 0; run < o.runs; run++) {
    for (const shape of Object.keys(dirs)) {
      for (const node of o.nodes)
        for (const bin of o.bins)
          for (const out of o.outs) {
            const bytes = fs.statSync(path.join(dirs[shape], 'part-1.json')).size;
            // `file`: -o FILE (an Argo step's output artifact: temp file, fsync, rename).
            // `stdout`: stdout redirected to a file, as `npm run bench` runs it (spooled, copied at commit).
            const args = [bin, '--mode', 'json', dirs[shape], ...(out === 'file' ? ['-o', outFile] : [])];
            // A fresh target, as an Argo step writes to: unlinking the previous run's 256 MB output
            // (at commit, when the old target's backup link is dropped) is not the run's cost.
            fs.rmSync(outFile, { force: true });
            const outFd = fs.openSync(out === 'file' ? '/dev/null' : outFile, 'w');
            const t = process.hrtime.bigint();
            const r = time
              ? spawnSync('/usr/bin/time', ['-f', '%U %S %M', node, ...args], { encoding: 'utf8', stdio: ['ignore', outFd, 'pipe'] })
              : spawnSync(node, args, { encoding: 'utf8', stdio: ['ignore', outFd, 'pipe'] });
            const s = Number(process.hrtime.bigint() - t) / 1e9;
            fs.closeSync(outFd);
            if (r.status !== 0) throw new Error(`CLI failed: ${r.stderr}`);
            const [user, sys, kib] = time ? r.stderr.trim().split('\n').pop().split(' ').map(Number) : [NaN, NaN, NaN];
            const rss = kib / 1024;
            const v = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
            const key = `cli ${shape} node ${v}${o.bins.length > 1 ? ' ' + path.relative(root, bin) : ''}${o.outs.length > 1 ? ' ' + (out === 'file' ? '-o FILE' : '> FILE') : ''}`;
            (cli[key] ??= { mbps: [], cpu: [], rss: [] }).mbps.push(bytes / MB / s);
            cli[key].cpu.push(bytes / MB / (user + sys));
            cli[key].rss.push(rss);
          }
    }
  }
  fs.rmSync(outFile, { force: true });
  for (const [k, v] of Object.entries(cli)) {
    console.log(
      `${k.padEnd(48)} ${median(v.mbps).toFixed(0).padStart(5)} MB/s wall, ${median(v.cpu).toFixed(0).padStart(5)} MB/s CPU (user+sys), peak RSS ${Math.max(...v.rss).toFixed(0)} MiB  (runs: ${v.mbps.map((x) => x.toFixed(0)).join(' ')})`,
    );
  }
}
console.log(
  `load average at the end: ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
