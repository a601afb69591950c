// A signal ends the run while its output waits on a reader that has stopped reading: stdout a
// pipe (a socket pair, as Node spawns) or a FIFO, `-o /dev/fd/3` onto a FIFO, `-o FIFO` opened
// by a reader that never reads, and `-o FIFO` with no reader at all. Each gets exit 143 (130 for
// SIGINT), nothing committed, no temp file. Spawns the built CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, tempFilesIn, tempTrees } from '../helpers/cli.js';

const mk = tempTrees('agg-sigw-');
const HAVE_MKFIFO = spawnSync('mkfifo', ['--version']).status === 0;
/** Bounds a hang (the old build never exits); no timing is asserted. */
const HANG = 20_000;

/** 40 fragments of 100 kB: 4 MB of output, far more than a pipe holds (64 kB). */
function input() {
  const files = {};
  for (let i = 0; i < 40; i++) files[`f${String(i).padStart(2, '0')}.json`] = JSON.stringify({ i, pad: 'x'.repeat(100_000) });
  return mk(files);
}

/**
 * Spawn the CLI with `stdio`, call `blocked(child)` to learn when it is stuck on its reader,
 * then send `sig`. Resolves to { code, signal, stderr }.
 */
function interruptWhileBlocked(args, stdio, blocked, sig = 'SIGTERM') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const hang = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running ${HANG} ms after ${sig} was due: ${stderr}`));
    }, HANG);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(hang);
      resolve({ code, signal, stderr });
    });
    blocked(child).then(() => child.kill(sig), reject);
  });
}

/** A FIFO under `dir` and a reader's descriptor on it (opened, never read beyond `firstByte`). */
function fifoWithReader(dir) {
  const fifo = path.join(dir, 'fifo');
  spawnSync('mkfifo', [fifo]);
  const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  /** Resolves once the writer has put its first byte in the FIFO (then reads nothing more). */
  const firstByte = () =>
    new Promise((resolve, reject) => {
      const one = Buffer.alloc(1);
      const poll = () => {
        try {
          if (fs.readSync(reader, one, 0, 1, null) === 1) return resolve();
        } catch (error) {
          if (error.code !== 'EAGAIN') return reject(error);
        }
        setTimeout(poll, 20);
      };
      poll();
    });
  return { fifo, reader, firstByte };
}

function assertNothingLeft(r, out, code = 143) {
  assert.equal(r.code, code, `exit ${r.code} (${r.signal}): ${r.stderr}`);
  assert.match(r.stderr, /interrupted by SIG(TERM|INT)/);
  assert.deepEqual(tempFilesIn(out), []);
  assert.ok(!fs.existsSync(path.join(out, 'm.json')), 'the manifest was committed');
}

for (const [sig, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
]) {
  test(`stdout a pipe (socket pair) never read: ${sig} -> ${code}, nothing committed`, async () => {
    const out = mk();
    const r = await interruptWhileBlocked(
      [input(), '--manifest', path.join(out, 'm.json')],
      ['ignore', 'pipe', 'pipe'],
      (child) => new Promise((resolve) => child.stdout.once('data', () => (child.stdout.pause(), resolve()))),
      sig,
    );
    assertNothingLeft(r, out, code);
  });
}

/**
 * A FIFO in `out` whose reader stopped after one byte; `args(fifo)` and `stdio(writer)` say how the
 * CLI reaches it (`writer`: a write descriptor on it, or undefined). Returns the run's outcome.
 */
async function stoppedFifoRun(out, args, stdio) {
  const { fifo, reader, firstByte } = fifoWithReader(out);
  const writer = stdio.includes('writer') ? fs.openSync(fifo, 'w') : undefined;
  try {
    return await interruptWhileBlocked(
      [input(), ...args(fifo)],
      stdio.map((s) => (s === 'writer' ? writer : s)),
      firstByte,
    );
  } finally {
    if (writer !== undefined) fs.closeSync(writer);
    fs.closeSync(reader);
  }
}

test('stdout a FIFO whose reader stopped: SIGTERM -> 143, the --manifest file not committed', { skip: !HAVE_MKFIFO && 'no mkfifo' }, async () => {
  const out = mk();
  const r = await stoppedFifoRun(out, () => ['--manifest', path.join(out, 'm.json'), '--mode', 'tar'], ['ignore', 'writer', 'pipe']);
  assertNothingLeft(r, out);
});

test(
  '-o /dev/fd/3 onto a FIFO whose reader stopped, with a file output too: SIGTERM -> 143, neither committed',
  { skip: !HAVE_MKFIFO && 'no mkfifo' },
  async () => {
    const out = mk();
    // The manifest is renamed into place before the descriptor is written, and taken back on the
    // signal; the stats then report the interrupted run.
    const r = await stoppedFifoRun(out, () => ['-o', '/dev/fd/3', '--manifest', path.join(out, 'm.json'), '--stats', path.join(out, 's.json')], [
      'ignore',
      'ignore',
      'pipe',
      'writer',
    ]);
    assertNothingLeft(r, out);
    const stats = JSON.parse(fs.readFileSync(path.join(out, 's.json'), 'utf8'));
    assert.equal(stats.ok, false);
    assert.equal(stats.exitCode, 143);
  },
);

test('-o FIFO opened by a reader that never reads: SIGTERM -> 143', { skip: !HAVE_MKFIFO && 'no mkfifo' }, async () => {
  const out = mk();
  const r = await stoppedFifoRun(out, (fifo) => ['-o', fifo, '--manifest', path.join(out, 'm.json')], ['ignore', 'ignore', 'pipe']);
  assertNothingLeft(r, out);
});

/** A fresh dir holding a FIFO nobody has opened: [dir, fifo]. */
function lonelyFifo() {
  const out = mk();
  const fifo = path.join(out, 'fifo');
  spawnSync('mkfifo', [fifo]);
  return [out, fifo];
}

test('-o FIFO nobody opens: the run waits for a reader, and SIGTERM ends the wait -> 143', { skip: !HAVE_MKFIFO && 'no mkfifo' }, async () => {
  const dir = input();
  const [out, fifo] = lonelyFifo();
  // Waiting for a reader: the summary is not out yet, the process still runs; signal it after
  // it has had time to read its input (what it is doing then is not asserted, only the outcome).
  const r = await interruptWhileBlocked(
    [dir, '-o', fifo, '--manifest', path.join(out, 'm.json')],
    ['ignore', 'ignore', 'pipe'],
    () => new Promise((resolve) => setTimeout(resolve, 1500)),
  );
  assertNothingLeft(r, out);
});

test('a reader that resumes gets the whole output (the wait loses no byte)', { skip: !HAVE_MKFIFO && 'no mkfifo' }, async () => {
  const dir = input();
  const [, fifo] = lonelyFifo();
  const child = spawn(process.execPath, [BIN, '-q', dir, '-o', fifo], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // Open late and read slowly, in small pieces.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const chunks = [];
  const buf = Buffer.alloc(4096);
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  let code;
  let done = false;
  exited.then((c) => {
    code = c;
    done = true;
  });
  for (;;) {
    let n = 0;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
    }
    if (n > 0) chunks.push(Buffer.from(buf.subarray(0, n)));
    else if (done) break;
    else await new Promise((resolve) => setTimeout(resolve, 1));
  }
  fs.closeSync(fd);
  assert.equal(code, 0, stderr);
  const values = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  assert.deepEqual(
    values.map((v) => v.i),
    [...Array(40).keys()],
  );
});
