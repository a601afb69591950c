// S3 input bench: aggregate reading s3://bucket/prefix/ straight from an S3-protocol server
// against what an Argo input artifact does today (download every object one after another,
// then merge the directory), on the netvol profile's 2,000 small fragments and the medium
// profile's 60 x 0.6 MB, every request answered after a fixed added latency.
//
//   npm run build && node bench/s3.mjs [--runs 3] [--delay 10[,30]] [--only small|medium] [--quick]
//                                      [--server lite|s3rver] [--before-bin OLD.mjs] [--base-bin OLD.mjs]
//   node bench/s3.mjs --objects 2000,20000 [--runs 5] [--delay 10] [--aws] [--before-bin OLD] [--windows 64,128]
//
// --objects N,M: the peers table instead: N and M objects of ~140 B in 100 prefixes, aggregate
// (its lean GET path, and the SDK's GetObject with AGGREGATE_S3_GET=sdk) against `rclone copy
// --transfers 32 --fast-list` then `jq -s -c .` (and with --aws, `aws s3 cp --recursive` with 32
// concurrent requests then jq), interleaved, plus aggregate's CPU per GET: (CPU at M - CPU at N)
// / (M - N).
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
const objectCounts = opt('--objects', undefined)?.split(',').map(Number);
const windows = (opt('--windows', '') ?? '').split(',').filter(Boolean).map(Number);
const profiles = objectCounts
  ? []
  : [
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
  for (const delayMs of profiles.length > 0 ? delays : []) {
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

  if (objectCounts) for (const delayMs of delays) await comparePeers(objectCounts, delayMs);

  if (baseBin) {
    const small = path.join(tmp, 'startup');
    fs.mkdirSync(small);
    for (let i = 1; i <= 100; i++) fs.writeFileSync(path.join(small, `part-${i}.json`), `{"i":${i}}\n`);
    const cases = [
      ['--version', (bin) => [bin, '--version']],
      ['100-file local run', (bin) => [bin, '-q', small, '-o', path.join(tmp, 's.json')]],
    ];
    const n = Math.max(runs * 4, 11);
    out.push(
      '',
      `## Start-up of a local run (${n} runs, medians)`,
      '',
      '| case | before (--base-bin) ms | this build ms | ratio |',
      '| --- | ---: | ---: | ---: |',
    );
    for (const [label, argv] of cases) {
      const t = { base: [], cur: [] };
      for (let r = 0; r < n; r++) {
        for (const [k, bin] of [
          ['base', baseBin],
          ['cur', BIN],
        ]) {
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
  out.push(
    '| profile | tool | wall s | client CPU s | server CPU s | peak RSS MB | requests (connections) | in flight: mean / max | load avg | vs aggregate | output |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
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
      ...(beforeBin && {
        before: ['aggregate s3:// (--before-bin)', () => node([beforeBin, '-q', url, '-o', path.join(tmp, 'e.json')]), path.join(tmp, 'e.json'), server],
      }),
      floor: [
        'aggregate s3://, no added latency (the floor)',
        () => node([BIN, '-q', url, '-o', path.join(tmp, 'd.json')], direct),
        path.join(tmp, 'd.json'),
        floor,
      ],
    };
    const got = Object.fromEntries(
      Object.keys(steps).map((k) => [k, { wall: [], cpu: [], server: [], load: [], meanInFlight: [], rss: 0, requests: 0, inFlight: 0, status: '' }]),
    );
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
      [
        'sequential GETs to DIR, then aggregate DIR',
        sum(got.dl.wall, got.aggDir.wall),
        sum(got.dl.cpu, got.aggDir.cpu),
        { ...got.dl, rss: Math.max(got.dl.rss, got.aggDir.rss), status: got.aggDir.status || got.dl.status },
      ],
      [
        'sequential GETs to DIR, then jq -s -c .',
        sum(got.dl.wall, got.jq.wall),
        sum(got.dl.cpu, got.jq.cpu),
        { ...got.dl, rss: Math.max(got.dl.rss, got.jq.rss), status: got.jq.status || got.dl.status },
      ],
      ['aggregate s3://, no added latency (floor)', got.floor.wall, got.floor.cpu, got.floor],
      ...(beforeBin ? [['aggregate s3:// (--before-bin)', got.before.wall, got.before.cpu, got.before]] : []),
    ];
    for (const [label, wall, cpu, g] of rows) {
      out.push(
        `| ${name} (${size}) | ${label} | ${fmt(wall)} | ${fmt(cpu)} | ${fmt(g.server)} | ${g.rss.toFixed(0)} | ${g.requests}${g.connections > 0 ? ` (${g.connections})` : ''} | ${g.inFlight ? `${fmt(g.meanInFlight, 1)} / ${g.inFlight}` : ''} | ${fmt(g.load, 1)} | ${wall.length ? (median(wall) / base).toFixed(1) + 'x' : ''} | ${g.status} |`,
      );
    }
    out.push(
      `| ${name} (${size}) | (sequential download alone) | ${fmt(got.dl.wall)} | ${fmt(got.dl.cpu)} | ${fmt(got.dl.server)} | ${got.dl.rss.toFixed(0)} | ${got.dl.requests}${got.dl.connections > 0 ? ` (${got.dl.connections})` : ''} | ${got.dl.inFlight ? `${fmt(got.dl.meanInFlight, 1)} / ${got.dl.inFlight}` : ''} | ${fmt(got.dl.load, 1)} | ${(median(got.dl.wall) / base).toFixed(1)}x | |`,
    );
  }
}

/** `n` fragments of the small profile (~140 B each) as p-0/part-i.json .. p-99/..., under `dir`. */
function nestedObjects(n, dir) {
  const small = ensureData('small', 'quick').files;
  for (let d = 0; d < 100; d++) fs.mkdirSync(path.join(dir, `p-${d}`), { recursive: true });
  for (let i = 0; i < n; i++) fs.copyFileSync(small[i % small.length], path.join(dir, `p-${i % 100}`, `part-${i}.json`));
}

/** The peers table: aggregate against rclone (and the AWS CLI) on `counts` small objects. */
async function comparePeers(counts, delayMs) {
  const mounts = {};
  for (const n of counts) {
    const dir = path.join(tmp, `objects-${n}`);
    nestedObjects(n, dir);
    mounts[`o${n}/`] = dir;
  }
  const server = await startLite({ bucket: 'bench', mounts, delayMs });
  const useAws = args.includes('--aws') && spawnSync('aws', ['--version']).status === 0;
  const awsConfig = path.join(tmp, 'aws-config');
  fs.writeFileSync(awsConfig, '[default]\ns3 =\n  max_concurrent_requests = 32\n');
  const env = { ...process.env, ...CREDENTIALS, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: server.endpoint };
  // rclone reads AWS_CA_BUNDLE and refuses its own transport with it: not needed over http.
  const rcloneEnv = {
    ...process.env,
    AWS_CA_BUNDLE: '',
    RCLONE_CONFIG_LITE_TYPE: 's3',
    RCLONE_CONFIG_LITE_PROVIDER: 'Other',
    RCLONE_CONFIG_LITE_ENDPOINT: server.endpoint,
    RCLONE_CONFIG_LITE_ACCESS_KEY_ID: CREDENTIALS.AWS_ACCESS_KEY_ID,
    RCLONE_CONFIG_LITE_SECRET_ACCESS_KEY: CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    RCLONE_CONFIG_LITE_REGION: 'us-east-1',
    RCLONE_CONFIG_LITE_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG_LITE_LIST_VERSION: '2',
    RCLONE_CONFIG_LITE_LIST_URL_ENCODE: 'false',
  };
  const awsEnv = { ...env, AWS_CONFIG_FILE: awsConfig, AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: '' };
  const dl = path.join(tmp, 'dl');
  // The download directory is emptied before each peer run, outside the measured command.
  const fresh = () => fs.rmSync(dl, { recursive: true, force: true });
  const jq = `find ${dl} -type f -name '*.json' -print0 | sort -zV | xargs -0 cat | jq -s -c . > ${tmp}/peer.json`;
  const tools = {
    agg: ['aggregate s3://', (n) => ({ cmd: process.execPath, args: [BIN, '-q', `s3://bench/o${n}/`, '-o', path.join(tmp, 'a.json')], env })],
    sdk: [
      'aggregate s3://, SDK GetObject (AGGREGATE_S3_GET=sdk)',
      (n) => ({ cmd: process.execPath, args: [BIN, '-q', `s3://bench/o${n}/`, '-o', path.join(tmp, 'a.json')], env: { ...env, AGGREGATE_S3_GET: 'sdk' } }),
    ],
    // --windows 64,128: aggregate again at these --concurrency values (default 32).
    ...Object.fromEntries(
      windows.map((w) => [
        `c${w}`,
        [
          `aggregate s3:// --concurrency ${w}`,
          (n) => ({ cmd: process.execPath, args: [BIN, '-q', '--concurrency', String(w), `s3://bench/o${n}/`, '-o', path.join(tmp, 'a.json')], env }),
        ],
      ]),
    ),
    ...(beforeBin && {
      before: [
        'aggregate s3:// (--before-bin)',
        (n) => ({ cmd: process.execPath, args: [beforeBin, '-q', `s3://bench/o${n}/`, '-o', path.join(tmp, 'a.json')], env }),
      ],
    }),
    rclone: [
      'rclone copy --transfers 32, then jq -s',
      (n) => (fresh(), { cmd: 'sh', args: ['-c', `rclone copy lite:bench/o${n} ${dl} --transfers 32 --checkers 32 --fast-list -q && ${jq}`], env: rcloneEnv }),
    ],
    ...(useAws && {
      aws: [
        'aws s3 cp --recursive (32 concurrent), then jq -s',
        (n) => (
          fresh(),
          { cmd: 'sh', args: ['-c', `aws s3 cp --recursive --quiet --endpoint-url ${server.endpoint} s3://bench/o${n}/ ${dl} && ${jq}`], env: awsEnv }
        ),
      ],
    }),
  };
  const got = {};
  try {
    for (let r = 0; r < runs; r++) {
      for (const n of counts) {
        for (const [k, [label, spec]] of Object.entries(tools)) {
          const g = (got[`${k}/${n}`] ??= { wall: [], cpu: [], load: [], status: '' });
          const load = os.loadavg()[0];
          const m = await measure(spec(n));
          if (m.code !== 0) {
            g.status = `FAILED (exit ${m.code}): ${m.stderr.trim().split('\n').pop()}`;
            continue;
          }
          if (k === 'agg' || k === 'sdk' || k === 'before' || /^c\d+$/.test(k)) {
            const values = JSON.parse(fs.readFileSync(path.join(tmp, 'a.json'), 'utf8')).length;
            if (values !== n) g.status = `WRONG: ${values} values`;
          }
          g.wall.push(m.wall);
          g.cpu.push(m.user + m.sys);
          g.load.push(load);
          log(`${delayMs} ms, ${n} objects, ${label}: ${m.wall.toFixed(2)} s, CPU ${(m.user + m.sys).toFixed(2)} s, load ${load.toFixed(1)}`);
        }
      }
    }
  } finally {
    await server.stop();
  }
  const fmt = (xs, d = 2) => (xs.length ? median(xs).toFixed(d) : '');
  out.push(
    '',
    `## S3 small objects against rclone${useAws ? ' and the AWS CLI' : ''}, ${delayMs} ms to first byte, bench/lib/s3-lite.mjs (${runs} runs interleaved, medians)`,
    '',
  );
  out.push('| objects | tool | wall s | CPU s | load avg | wall vs rclone+jq | output |', '| ---: | --- | ---: | ---: | ---: | ---: | --- |');
  for (const n of counts) {
    const peer = median(got[`rclone/${n}`].wall);
    for (const [k, [label]] of Object.entries(tools)) {
      const g = got[`${k}/${n}`];
      out.push(
        `| ${n} | ${label} | ${fmt(g.wall)} | ${fmt(g.cpu)} | ${fmt(g.load, 1)} | ${g.wall.length ? (median(g.wall) / peer).toFixed(2) + 'x' : ''} | ${g.status || 'ok'} |`,
      );
    }
  }
  if (counts.length >= 2) {
    const [lo, hi] = [Math.min(...counts), Math.max(...counts)];
    for (const k of ['agg', 'sdk', ...(beforeBin ? ['before'] : [])]) {
      const perGet = ((median(got[`${k}/${hi}`].cpu) - median(got[`${k}/${lo}`].cpu)) / (hi - lo)) * 1000;
      out.push('', `${tools[k][0]}: CPU per GET (${hi} - ${lo} objects) = ${perGet.toFixed(3)} ms`);
    }
  }
}
