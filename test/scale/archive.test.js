// Zip at scale (npm run test:scale): a 600 MB file after many small ones in bounded memory, and
// more entries than the classic zip format counts (zip64). Python's zipfile and unzip read them.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run, tempTrees } from '../helpers/cli.js';

const mk = tempTrees('agg-scale-zip-');
const env = { SOURCE_DATE_EPOCH: '' };
const sh = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });

describe('--mode zip at scale', { concurrency: 2 }, () => {
  test(
    '250 small files then a 600 MB one: peak RSS under 150 MiB, no warning with -q',
    { skip: !fs.existsSync('/usr/bin/time') && 'no /usr/bin/time' },
    async () => {
      const src = mk();
      for (let i = 0; i < 250; i++) fs.writeFileSync(path.join(src, `a-${i}.bin`), `small file ${i}\n`.repeat(20));
      // Sparse but not all zeros: 8 MiB of varied bytes at the start, then a hole.
      const fd = fs.openSync(path.join(src, 'z-big.bin'), 'w');
      const block = Buffer.alloc(1 << 20);
      for (let i = 0; i < 8; i++) {
        for (let k = 0; k < block.length; k += 4) block.writeUInt32LE((k * 2654435761 + i) >>> 0, k);
        fs.writeSync(fd, block);
      }
      fs.ftruncateSync(fd, 600e6);
      fs.closeSync(fd);
      const out = path.join(mk(), 'o.zip');
      const r = await run(['--mode', 'zip', src, '-o', out, '-q'], { env, prefix: ['/usr/bin/time', '-f', '%M'], timeout: 300_000 });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stderr.trim().split('\n');
      const kb = Number(lines.pop());
      assert.deepEqual(lines, [], 'nothing on stderr but the RSS figure');
      assert.ok(kb < 150 * 1024, `peak RSS ${kb} KiB`);
      const py = sh('python3', [
        '-c',
        'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); l=z.infolist(); print(len(l), l[-1].filename, l[-1].file_size)',
        out,
      ]);
      assert.equal(py.stdout.trim(), '251 z-big.bin 600000000');
    },
  );

  test('more than 65535 entries: zip64 end record, every entry readable', async () => {
    const src = mk();
    const N = 70_000;
    for (let d = 0; d < 70; d++) {
      const dir = path.join(src, `d${d}`);
      fs.mkdirSync(dir);
      for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(dir, `${i}`), `${d}.${i}`);
    }
    const out = path.join(mk(), 'o.zip');
    const r = await run(['--mode', 'zip', src, '-o', out, '-q'], { env, timeout: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    const py = sh('python3', [
      '-c',
      `
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
l = z.infolist()
assert all(z.read(i).decode() == i.filename[1:].replace('/', '.') for i in l)
print(len(l), l[0].filename, l[-1].filename)`,
      out,
    ]);
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout.trim(), `${N} d0/0 d69/999`);
    const u = sh('unzip', ['-tq', out]);
    assert.equal(u.status, 0, u.stdout + u.stderr);
    assert.match(u.stdout, /No errors/);
    const buf = fs.readFileSync(out);
    assert.equal(buf.readUInt16LE(buf.length - 22 + 10), 0xffff, 'classic end record says: see zip64');
    assert.equal(buf.readUInt32LE(buf.length - 22 - 20), 0x07064b50, 'zip64 locator before it');
  });
});
