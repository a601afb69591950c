// Entry modes in tar and zip: 0755 when any execute bit is set (owner, group or other alone),
// else 0644, read back from the archive's own bytes (tar headers, zip central directory) and from
// the manifest. Spawns the built CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { run, tempTrees } from '../helpers/cli.js';

const mk = tempTrees('agg-modes-');

/** File name -> permission bits on disk, and the mode its entry must get. */
const MODES = {
  'plain.bin': [0o644, 0o644],
  'owner-only.bin': [0o600, 0o644],
  'owner-x.bin': [0o744, 0o755],
  'group-x.bin': [0o654, 0o755],
  'other-x.bin': [0o645, 0o755],
  'group-x-only.bin': [0o010, 0o755],
  'other-x-only.bin': [0o001, 0o755],
  'all-x.bin': [0o777, 0o755],
};

function fixture() {
  const d = mk(Object.fromEntries(Object.keys(MODES).map((n) => [n, n])));
  for (const [name, [bits]] of Object.entries(MODES)) fs.chmodSync(path.join(d, name), bits);
  return d;
}

/** name -> mode of each entry of a ustar/pax archive (pax headers skipped). */
function tarModes(buf) {
  const modes = {};
  let pax;
  for (let off = 0; off + 512 <= buf.length;) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(h[156]);
    const body = buf.subarray(off + 512, off + 512 + size);
    if (type === 'x') {
      pax = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    } else {
      const name = pax ?? h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      modes[name] = parseInt(h.subarray(100, 108).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
      pax = undefined;
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return modes;
}

/** name -> permission bits of each entry in a zip's central directory. */
function zipModes(buf) {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(eocd + 10);
  let off = buf.readUInt32LE(eocd + 16);
  const modes = {};
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(off), 0x02014b50);
    const nameLen = buf.readUInt16LE(off + 28);
    const rest = nameLen + buf.readUInt16LE(off + 30) + buf.readUInt16LE(off + 32);
    modes[buf.subarray(off + 46, off + 46 + nameLen).toString('utf8')] = (buf.readUInt32LE(off + 38) >>> 16) & 0o7777;
    off += 46 + rest;
  }
  return modes;
}

for (const [mode, ext, read] of [
  ['tar', 'tar', (b) => tarModes(b)],
  ['tar', 'tar.gz', (b) => tarModes(zlib.gunzipSync(b))],
  ['zip', 'zip', (b) => zipModes(b)],
]) {
  test(`${ext}: group-only and other-only execute bits give 0755 like the owner's; none gives 0644`, async () => {
    const d = fixture();
    const out = mk();
    const target = path.join(out, `r.${ext}`);
    const r = await run(['--mode', mode, d, '-o', target, '--manifest', path.join(out, 'm.json'), '-q']);
    assert.equal(r.code, 0, r.stderr);
    const want = Object.fromEntries(Object.entries(MODES).map(([n, [, m]]) => [n, m]));
    assert.deepEqual(read(fs.readFileSync(target)), want);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'm.json'), 'utf8'));
    assert.deepEqual(Object.fromEntries(manifest.entries.map((e) => [e.path, parseInt(e.mode, 8)])), want);
  });
}
