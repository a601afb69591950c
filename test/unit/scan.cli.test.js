// The scanner's fast path through the spawned CLI: a multi-MiB fragment (several read chunks)
// comes out compacted byte for byte, and a bad byte placed at and around the 1 MiB chunk edges is
// reported at the position the byte-at-a-time scanner gives, with exit code 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { JsonScanner } from '../../dist/json/scan.js';
import { largeChunks } from '../../bench/generate.mjs';
import { scanBytes } from '../helpers/json-ref.js';
import { run, tmpdir } from '../helpers/cli.js';

const MiB = 1 << 20;
let text = '';
for (const c of largeChunks(3 * MiB, 21, false)) text += c;
for (const c of largeChunks(MiB, 22, true)) text += c;
const fragment = Buffer.from(text);

/** What the CLI must print for `buf` (an array of the values), or the error the byte-at-a-time path reports. */
function expected(buf) {
  const values = [];
  let cur;
  const sink = { begin: () => (cur = []), bytes: (b, s, e) => cur.push(Buffer.from(b.subarray(s, e))), end: () => values.push(Buffer.concat(cur)) };
  const r = scanBytes(buf, { scanner: new JsonScanner(sink, { bytewise: true }) });
  if (r.error) return { error: r.error };
  return { output: Buffer.from(`[${values.map((v) => v.toString('latin1')).join(',')}]\n`, 'latin1') };
}

test('a 4 MiB fragment of records comes out compacted, byte for byte', async () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'part-1.json'), fragment);
  const r = await run(['--mode', 'json', dir]);
  assert.equal(r.code, 0, r.stderr);
  const want = expected(fragment).output;
  assert.ok(want && want.length > 3 * MiB);
  assert.ok(r.stdout.equals(want), 'output differs');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bad bytes at and around chunk edges: exit 3, the byte-at-a-time position and reason', async () => {
  const dir = tmpdir();
  let errors = 0;
  const file = path.join(dir, 'part-1.json');
  for (const at of [MiB - 1, MiB, MiB + 1, 2 * MiB, 3 * MiB + 7]) {
    for (const byte of [0xff, 0x01, 0x7d, 0x2e]) {
      const buf = Buffer.from(fragment);
      buf[at] = byte;
      fs.writeFileSync(file, buf);
      const want = expected(buf);
      const r = await run(['--mode', 'json', dir]);
      if (want.output) {
        // '}' or '.' inside a string is still valid JSON.
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.equals(want.output), `0x${byte.toString(16)} at ${at}: output differs`);
        continue;
      }
      const e = want.error;
      errors++;
      assert.equal(r.code, 3, `0x${byte.toString(16)} at ${at}: ${r.stderr}`);
      assert.ok(
        r.stderr.includes(`${e.line}:${e.column} (byte offset ${e.offset}): ${e.reason}`),
        `0x${byte.toString(16)} at ${at}: expected ${e.message}, got ${r.stderr}`,
      );
    }
  }
  assert.ok(errors >= 10, `only ${errors} of the mutations were invalid`);
  fs.rmSync(dir, { recursive: true, force: true });
});
