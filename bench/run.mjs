#!/usr/bin/env node
// aggregate benchmark: the collect step against the tools users would otherwise use.
//
//   npm run bench                      full sizes, 5 runs per tool
//   npm run bench:quick                smaller sizes, 3 runs (under 3 minutes)
//   node bench/run.mjs --profile small --profile medium --runs 3
//   node bench/run.mjs --json run.json            save this run
//   node bench/run.mjs --compare run.json         add a difference column against a saved run
//   node bench/run.mjs --smoke                    tiny data, 1 run (the test suite uses this)
//   node bench/run.mjs --bin PATH                 the aggregate CLI to test (default bundle/aggregate.cjs, the installed bin)
//   node bench/run.mjs --node PATH                the node that runs aggregate (default: this one; peers keep this one)
//   node bench/run.mjs --render a.json b.json     re-render saved runs (later profiles replace earlier)
//   node bench/run.mjs --tools aggregate,jq       only these rows (ids; a target needs both of its rows)
//   node bench/run.mjs --clean                    remove the generated inputs (bench/.data) after the run
//
// Every tool runs in a fresh process, in the same session, on the same files, round-robin
// (run 1 of every tool, then run 2, ...) so machine noise spreads over all of them. Each
// output is checked against a reference made from the input files (bench/lib/check.mjs);
// a tool that fails or is wrong keeps its row, with its status.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DIR, PROFILES, ensureData } from './generate.mjs';
import { benchSchema } from './lib/schema.mjs';
import { jsonVerdict, outputDigest, referenceDigest, tarVerdict } from './lib/check.mjs';
import { argMax, measure, timer, which } from './lib/measure.mjs';
import { compareLine, renderMarkdown, renderSvg } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const MiB = 1 << 20;

// ---------------------------------------------------------------------------------------------
// options

function parseArgs(argv) {
  const o = {
    profiles: [],
    runs: null,
    json: null,
    compare: null,
    quick: false,
    smoke: false,
    bin: path.join(root, 'bundle/aggregate.cjs'),
    node: process.execPath,
    timeout: null,
    results: path.join(here, 'results'),
    strict: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--profile' || a === '-p') o.profiles.push(...val().split(','));
    else if (a === '--runs') o.runs = Number(val());
    else if (a === '--json') o.json = val();
    else if (a === '--compare') o.compare = val();
    else if (a === '--quick') o.quick = true;
    else if (a === '--smoke') o.smoke = true;
    else if (a === '--bin') o.bin = path.resolve(val());
    else if (a === '--node') o.node = path.resolve(val());
    else if (a === '--timeout') o.timeout = Number(val());
    else if (a === '--results') o.results = path.resolve(val());
    else if (a === '--strict') o.strict = true;
    else if (a === '--clean') o.clean = true;
    else if (a === '--tools') o.tools = val().split(',');
    else if (a === '--render') {
      o.render = [];
      while (argv[i + 1] && !argv[i + 1].startsWith('--')) o.render.push(argv[++i]);
    } else if (a === '--help' || a === '-h') {
      console.log(
        fs
          .readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n')
          .slice(1, 15)
          .map((l) => l.replace(/^\/\/ ?/, ''))
          .join('\n'),
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const p of o.profiles) if (!PROFILES[p]) throw new Error(`unknown profile ${p} (have: ${Object.keys(PROFILES).join(', ')})`);
  if (!o.profiles.length) o.profiles = Object.keys(PROFILES);
  o.mode = o.smoke ? 'smoke' : o.quick ? 'quick' : 'full';
  o.runs ??= o.smoke ? 1 : o.quick ? 3 : 5;
  if (!(o.runs >= 1)) throw new Error('--runs must be >= 1');
  o.timeout ??= o.smoke ? 60 : o.quick ? 60 : 300;
  return o;
}

// ---------------------------------------------------------------------------------------------
// environment

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const version = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')[0]
        .trim();
    } catch {
      return 'missing';
    }
  };
  return {
    cpu: model,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    node: process.version,
    jq: version('jq', ['--version']),
    tar: version('tar', ['--version']),
    kernel: os.release(),
    date: new Date().toISOString(),
    timer,
  };
}

function buildShim() {
  const src = path.join(here, 'netvol-shim.c');
  const so = path.join(DATA_DIR, 'netvol-shim.so');
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const r = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', so, src, '-ldl', '-lpthread'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the netvol shim failed: ${r.stderr || r.error}`);
  return so;
}

// ---------------------------------------------------------------------------------------------
// tools

const sq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** argv-passing of many file names: direct when it fits ARG_MAX, else through `xargs cat`. */
function fileArgs(data, env) {
  const names = data.files.map((f) => path.relative(data.dir, f));
  let size = 0;
  for (const n of names) size += Buffer.byteLength(n) + 1 + 8;
  for (const [k, v] of Object.entries(env)) size += k.length + String(v).length + 2 + 8;
  const fits = size + 64 * 1024 < ARG_MAX;
  let list = null;
  if (!fits) {
    list = path.join(data.outDir, 'files.list');
    fs.writeFileSync(list, names.join('\0') + '\0');
  }
  return { names, fits, list };
}

/**
 * The node floor (peers/node-floor.cjs) reads each file with one read into 1 MiB and opens
 * serially: a floor for many small local files only (not big ones, not the slow-open shim).
 */
const floorFits = (data, env) => !env.LD_PRELOAD && data.files.length >= 1000 && data.bytes / data.files.length < 64 << 10;

/** Profiles with an `aggregate --schema` row (the same run, every value checked: bench/lib/schema.mjs). */
const SCHEMA_PROFILES = ['small', 'medium'];

/** The rows of a JSON profile: [{id, label, kind, build(out) -> spec, note}] */
function jsonTools(data, o, env, name) {
  const { names, fits, list } = fileArgs(data, env);
  const viaXargs = 'argv too long: files fed by `xargs -0 cat`';
  const nodeBin = process.execPath;
  let schema = null;
  if (SCHEMA_PROFILES.includes(name)) {
    schema = path.join(data.outDir, 'schema.json');
    fs.writeFileSync(schema, JSON.stringify(benchSchema(name), null, 2));
  }
  return [
    { id: 'aggregate', label: 'aggregate --mode json', kind: 'self', spec: { cmd: o.node, args: [o.bin, '--mode', 'json', data.dir] } },
    ...(schema
      ? [
          {
            id: 'aggregate-schema',
            label: 'aggregate --mode json --schema (bench/lib/schema.mjs)',
            kind: 'self',
            spec: { cmd: o.node, args: [o.bin, '--mode', 'json', data.dir, '--schema', schema] },
          },
        ]
      : []),
    {
      id: 'jq',
      label: 'jq -s -c . FILES (natural order)',
      kind: 'peer',
      note: fits ? '' : viaXargs,
      spec: fits
        ? { cmd: 'jq', args: ['-s', '-c', '.', ...names], cwd: data.dir }
        : { cmd: 'sh', args: ['-c', `xargs -0 -a ${sq(list)} cat | jq -s -c .`], cwd: data.dir },
    },
    {
      id: 'find-jq',
      label: "find DIR -name '*.json' -exec jq -s . {} +",
      kind: 'peer',
      spec: { cmd: 'sh', args: ['-c', `find ${sq(data.dir)} -name '*.json' -exec jq -s . {} +`] },
    },
    {
      id: 'node-naive',
      label: 'node naive (readFileSync, JSON.parse, JSON.stringify)',
      kind: 'peer',
      spec: { cmd: nodeBin, args: [path.join(here, 'peers/naive.mjs'), data.dir] },
    },
    {
      id: 'stream-json',
      label: 'stream-json 3.8 (parser + stringer, streaming)',
      kind: 'peer',
      spec: { cmd: nodeBin, args: [path.join(here, 'peers/stream-json.mjs'), data.dir] },
    },
    ...(floorFits(data, env)
      ? [
          {
            id: 'node-floor',
            label: 'node floor: the per-file syscalls alone, nothing checked (not an answer)',
            kind: 'floor',
            spec: { cmd: o.node, args: [path.join(here, 'peers/node-floor.cjs'), 'json', data.dir, '-'] },
          },
        ]
      : []),
    {
      id: 'cat',
      label: 'cat FILES (I/O floor, not an answer)',
      kind: 'floor',
      note: fits ? '' : viaXargs,
      spec: fits ? { cmd: 'cat', args: names, cwd: data.dir } : { cmd: 'xargs', args: ['-0', '-a', list, 'cat'], cwd: data.dir },
    },
  ];
}

function binTools(data, o, env) {
  const { names, fits, list } = fileArgs(data, env);
  const nodeBin = process.execPath;
  const out = (ext) => path.join(data.outDir, `out.${ext}`);
  return [
    {
      id: 'aggregate-tar',
      label: 'aggregate --mode tar -o X.tar',
      kind: 'self',
      ext: 'tar',
      spec: { cmd: o.node, args: [o.bin, '--mode', 'tar', data.dir, '-o', out('aggregate.tar')] },
      file: out('aggregate.tar'),
    },
    {
      id: 'aggregate-tgz',
      label: 'aggregate --mode tar -o X.tar.gz',
      kind: 'self',
      gz: true,
      spec: { cmd: o.node, args: [o.bin, '--mode', 'tar', data.dir, '-o', out('aggregate.tar.gz')] },
      file: out('aggregate.tar.gz'),
    },
    {
      id: 'tar',
      label: 'tar --sort=name -cf',
      kind: 'peer',
      spec: { cmd: 'tar', args: ['--sort=name', '-cf', out('tar.tar'), '-C', data.dir, '.'] },
      file: out('tar.tar'),
    },
    {
      id: 'tar-gz',
      label: 'tar --sort=name -czf',
      kind: 'peer',
      gz: true,
      spec: { cmd: 'tar', args: ['--sort=name', '-czf', out('tar.tar.gz'), '-C', data.dir, '.'] },
      file: out('tar.tar.gz'),
    },
    {
      id: 'archiver-tar',
      label: 'archiver 8 .file() per file, tar',
      kind: 'peer',
      spec: { cmd: nodeBin, args: [path.join(here, 'peers/archiver.mjs'), 'tar', data.dir, out('archiver.tar')] },
      file: out('archiver.tar'),
    },
    {
      id: 'archiver-tgz',
      label: 'archiver 8 .file() per file, tar+gzip',
      kind: 'peer',
      gz: true,
      spec: { cmd: nodeBin, args: [path.join(here, 'peers/archiver.mjs'), 'tgz', data.dir, out('archiver.tar.gz')] },
      file: out('archiver.tar.gz'),
    },
    ...(floorFits(data, env)
      ? [
          {
            id: 'node-floor',
            label: 'node floor: the per-file syscalls alone, nothing checked (not an answer)',
            kind: 'floor',
            spec: { cmd: o.node, args: [path.join(here, 'peers/node-floor.cjs'), 'tar', data.dir, out('floor.tar')] },
            stdout: out('floor'),
          },
          {
            id: 'node-floor-gz',
            label: 'node floor, tar.gz: each MiB gzipped apart on the thread pool (not an answer)',
            kind: 'floor',
            gz: true,
            spec: { cmd: o.node, args: [path.join(here, 'peers/node-floor.cjs'), 'tgz', data.dir, out('floor.tar.gz')] },
            stdout: out('floor-gz'),
          },
        ]
      : []),
    {
      id: 'cat',
      label: 'cat FILES (I/O floor, not an answer)',
      kind: 'floor',
      note: fits ? '' : 'argv too long: `xargs -0 cat`',
      spec: fits ? { cmd: 'cat', args: names, cwd: data.dir } : { cmd: 'xargs', args: ['-0', '-a', list, 'cat'], cwd: data.dir },
      stdout: out('cat'),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// running

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function failure(r, stderrTail) {
  if (r.timedOut) return 'FAILED: timeout';
  const code = r.code ?? (r.signal ? `signal ${r.signal}` : '?');
  const hint = stderrTail ? ` (${stderrTail})` : '';
  return `FAILED: exit ${code}${hint}`;
}

function lastLine(s) {
  const lines = s
    .trim()
    .split('\n')
    .filter((l) => l.trim() && !/^\s+at /.test(l) && !/^Command (exited|terminated)/.test(l));
  const interesting = lines.find((l) => /Error|error:|ENOMEM|heap|Killed/.test(l)) ?? lines[lines.length - 1] ?? '';
  return interesting.trim().slice(0, 90);
}

async function runProfile(name, o, shim) {
  const profile = PROFILES[name];
  const t0 = performance.now();
  const data = ensureData(name, o.mode);
  const gen = ((performance.now() - t0) / 1000).toFixed(1);
  log(`\n[${name}] ${data.files.length} files, ${(data.bytes / 1e6).toFixed(1)} MB${data.generated ? ` (generated in ${gen} s)` : ''}`);
  data.outDir = path.join(DATA_DIR, 'out', `${name}-${o.mode}`);
  fs.rmSync(data.outDir, { recursive: true, force: true });
  fs.mkdirSync(data.outDir, { recursive: true });

  const env = { ...process.env };
  if (name === 'netvol' || name === 'netvol-fuse') {
    env.LD_PRELOAD = shim;
    env.NETVOL_DIR = data.dir;
    env.NETVOL_DELAY_US = String(profile.sizes[o.mode].delayUs);
    // netvol models an NFS-like volume (opens only); netvol-fuse delays listings too.
    env.NETVOL_LIST_DELAY_US = name === 'netvol-fuse' ? env.NETVOL_DELAY_US : '0';
  }
  let tools = profile.kind === 'json' ? jsonTools(data, o, env, name) : binTools(data, o, env);
  if (name === 'netvol-fuse') {
    // Every open is a 20 ms sleep: a serial reader takes files x 20 ms (200 s at 10k), so only
    // jq runs of the serial tools, and aggregate at several window sizes (--concurrency).
    const self = tools.find((t) => t.id === 'aggregate');
    const windows = [16, 64, 128, 256].map((c) => ({
      ...self,
      id: `aggregate-c${c}`,
      label: `aggregate --mode json --concurrency ${c}`,
      kind: 'variant',
      spec: { ...self.spec, args: [...self.spec.args, '--concurrency', String(c)] },
    }));
    tools = [self, ...windows, tools.find((t) => t.id === 'jq')];
  }
  if (o.tools) tools = tools.filter((t) => o.tools.includes(t.id));
  const haveJq = !!which('jq');

  let reference = null;
  if (profile.kind === 'json') {
    const refFile = path.join(DATA_DIR, `${path.basename(data.dir)}.ref.json`);
    const key = JSON.stringify(data.params) + fs.statSync(path.join(here, 'lib/check.mjs')).mtimeMs;
    try {
      const saved = JSON.parse(fs.readFileSync(refFile, 'utf8'));
      if (saved.key === key) reference = saved.digest;
    } catch {}
    if (!reference) {
      reference = await referenceDigest(data.files);
      fs.writeFileSync(refFile, JSON.stringify({ key, digest: reference }));
    }
    if (reference.error) throw new Error(`fixture ${name} is not valid: ${reference.error}`);
  }

  const rows = tools.map((t) => ({ id: t.id, label: t.label, kind: t.kind, note: t.note ?? '', runs: [], status: null, gz: !!t.gz }));
  for (let run = 0; run < o.runs; run++) {
    for (const [k, t] of tools.entries()) {
      const row = rows[k];
      if (row.skip) continue;
      if ((t.id === 'jq' || t.id === 'find-jq') && !haveJq) {
        row.status = 'FAILED: jq not installed (apt-get install jq)';
        row.skip = true;
        continue;
      }
      const stdout = profile.kind === 'json' ? path.join(data.outDir, `${t.id}.out`) : t.stdout;
      const r = await measure({ ...t.spec, env: { ...env, ...(t.spec.env ?? {}) }, stdout, timeoutMs: o.timeout * 1000 });
      const ok = r.code === 0 && !r.timedOut;
      row.runs.push({ wall: r.wall, user: r.user, sys: r.sys, rss: r.rss, code: r.code, ok });
      if (!ok && !row.status) row.status = failure(r, lastLine(r.stderr));
      // verify the first successful run's output
      if (ok && row.verdict === undefined) {
        if (profile.kind === 'json') {
          const got = await outputDigest(stdout);
          row.verdict = jsonVerdict(reference, got);
        } else if (t.file) {
          row.verdict = await tarVerdict(t.file, data.dir, data.files);
        } else {
          row.verdict = { ok: true, status: 'ok' };
        }
        if (row.verdict.note) row.note = [row.note, row.verdict.note].filter(Boolean).join('; ');
      }
      if (stdout) fs.rmSync(stdout, { force: true });
      if (t.file) fs.rmSync(t.file, { force: true });
      log(`  run ${run + 1}/${o.runs} ${t.id.padEnd(14)} ${r.wall.toFixed(3)} s` + (ok ? '' : `  ${failure(r, lastLine(r.stderr))}`));
      // a tool that fails the same way every time: two failed runs are enough
      if (!ok && row.runs.filter((x) => !x.ok).length >= 2) row.skip = true;
      // slow tools: past 20 s a run (quick: 2 s), 3 runs are enough (quick: 1); past 60 s, one
      // (such a run is mostly the shim's sleeps: it hardly varies)
      const slow = o.mode === 'full' ? 20 : 2;
      const wall = median(row.runs.filter((x) => x.ok).map((x) => x.wall));
      if (ok && run + 1 >= (o.mode === 'full' ? 3 : 1) && wall > slow) row.skip = true;
      if (ok && wall > 60) row.skip = true;
    }
  }

  for (const row of rows) {
    const good = row.runs.filter((x) => x.ok);
    row.wall = median(good.map((x) => x.wall));
    row.cpu = median(good.map((x) => x.user + x.sys));
    row.rss = good.length ? Math.max(...good.map((x) => x.rss)) : NaN;
    row.mbps = data.bytes / 1e6 / row.wall;
    row.n = good.length;
    if (!row.status) {
      if (row.kind === 'floor') row.status = 'floor';
      else row.status = row.verdict?.status ?? 'FAILED: no run';
    } else if (good.length) {
      row.status += ` in ${row.runs.length - good.length}/${row.runs.length} runs`;
    }
    row.ok = row.status === 'ok' || row.status === 'floor';
  }
  // ratio: peer time / aggregate time (the matching aggregate row: gzip rows against gzip)
  for (const row of rows) {
    const ref = rows.find((r) => r.kind === 'self' && r.gz === row.gz) ?? rows.find((r) => r.kind === 'self');
    row.ratio = ref && ref.n && row.n ? row.wall / ref.wall : NaN;
    row.vs = ref?.id;
  }
  fs.rmSync(data.outDir, { recursive: true, force: true });
  return {
    name,
    kind: profile.kind,
    title: profile.title(profile.sizes[o.mode]),
    files: data.files.length,
    bytes: data.bytes,
    delayUs: profile.sizes[o.mode].delayUs,
    rows: rows.map(({ skip, verdict, ...r }) => r),
  };
}

// ---------------------------------------------------------------------------------------------
// targets (from the issues)

function targets(profiles, mode) {
  const out = [];
  const get = (p, id) => profiles.find((x) => x.name === p)?.rows.find((r) => r.id === id);
  const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const ratioTarget = (id, profile, self, peer, max, text) => {
    const a = get(profile, self),
      b = get(profile, peer);
    if (!a || !b) return;
    let pass = null,
      detail;
    if (!a.ok) ((detail = `aggregate ${a.status}`), (pass = false));
    else if (!b.n) detail = `${peer} has no successful run (${b.status})`;
    else {
      const r = a.wall / b.wall;
      pass = r <= max;
      detail = `${fmt(a.wall)} s vs ${fmt(b.wall)} s = ${fmt(r, 2)}x (limit ${max}x)`;
    }
    out.push({ id, text, pass, detail });
  };
  ratioTarget('json-medium', 'medium', 'aggregate', 'jq', 0.1, '60 x 0.6 MB JSON: at most 0.10x jq wall time');
  ratioTarget('json-medium-python', 'medium-python', 'aggregate', 'jq', 0.1, "60 x 0.6 MB JSON as Python's json.dump writes it: at most 0.10x jq wall time");
  ratioTarget('json-small', 'small', 'aggregate', 'jq', 1.0, '10k x ~150 B JSON: at most 1.0x jq wall time');
  ratioTarget('schema-small', 'small', 'aggregate-schema', 'aggregate', 1.5, '10k x ~150 B JSON with --schema: at most 1.5x the same run without');
  ratioTarget('schema-medium', 'medium', 'aggregate-schema', 'aggregate', 1.5, '60 x 0.6 MB JSON with --schema: at most 1.5x the same run without');
  ratioTarget('json-netvol', 'netvol', 'aggregate', 'jq', 0.15, '2,000 files at 1 ms per open: at most 0.15x jq wall time');
  ratioTarget(
    'json-netvol-fuse',
    'netvol-fuse',
    'aggregate',
    'jq',
    0.05,
    '10k files in 100 dirs at 20 ms per open and per listing page (FUSE object store): at most 0.05x jq wall time',
  );
  for (const [profile, what] of [
    ['large', "the bench's records"],
    ['dense', 'dense records'],
    ['python', "Python's json.dump defaults"],
    ['indent', 'json.dump indent=2'],
    ['indent-crlf', 'json.dump indent=2, CRLF'],
  ]) {
    const l = get(profile, 'aggregate');
    if (!l) continue;
    const pass = l.ok && l.mbps >= 300 && l.rss < 150 * MiB;
    out.push({
      id: `json-${profile}`,
      text: `one 256 MB fragment of ${what}: >= 300 MB/s with peak RSS < 150 MiB`,
      pass: l.ok ? pass : false,
      detail: l.ok ? `${fmt(l.mbps, 0)} MB/s, ${fmt(l.rss / MiB, 0)} MiB` : `aggregate ${l.status}`,
    });
  }
  // Small archives: against what a Node process can do at all (the node floor, same run), not
  // GNU tar, which no Node program reaches on 10k files (its floor is ~3x tar there).
  ratioTarget('tar-small', 'bin-small', 'aggregate-tar', 'node-floor', 1.15, '10k x 200 B archive: at most 1.15x the node floor (tar)');
  ratioTarget('tgz-small', 'bin-small', 'aggregate-tgz', 'node-floor-gz', 1.15, 'gzip level 6 (10k x 200 B): at most 1.15x the node floor (tar.gz)');
  ratioTarget('tar-large', 'bin-large', 'aggregate-tar', 'tar', 1.3, '3 x 120 MB archive: at most 1.3x tar -cf');
  ratioTarget('tgz-large', 'bin-large', 'aggregate-tgz', 'tar-gz', 1.0, 'gzip level 6 (3 x 120 MB): no slower than tar -czf');
  // The targets are for the full sizes: smaller data shifts the ratios (start-up weighs more), so
  // a quick run shows the figures without a verdict.
  if (mode !== 'full') for (const t of out) Object.assign(t, { pass: null, graded: `not graded: ${mode} sizes` });
  return out;
}

// ---------------------------------------------------------------------------------------------

function log(s) {
  process.stderr.write(s + '\n');
}

let ARG_MAX = 131072;

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.render) return render(o);
  ARG_MAX = argMax();
  if (!fs.existsSync(o.bin)) {
    log(`aggregate CLI not found at ${o.bin}: run \`npm run build\` first (or pass --bin PATH)`);
    return 2;
  }
  const meta = { ...machine(), mode: o.mode, runs: o.runs, bin: path.relative(root, o.bin) };
  try {
    meta.aggregateNode = execFileSync(o.node, ['--version'], { encoding: 'utf8' }).trim();
    meta.aggregate = execFileSync(o.node, [o.bin, '--version'], { encoding: 'utf8' }).trim();
  } catch (error) {
    log(`aggregate does not start under ${o.node}: ${error.message}`);
    return 2;
  }
  const shim = o.profiles.includes('netvol') || o.profiles.includes('netvol-fuse') ? buildShim() : null;
  log(
    `aggregate bench: ${o.mode} mode, ${o.runs} run(s), ${meta.cpu} x${meta.cores}, node ${meta.node} (aggregate under node ${meta.aggregateNode}), ${meta.jq}`,
  );
  const t0 = performance.now();
  const profiles = [];
  for (const name of o.profiles) profiles.push(await runProfile(name, o, shim));
  meta.seconds = Math.round((performance.now() - t0) / 1000);
  const report = { meta, profiles, targets: o.smoke ? [] : targets(profiles, o.mode) };

  let saved = null;
  if (o.compare) saved = JSON.parse(fs.readFileSync(o.compare, 'utf8'));
  const md = renderMarkdown(report, saved);
  process.stdout.write(md);
  if (saved) process.stdout.write(compareLine(saved) + '\n');
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(report, null, 2) + '\n');
  if (!o.smoke) {
    fs.mkdirSync(o.results, { recursive: true });
    const svg = path.join(o.results, o.mode === 'full' ? 'ratios.svg' : `ratios-${o.mode}.svg`);
    fs.writeFileSync(svg, renderSvg(report));
    fs.writeFileSync(path.join(o.results, `last-${o.mode}.md`), md);
    log(
      `\nwrote ${path.relative(process.cwd(), svg)} and last-${o.mode}.md (${meta.seconds} s)` +
        (o.mode === 'full' ? '' : `; a full run (npm run bench) writes ratios.svg, the chart docs/benchmarks.md shows`),
    );
  }
  dataNotice(o.clean);
  const failed = report.targets.filter((t) => t.pass === false).length;
  return o.strict && failed ? 1 : 0;
}

/** Says what the generated inputs left on disk and how to remove them, or removes them (--clean). */
function dataNotice(clean) {
  const where = path.relative(process.cwd(), DATA_DIR) || DATA_DIR;
  if (clean) {
    fs.rmSync(DATA_DIR, { recursive: true, force: true });
    log(`removed ${where} (the generated inputs)`);
    return;
  }
  const du = spawnSync('du', ['-sk', DATA_DIR], { encoding: 'utf8' });
  const mb = du.status === 0 ? `${Math.round(Number(du.stdout.split('\t')[0]) / 1024)} MiB` : 'the';
  log(`${where} keeps ${mb} of generated inputs for the next run: remove them with rm -rf ${where} (or pass --clean)`);
}

/** Merges saved runs (profiles of later files replace earlier ones) and renders them again. */
function render(o) {
  const runs = o.render.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  const byName = new Map();
  for (const r of runs) for (const p of r.profiles) byName.set(p.name, { ...p, date: r.meta.date });
  const order = Object.keys(PROFILES).filter((n) => byName.has(n));
  const profiles = order.map((n) => byName.get(n));
  const meta = { ...runs[0].meta };
  if (runs.length > 1) meta.date = runs.map((r) => `${r.meta.date} (${order.filter((n) => byName.get(n).date === r.meta.date).join(', ')})`).join('; ');
  const report = { meta, profiles, targets: meta.mode === 'smoke' ? [] : targets(profiles, meta.mode) };
  const md = renderMarkdown(report, o.compare ? JSON.parse(fs.readFileSync(o.compare, 'utf8')) : null);
  process.stdout.write(md);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(report, null, 2) + '\n');
  fs.mkdirSync(o.results, { recursive: true });
  const svg = path.join(o.results, meta.mode === 'full' ? 'ratios.svg' : `ratios-${meta.mode}.svg`);
  fs.writeFileSync(svg, renderSvg({ ...report, meta: { ...meta, date: runs[runs.length - 1].meta.date } }));
  fs.writeFileSync(path.join(o.results, `last-${meta.mode}.md`), md);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    log(`bench: ${e.stack || e}`);
    process.exitCode = 1;
  },
);
