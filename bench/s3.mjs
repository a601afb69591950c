// S3 input bench: aggregate reading s3://bucket/prefix/ straight from an S3-protocol server
// against what an Argo input artifact does today (download every object one after another,
// then merge the directory), on the netvol profile's 2,000 small fragments and the medium
// profile's 60 x 0.6 MB, every request answered after a fixed added latency.
//
//   npm run build && node bench/s3.mjs [--runs 3] [--delay 10[,30]] [--only small|medium] [--quick]
//                                      [--server lite|s3rver] [--before-bin OLD.mjs] [--base-bin OLD.mjs]
//
// --server lite (default): bench/lib/s3-lite.mjs, a light S3-protocol server (SigV4 checked,
// ListObjectsV2, GetObject with ETag/If-Match/Range) in its own process, holding each answer's
// head back --delay ms (time to first byte). --server s3rver: the tests' s3rver behind
// bench/lib/s3-proxy.mjs adding the delay; s3rver's own CPU per request then competes with the
// client on this machine. Both paths always run against the same server.
// --base-bin: also compare start-up (--version, a 100-file local run) with another build of the
// bin, e.g. one built before the S3 input existed. Results: markdown on stdout.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureData, listFiles } from './generate.mjs';
import { jsonVerdict, outputDigest, referenceDigest } from './lib/check.mjs';
import { measure } from './lib/measure.mjs';
import { startLite } from './lib/s3-lite.mjs';
import { startProxy } from './lib/s3-proxy.mjs';
import { CREDENTIALS, readTree, startS3 } from '../test/helpers/s3.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '..', 'bundle', 'aggregate.cjs');
const SEQ = path.join(here, 'peers', 's3-sequential.mjs');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes('--quick');
const runs = Number(opt('--runs', quick ? 1 : 3));
const delays = opt('--delay', '10').split(',').map(Number);
const baseBin = opt('--base-bin', undefined);
const serverKind = opt('--server', 'lite');
/** Another build of the bin, e.g. before a change: adds an `aggregate s3:// (--before-bin)` row. */
const beforeBin = opt('--before-bin', undefined);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (m) => process.stderr.write(`s3 bench: ${m}\n`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agg-s3-bench-'));
const out = [];
const only = opt('--only', undefined);
const profiles = [
  ['small', ensureData('netvol', quick ? 'quick' : 'full')],
  ['medium', ensureData('medium', quick ? 'quick' : 'full')],
].filter(([name]) => only === undefined || name === only);
const s3 = serverKind === 's3rver' ? await startS3() : undefined;
try {
  if (s3) {
    await s3.createBucket('bench');
    for (const [name, data] of profiles) {
      log(`uploading ${data.files.length} objects (${name})`);
      await s3.putTree('bench', `${name}/`, readTree(data.dir), 32);
    }
  }
  const mounts = Object.fromEntries(profiles.map(([name, data]) => [`${name}/`, data.dir]));
  for (const delayMs of delays) {
    // The server with the added latency, and the same server without it (the floor).
    let server;
    let floor;
    if (s3) {
      const proxy = await startProxy({ target: s3.port, delayMs });
      server = { endpoint: proxy.endpoint, stats: async () => ({ requests: proxy.requests }), stop: () => proxy.close() };
      floor = { endpoint: s3.endpoint, stats: async () => ({}), stop: async () => {} };
    } else {
      server = await startLite({ bucket: 'bench', mounts, delayMs });
      floor = await startLite({ bucket: 'bench', mounts, delayMs: 0 });
    }
    try {
      await compare(profiles, server, floor, delayMs);
    } finally {
      await server.stop();
      await floor.stop();
    }
  }

  if (baseBin) {
    const small = path.join(tmp, 'startup');
    fs.mkdirSync(small);
    for (let i = 1; i <= 100; i++) fs.writeFileSync(path.join(small, `part-${i}.json`), `{"i":${i}}\n`);
    const cases = [
      ['--version', (bin) => [bin, '--version']],
      ['100-file local run', (bin) => [bin, '-q', small, '-o', path.join(tmp, 's.json')]],
    ];
    const n = Math.max(runs * 4, 11);
    out.push('', `## Start-up of a local run (${n} runs, medians)`, '', '| case | before (--base-bin) ms | this build ms | ratio |', '| --- | ---: | ---: | ---: |');
    for (const [label, argv] of cases) {
      const t = { base: [], cur: [] };
      for (let r = 0; r < n; r++) {
        for (const [k, bin] of [['base', baseBin], ['cur', BIN]]) {
          const t0 = process.hrtime.bigint();
          spawnSync(process.execPath, argv(bin), { stdio: 'ignore' });
          t[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }
      out.push(`| ${label} | ${median(t.base).toFixed(1)} | ${median(t.cur).toFixed(1)} | ${(median(t.cur) / median(t.base)).toFixed(2)} |`);
    }
  }
} finally {
  await s3?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(out.join('\n'));

/**
 * One table: every tool on every profile, round-robin. The sequential download is timed once per
 * round and added to each merge of its directory (aggregate DIR, jq).
 */
async function compare(profiles, server, floor, delayMs) {
  const env = { ...process.env, ...(s3 ? s3.env : { ...CREDENTIALS, AWS_REGION: 'us-east-1' }), AWS_ENDPOINT_URL: server.endpoint };
  const direct = { ...env, AWS_ENDPOINT_URL: floor.endpoint };
  const what = s3 ? 's3rver behind a delaying proxy' : 'bench/lib/s3-lite.mjs';
  out.push('', `## S3 input, ${delayMs} ms to first byte per request, ${what} (${runs} runs, medians)`, '');
  out.push('| profile | tool | wall s | client CPU s | server CPU s | peak RSS MB | requests (connections) | in flight: mean / max | load avg | vs aggregate | output |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const [name, data] of profiles) {
    const url = `s3://bench/${name}/`;
    const ref = await referenceDigest(listFiles(data.dir));
    const dl = path.join(tmp, `dl-${name}`);
    const node = (args, e = env) => ({ cmd: process.execPath, args, env: e });
    const steps = {
      agg: ['aggregate s3://', () => node([BIN, '-q', url, '-o', path.join(tmp, 'a.json')]), path.join(tmp, 'a.json'), server],
      dl: ['sequential GETs to DIR', () => (fs.rmSync(dl, { recursive: true, force: true }), node([SEQ, url, dl])), undefined, server],
      aggDir: ['aggregate DIR', () => node([BIN, '-q', dl, '-o', path.join(tmp, 'b.json')]), path.join(tmp, 'b.json')],
      jq: ['jq -s -c . DIR', () => ({ cmd: 'sh', args: ['-c', `cd ${dl} && ls -v | xargs jq -s -c . > ${tmp}/c.json`], env }), path.join(tmp, 'c.json')],
      ...(beforeBin && { before: ['aggregate s3:// (--before-bin)', () => node([beforeBin, '-q', url, '-o', path.join(tmp, 'e.json')]), path.join(tmp, 'e.json'), server] }),
      floor: ['aggregate s3://, no added latency (the floor)', () => node([BIN, '-q', url, '-o', path.join(tmp, 'd.json')], direct), path.join(tmp, 'd.json'), floor],
    };
    const got = Object.fromEntries(Object.keys(steps).map((k) => [k, { wall: [], cpu: [], server: [], load: [], meanInFlight: [], rss: 0, requests: 0, inFlight: 0, status: '' }]));
    for (let r = 0; r < runs; r++) {
      for (const k of Object.keys(steps)) {
        const [label, spec, output, srv] = steps[k];
        const g = got[k];
        const load = os.loadavg()[0];
        const before = srv ? await srv.stats() : {};
        const m = await measure(spec());
        const after = srv ? await srv.stats() : {};
        if (m.code !== 0) {
          g.status = `FAILED (exit ${m.code}): ${m.stderr.trim().split('\n').pop()}`;
          continue;
        }
        g.wall.push(m.wall);
        g.cpu.push(m.user + m.sys);
        g.load.push(load);
        if (after.cpuMs !== undefined) g.server.push((after.cpuMs - before.cpuMs) / 1000);
        g.requests = (after.requests ?? 0) - (before.requests ?? 0);
        // The probe's own connection is one of them.
        g.connections = (after.connections ?? 1) - (before.connections ?? 0) - 1;
        g.inFlight = Math.max(g.inFlight, after.maxInFlight ?? 0);
        if (after.meanInFlight !== undefined) g.meanInFlight.push(after.meanInFlight);
        g.rss = Math.max(g.rss, m.rss / 1048576);
        if (r === 0 && output) g.status = jsonVerdict(ref, await outputDigest(output)).status;
        log(`${delayMs} ms, ${name}, ${label}: ${m.wall.toFixed(2)} s, load ${load.toFixed(1)}`);
      }
    }
    const size = `${data.files.length} x ${(data.bytes / data.files.length / 1e3).toFixed(1)} kB`;
    const fmt = (xs, d = 2) => (xs.length ? median(xs).toFixed(d) : '');
    const sum = (a, b) => a.map((x, i) => x + b[i]);
    const base = median(got.agg.wall);
    const rows = [
      ['aggregate s3://', got.agg.wall, got.agg.cpu, got.agg],
      ['sequential GETs to DIR, then aggregate DIR', sum(got.dl.wall, got.aggDir.wall), sum(got.dl.cpu, got.aggDir.cpu), { ...got.dl, rss: Math.max(got.dl.rss, got.aggDir.rss), status: got.aggDir.status || got.dl.status }],
      ['sequential GETs to DIR, then jq -s -c .', sum(got.dl.wall, got.jq.wall), sum(got.dl.cpu, got.jq.cpu), { ...got.dl, rss: Math.max(got.dl.rss, got.jq.rss), status: got.jq.status || got.dl.status }],
      ['aggregate s3://, no added latency (floor)', got.floor.wall, got.floor.cpu, got.floor],
      ...(beforeBin ? [['aggregate s3:// (--before-bin)', got.before.wall, got.before.cpu, got.before]] : []),
    ];
    for (const [label, wall, cpu, g] of rows) {
      out.push(`| ${name} (${size}) | ${label} | ${fmt(wall)} | ${fmt(cpu)} | ${fmt(g.server)} | ${g.rss.toFixed(0)} | ${g.requests}${g.connections > 0 ? ` (${g.connections})` : ''} | ${g.inFlight ? `${fmt(g.meanInFlight, 1)} / ${g.inFlight}` : ''} | ${fmt(g.load, 1)} | ${wall.length ? (median(wall) / base).toFixed(1) + 'x' : ''} | ${g.status} |`);
    }
    out.push(`| ${name} (${size}) | (sequential download alone) | ${fmt(got.dl.wall)} | ${fmt(got.dl.cpu)} | ${fmt(got.dl.server)} | ${got.dl.rss.toFixed(0)} | ${got.dl.requests}${got.dl.connections > 0 ? ` (${got.dl.connections})` : ''} | ${got.dl.inFlight ? `${fmt(got.dl.meanInFlight, 1)} / ${got.dl.inFlight}` : ''} | ${fmt(got.dl.load, 1)} | ${(median(got.dl.wall) / base).toFixed(1)}x | |`);
  }
}
