// Runs one command in a fresh process and measures it: wall time (hrtime around spawn/exit),
// user+sys CPU and peak RSS of the process tree (GNU time's %U %S %M, i.e. wait4's rusage,
// which folds in every waited-for descendant; a python3 getrusage(RUSAGE_CHILDREN) helper
// when /usr/bin/time is missing).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GNU_TIME =
  fs.existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%e', 'true'], { encoding: 'utf8' }).stderr.trim().match(/^\d/) ? '/usr/bin/time' : null;

const PY_HELPER = `
import os, resource, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
code = p.wait()
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], 'w').write('%d %.3f %.3f %d\\n' % (code, r.ru_utime, r.ru_stime, r.ru_maxrss))
sys.exit(code if code >= 0 else 128 - code)
`;

export const timer = GNU_TIME ? 'GNU time' : 'python3 getrusage';

/**
 * @param {{cmd: string, args: string[], cwd?: string, env?: object, stdout?: string, timeoutMs?: number}} spec
 * @returns {Promise<{code: number|null, signal: string|null, wall: number, user: number, sys: number, rss: number, stderr: string, timedOut: boolean}>}
 */
export async function measure(spec) {
  const tmp = path.join(os.tmpdir(), `bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const errFile = `${tmp}.err`;
  const outFd = spec.stdout ? fs.openSync(spec.stdout, 'w') : 'ignore';
  const errFd = fs.openSync(errFile, 'w');
  const [bin, argv] = GNU_TIME
    ? [GNU_TIME, ['-f', '%e %U %S %M', '-o', tmp, '--', spec.cmd, ...spec.args]]
    : ['python3', ['-c', PY_HELPER, tmp, spec.cmd, ...spec.args]];
  const t0 = process.hrtime.bigint();
  let timedOut = false;
  const result = await new Promise((resolve) => {
    const child = spawn(bin, argv, { cwd: spec.cwd, env: spec.env ?? process.env, stdio: ['ignore', outFd, errFd], detached: true });
    const timer = spec.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {}
        }, spec.timeoutMs)
      : null;
    child.on('error', (e) => resolve({ code: 127, signal: null, spawnError: e.message }));
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (typeof outFd === 'number') fs.closeSync(outFd);
  fs.closeSync(errFd);
  let user = NaN,
    sys = NaN,
    rss = NaN;
  try {
    const lines = fs.readFileSync(tmp, 'utf8').trim().split('\n');
    const last = lines[lines.length - 1].trim().split(/\s+/).map(Number);
    if (GNU_TIME) [, user, sys, rss] = last;
    else [, user, sys, rss] = last;
  } catch {}
  let stderr = '';
  try {
    stderr = fs.readFileSync(errFile, 'utf8');
  } catch {}
  fs.rmSync(tmp, { force: true });
  fs.rmSync(errFile, { force: true });
  // GNU time reports a signal death as its own exit status 128+n
  return { code: result.code, signal: result.signal, wall, user, sys, rss: rss * 1024, stderr: stderr + (result.spawnError ?? ''), timedOut };
}

export function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function argMax() {
  const r = spawnSync('getconf', ['ARG_MAX'], { encoding: 'utf8' });
  return Number(r.stdout.trim()) || 131072;
}
