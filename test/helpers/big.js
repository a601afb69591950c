// Big inputs for the tests about memory and scale: a fast writer of big fragments, and the peak
// RSS of a CLI run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { BIN, run } from './cli.js';

export const MiB = 1 << 20;

/** Write `[` + body repeated to ~`size` bytes + `]` fast, from a 1 MiB buffer. */
export function writeBig(file, open, unit, size, close) {
  const fd = fs.openSync(file, 'w');
  const block = Buffer.from(unit.repeat(Math.floor(MiB / unit.length)));
  fs.writeSync(fd, open);
  for (let n = 0; n < size; n += block.length) fs.writeSync(fd, block);
  fs.writeSync(fd, close);
  fs.closeSync(fd);
  return fs.statSync(file).size;
}

/** Peak RSS of a CLI run in KiB: GNU time when present, else polling /proc/<pid>/status VmHWM. */
export async function peakRss(args) {
  if (fs.existsSync('/usr/bin/time')) {
    const r = await run(args, { prefix: ['/usr/bin/time', '-f', 'PEAK_RSS_KB %M'], timeout: 300_000 });
    const m = /PEAK_RSS_KB (\d+)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    return { r, kb: Number(m[1]) };
  }
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  let kb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) kb = Math.max(kb, Number(m[1]));
    } catch {
      // exited
    }
  }, 10);
  const code = await new Promise((res) => child.on('close', res));
  clearInterval(poll);
  return { r: { code, stderr }, kb };
}
