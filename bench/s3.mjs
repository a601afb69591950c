// S3 input bench: aggregate reading s3://bucket/prefix/ straight from an S3-protocol server
// against what an Argo input artifact does today (download every object one after another,
// then merge the directory), on the netvol profile's 2,000 small fragments and the medium
// profile's 60 x 0.6 MB, behind a proxy that adds a fixed delay to every request.
//
//   npm run build && node bench/s3.mjs [--runs 3] [--delay 10[,30]] [--only small|medium] [--quick]
//                                      [--base-bin OLD.mjs]
//
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
import { startProxy } from './lib/s3-proxy.mjs';
import { readTree, startS3 } from '../test/helpers/s3.js';

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
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (m) => process.stderr.write(`s3 bench: ${m}\n`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agg-s3-bench-'));
const s3 = await startS3();
const out = [];
try {
  await s3.createBucket('bench');
  const only = opt('--only', undefined);
  const profiles = [
    ['small', ensureData('netvol', quick ? 'quick' : 'full')],
    ['medium', ensureData('medium', quick ? 'quick' : 'full')],
  ].filter(([name]) => only === undefined || name === only);
  for (const [name, data] of profiles) {
    log(`uploading ${data.files.length} objects (${name})`);
    await s3.putTree('bench', `${name}/`, readTree(data.dir), 32);
  }

  for (const delayMs of delays) {
    const proxy = await startProxy({ target: s3.port, delayMs });
    try {
      await compare(profiles, proxy, delayMs);
    } finally {
      await proxy.close();
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
  await s3.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(out.join('\n'));

/** One table: every tool on every profile, round-robin, behind `proxy`. */
async function compare(profiles, proxy, delayMs) {
  const env = { ...process.env, ...s3.env, AWS_ENDPOINT_URL: proxy.endpoint };
  const direct = { ...env, AWS_ENDPOINT_URL: s3.endpoint };
  out.push('', `## S3 input, ${delayMs} ms added per request (${runs} runs, medians)`, '');
  out.push('| profile | tool | wall s | CPU s | peak RSS MB | requests | vs aggregate | output |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const [name, data] of profiles) {
    const url = `s3://bench/${name}/`;
    const ref = await referenceDigest(listFiles(data.dir));
    const dl = path.join(tmp, `dl-${name}`);
    const sh = (script) => ({ cmd: 'sh', args: ['-c', script], env });
    const rows = [
      ['aggregate s3://', () => ({ cmd: process.execPath, args: [BIN, '-q', url, '-o', path.join(tmp, 'a.json')], env }), path.join(tmp, 'a.json')],
      ['sequential GETs to DIR, then aggregate DIR', () => sh(`rm -rf ${dl} && node ${SEQ} ${url} ${dl} && node ${BIN} -q ${dl} -o ${tmp}/b.json`), path.join(tmp, 'b.json')],
      ['sequential GETs to DIR, then jq -s -c .', () => sh(`rm -rf ${dl} && node ${SEQ} ${url} ${dl} && cd ${dl} && ls -v | xargs jq -s -c . > ${tmp}/c.json`), path.join(tmp, 'c.json')],
      ['aggregate s3:// with no added delay (the local server\'s floor)', () => ({ cmd: process.execPath, args: [BIN, '-q', url, '-o', path.join(tmp, 'd.json')], env: direct }), path.join(tmp, 'd.json')],
    ];
    const got = rows.map(() => ({ wall: [], cpu: [], rss: 0, requests: 0, status: '' }));
    for (let r = 0; r < runs; r++) {
      for (let i = 0; i < rows.length; i++) {
        const before = proxy.requests;
        const m = await measure(rows[i][1]());
        const g = got[i];
        g.requests = proxy.requests - before;
        if (m.code !== 0) {
          g.status = `FAILED (exit ${m.code}): ${m.stderr.trim().split('\n').pop()}`;
          continue;
        }
        g.wall.push(m.wall);
        g.cpu.push(m.user + m.sys);
        g.rss = Math.max(g.rss, m.rss / 1048576);
        if (r === 0) g.status = jsonVerdict(ref, await outputDigest(rows[i][2])).status;
        log(`${delayMs} ms, ${name}, ${rows[i][0]}: ${m.wall.toFixed(2)} s`);
      }
    }
    const base = median(got[0].wall);
    rows.forEach(([label], i) => {
      const g = got[i];
      const w = median(g.wall);
      const size = `${data.files.length} x ${(data.bytes / data.files.length / 1e3).toFixed(1)} kB`;
      out.push(`| ${name} (${size}) | ${label} | ${w.toFixed(2)} | ${median(g.cpu).toFixed(2)} | ${g.rss.toFixed(0)} | ${g.requests} | ${(w / base).toFixed(1)}x | ${g.status} |`);
    });
  }
}
