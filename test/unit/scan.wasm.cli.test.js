// The WebAssembly fast path through the spawned CLI: multi-MiB fragments (1 MiB read chunks, so
// the kernel serves them) come out byte-identical to the JS fast path's output
// (AGGREGATE_SCAN_WASM=0, internal), and a bad byte gives the same message and exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { largeChunks, prng } from '../../bench/generate.mjs';
import { run, tmpdir } from '../helpers/cli.js';

const MiB = 1 << 20;
let text = '';
for (const c of largeChunks(2 * MiB, 41, false)) text += c;
for (const c of largeChunks(MiB, 42, true)) text += c;
const compact = Buffer.from(text);
// Pretty-printed, with non-ASCII and escapes: many whitespace runs and lines per chunk.
const pretty = Buffer.from(text.replace(/"(\w+)":/g, '\n\t  "$1\u00e9\\n\u{1F600}" :\r\n ').replace(/,\n/g, ' ,\n\n'));

const JS = { AGGREGATE_SCAN_WASM: '0' };

async function both(dir, args) {
  const [wasm, js] = [await run(['--mode', 'json', dir, ...args]), await run(['--mode', 'json', dir, ...args], { env: JS })];
  return { wasm, js };
}

test('multi-MiB fragments: byte-identical output with and without the kernel', async () => {
  const dir = tmpdir();
  for (const [name, buf] of [
    ['compact', compact],
    ['pretty', pretty],
  ]) {
    fs.writeFileSync(path.join(dir, 'part-1.json'), buf);
    for (const args of [[], ['--flatten'], ['--flatten', '--format', 'ndjson']]) {
      const { wasm, js } = await both(dir, args);
      assert.equal(wasm.code, 0, wasm.stderr);
      assert.equal(js.code, 0, js.stderr);
      assert.ok(wasm.stdout.length > 2 * MiB, `${name} ${args}: ${wasm.stdout.length} bytes`);
      assert.ok(wasm.stdout.equals(js.stdout), `${name} ${args.join(' ')}: output differs`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a bad byte anywhere in a multi-MiB fragment: same message and exit code with and without the kernel', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'part-1.json');
  const rand = prng(7);
  let errors = 0;
  for (const base of [compact, pretty]) {
    for (let k = 0; k < 6; k++) {
      const buf = Buffer.from(base);
      const at = k < 2 ? MiB - 1 + k : Math.floor(rand() * buf.length);
      buf[at] = [0xff, 0x01, 0x7d, 0x2e, 0x22, 0xc3][k];
      fs.writeFileSync(file, buf);
      const { wasm, js } = await both(dir, []);
      assert.equal(wasm.code, js.code, `${at}: ${wasm.stderr} / ${js.stderr}`);
      const untimed = (t) => t.replace(/, [\d.]+ s /, ', T s ');
      assert.equal(untimed(wasm.stderr), untimed(js.stderr), `byte ${k} at ${at}`);
      assert.ok(wasm.stdout.equals(js.stdout));
      if (wasm.code === 3) {
        errors++;
        assert.match(wasm.stderr, /byte offset \d+/);
      }
    }
  }
  assert.ok(errors >= 6, `only ${errors} of the corruptions were invalid`);
  fs.rmSync(dir, { recursive: true, force: true });
});
