// The directory walk's two ways (walk.ts): serial, and concurrent once directory opens are slow
// (an object store mounted through FUSE). Both must give the same listing, in the same order
// (`--sort none` is the walk's order), with the same skips, mtimes and errors.
// AGGREGATE_WALK_MODE=sync|async forces one; the netvol shim (bench/) makes listings slow.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { run, have, tempTrees, BIN, ROOT } from '../helpers/cli.js';

const mk = tempTrees('agg-walk-');

/**
 * A tree with what the walk must get right: non-UTF-8 names (files and a directory), a name
 * holding U+FFFD next to one with the byte it stands for, dotfiles and dot-directories, lost+found
 * at the root and below, symbolic links to a directory and to a file, a FIFO, a 30-deep chain,
 * 120 directories, an excluded own output. Every file holds its own path, so order shows.
 */
function oddTree() {
  const d = mk();
  const put = (rel) => {
    const p = Buffer.concat([Buffer.from(d + '/'), Buffer.from(rel, 'latin1')]);
    fs.mkdirSync(p.subarray(0, p.lastIndexOf(0x2f)), { recursive: true });
    fs.writeFileSync(p, JSON.stringify(Buffer.from(rel, 'latin1').toString('base64')));
  };
  const utf8 = (s) => Buffer.from(s, 'utf8').toString('latin1');
  for (let i = 0; i < 120; i++) for (let j = 0; j < 3; j++) put(`w${i % 7}/d${i}/f${j}.json`);
  put('top.json');
  put('b\xff.json');
  put(utf8('b\uFFFD.json'));
  put('d\xfe/x.json');
  put(`d\xfe/${utf8('\uFFFD')}/y.json`);
  put('.hidden/never.json');
  put('.dot.json');
  put('lost+found/never.json');
  put('keep/lost+found/kept.json');
  put('keep/.tmp/never.json');
  let deep = 'deep';
  for (let i = 0; i < 30; i++) deep += `/l${i}`;
  put(`${deep}/bottom.json`);
  fs.symlinkSync(path.join(d, 'w0'), path.join(d, 'link-to-dir'));
  fs.symlinkSync(path.join(d, 'top.json'), path.join(d, 'w1/link.json'));
  spawnSync('mkfifo', [path.join(d, 'w2/fifo.json')]);
  return d;
}

const digest = (b) => `${b.length} bytes, sha256 ${createHash('sha256').update(b).digest('hex')}`;

/** One run's outcome, with what differs between runs (elapsed, the walk's own stats) left out. */
async function outcome(args, env, { stats = true } = {}) {
  const st = path.join(mk(), 'st.json');
  const r = await run([...args, '-q', ...(stats ? ['--stats', st] : [])], { env });
  let s = null;
  let how = {};
  if (stats && fs.existsSync(st)) {
    s = JSON.parse(fs.readFileSync(st, 'utf8'));
    how = { walk: s.walk, readAhead: s.readAhead };
    for (const k of ['elapsedMs', 'walk', 'readAhead']) delete s[k];
  }
  const o = args.indexOf('-o');
  const output = o >= 0 && fs.existsSync(args[o + 1]) ? digest(fs.readFileSync(args[o + 1])) : null;
  return { code: r.code, stdout: digest(r.stdout), output, stderr: r.stderr, stats: s, ...how };
}

describe('serial and concurrent walks list the same', { concurrency: 2 }, () => {
  for (const [name, args] of [
    ['json, --sort none (the walk order)', ['--sort', 'none']],
    ['json, --sort mtime (mtimes)', ['--sort', 'mtime']],
    ['json, default sort, an own output inside <dir>', ['-o', 'OUT']],
    ['tar, --sort none (directories not reported)', ['--mode', 'tar', '--sort', 'none', '-o', 'TAR']],
    ['json, --ignore and a pattern', ['--sort', 'none', '--ignore', 'w3/**', '--pattern', '**/f[01].json']],
  ]) {
    test(name, async () => {
      const d = oddTree();
      const tar = path.join(mk(), 'out.tar');
      const argv = [d, ...args.map((x) => (x === 'OUT' ? path.join(d, 'out.json') : x === 'TAR' ? tar : x)), '--concurrency', '3'];
      const a = await outcome(argv, { AGGREGATE_WALK_MODE: 'sync' });
      const b = await outcome(argv, { AGGREGATE_WALK_MODE: 'async' });
      assert.equal(a.code, 0, a.stderr);
      assert.equal(a.walk.mode, 'sync');
      assert.equal(b.walk.mode, 'async');
      assert.ok(b.walk.maxInFlight > 1 && b.walk.maxInFlight <= 3, JSON.stringify(b.walk));
      assert.ok(a.stats.files > 200, JSON.stringify(a.stats).slice(0, 500));
      assert.ok(!a.stdout.startsWith('0 bytes') || a.output !== null);
      assert.deepEqual(b, { ...a, walk: b.walk, readAhead: b.readAhead });
    });
  }
});

describe('slow listings take the concurrent walk', () => {
  test(
    'under the netvol shim (3 ms per open and per listing page): async walk and reads, same outcome as a serial walk of the same tree',
    { skip: !have('cc') && 'needs cc' },
    async () => {
      const so = path.join(mk(), 'netvol-shim.so');
      const cc = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', so, path.join(ROOT, 'bench/netvol-shim.c'), '-ldl', '-lpthread'], { encoding: 'utf8' });
      assert.equal(cc.status, 0, cc.stderr);
      const d = oddTree();
      const argv = [d, '--sort', 'none', '--concurrency', '8'];
      const serial = await outcome(argv, { AGGREGATE_WALK_MODE: 'sync' });
      const slow = await outcome(argv, { LD_PRELOAD: so, NETVOL_DIR: d, NETVOL_DELAY_US: '3000' });
      assert.equal(serial.code, 0, serial.stderr);
      assert.equal(slow.walk.mode, 'async', JSON.stringify(slow.walk));
      assert.ok(slow.walk.maxInFlight > 1, JSON.stringify(slow.walk));
      // A volume slow to list is slow to open: files are read ahead from the first.
      assert.equal(slow.readAhead.mode, 'async');
      assert.deepEqual(slow, { ...serial, walk: slow.walk, readAhead: slow.readAhead });
    },
  );
});

/** Run as an unprivileged user (root ignores permission bits): setpriv's prefix, [] when not root, undefined when impossible. */
const asNobody = (() => {
  if (process.getuid?.() !== 0) return [];
  const prefix = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  return have('setpriv') && spawnSync(prefix[0], [...prefix.slice(1), process.execPath, BIN, '--version']).status === 0 ? prefix : undefined;
})();

describe("errors mid-walk: the serial walk's message and exit code", { concurrency: 2 }, () => {
  test('directories too deep to open (ENAMETOOLONG) in several subtrees: the first in walk order is named', async () => {
    const d = mk({ 'a.json': '[1]', 'z/b.json': '[2]' });
    // Chains of long names that pass PATH_MAX at different depths, so that the concurrent walk
    // meets them in another order than the serial walk does.
    const chains = [
      ['p', 250],
      ['q', 200],
      ['r', 120],
      ['s', 230],
    ];
    try {
      for (const [top, len] of chains) {
        const seg = top.repeat(len);
        const r = spawnSync('sh', [
          '-c',
          `cd "$1" && mkdir ${top} && cd ${top} && while mkdir ${seg} 2>/dev/null && cd ${seg}; do echo 1 > f.json; done; true`,
          'sh',
          d,
        ]);
        assert.equal(r.status, 0, String(r.stderr));
      }
      for (const conc of ['1', '4']) {
        const argv = [d, '--concurrency', conc];
        const a = await outcome(argv, { AGGREGATE_WALK_MODE: 'sync' });
        const b = await outcome(argv, { AGGREGATE_WALK_MODE: 'async' });
        assert.notEqual(a.code, 0);
        assert.match(a.stderr, /too long/i);
        assert.deepEqual(b, { ...a, walk: b.walk, readAhead: b.readAhead });
      }
    } finally {
      spawnSync('rm', ['-rf', ...chains.map(([top]) => path.join(d, top))]);
    }
  });

  test(
    'a subdirectory that cannot be listed (EACCES, as a non-root user)',
    { skip: asNobody === undefined && 'cannot run as an unprivileged user (no setpriv)' },
    async () => {
      const d = mk({ 'a.json': '[1]', 'x/b.json': '[2]', 'y/c.json': '[3]', 'y/locked/d.json': '[4]' });
      for (const p of ['', 'x', 'y']) fs.chmodSync(path.join(d, p), 0o755);
      fs.chmodSync(path.join(d, 'y/locked'), 0o000);
      try {
        const runs = [];
        for (const mode of ['sync', 'async']) {
          const r = await run([d, '-q'], { prefix: asNobody, env: { AGGREGATE_WALK_MODE: mode } });
          runs.push({ code: r.code, stdout: r.stdout.toString(), stderr: r.stderr });
        }
        assert.equal(runs[0].code, 1, runs[0].stderr);
        assert.match(runs[0].stderr, /permission denied/);
        assert.ok(runs[0].stderr.includes(path.join(d, 'y/locked')), runs[0].stderr);
        assert.deepEqual(runs[1], runs[0]);
      } finally {
        fs.chmodSync(path.join(d, 'y/locked'), 0o755);
      }
    },
  );
});
