// Spawning the built CLI as a user would, on real temp dirs.
import { spawn, spawnSync } from 'node:child_process';
import { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// AGGREGATE_BIN: run the tests against another build (e.g. to see a new test fail on old code).
export const BIN = process.env.AGGREGATE_BIN ?? path.join(ROOT, 'bundle/aggregate.cjs');

/** Run the CLI to completion. Returns { code, signal, stdout (Buffer), stderr (string) }. */
export function run(args, { env = {}, timeout = 60_000, cwd, input, prefix = [] } = {}) {
  return new Promise((resolve, reject) => {
    const cmd = prefix.length ? prefix[0] : process.execPath;
    const argv = prefix.length ? [...prefix.slice(1), process.execPath, BIN, ...args] : [BIN, ...args];
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeout} ms: aggregate ${args.join(' ')}\n${Buffer.concat(err)}`));
    }, timeout);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), pid: child.pid });
    });
    child.stdin.end(input ?? '');
  });
}

export function tmpdir(prefix = 'agg-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Write { relpath: content } under dir (creating parents). */
export function writeTree(dir, files) {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

export function rm(p) {
  fs.rmSync(p, { recursive: true, force: true });
}

/** Temp files the sink may leave: `.aggregate-<hex>.tmp` (any dotfile ending in .tmp). */
export function tempFilesIn(dir) {
  return fs.readdirSync(dir).filter((f) => /^\..*\.tmp$/.test(f));
}

export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/**
 * For a test file: `mk(files)` makes a temp dir holding { relpath: content }; every dir made is
 * removed after the file's tests.
 */
export function tempTrees(prefix) {
  const dirs = [];
  after(() => dirs.forEach(rm));
  return (files = {}) => {
    const d = tmpdir(prefix);
    dirs.push(d);
    return writeTree(d, files);
  };
}

/** Mount a tmpfs of `size` at `dir`; false (and the test skipped) where that needs a root we lack. */
export function tmpfs(t, dir, size) {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    t.skip(`mount tmpfs: ${r.stderr.trim()} (needs root)`);
    return false;
  }
  t.after(() => spawnSync('umount', [dir]));
  return true;
}
