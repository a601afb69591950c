// Unit tests of the tar header writer (dist/archive/tar.js) and of exact-size copying
// (dist/archive/entry.js). GNU tar is the reference reader.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BLOCK, MAX_OCTAL_11, TarHeaderEncoder, TarWriter, checkEntryName, paddingFor, paxRecord } from '../../dist/archive/tar.js';
import { copyExactly, entryMode, sourceDateEpoch } from '../../dist/archive/entry.js';

const enc = new TarHeaderEncoder();

function field(h, off, len) {
  const s = h.subarray(off, off + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

/** Every PAX record of an 'x' header's data, as [key, value], checking each length prefix. */
function paxRecords(data) {
  const out = [];
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    const len = Number(data.subarray(off, sp).toString());
    const rec = data.subarray(off, off + len);
    assert.equal(rec[rec.length - 1], 0x0a, 'record ends in a newline');
    const text = rec.subarray(sp - off + 1, rec.length - 1).toString('utf8');
    const eq = text.indexOf('=');
    out.push([text.slice(0, eq), text.slice(eq + 1)]);
    off += len;
  }
  return out;
}

function checksumOk(h) {
  const copy = Buffer.from(h.subarray(0, BLOCK));
  copy.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of copy) sum += b;
  return parseInt(field(h, 148, 8), 8) === sum;
}

function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'agg-tar-unit-'));
}

describe('tar header', () => {
  test('a plain header is byte-identical to GNU tar --format=ustar with fixed owner and time', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'hello.txt'), 'hi\n');
    fs.chmodSync(path.join(dir, 'hello.txt'), 0o755);
    const gnu = execFileSync('tar', ['--format=ustar', '--mtime=@1700000000', '--owner=0', '--group=0', '--numeric-owner', '-C', dir, '-cf', '-', 'hello.txt']);
    const ours = enc.encode({ name: 'hello.txt', size: 3, mode: 0o755, mtime: 1700000000 });
    assert.equal(ours.length, BLOCK);
    assert.deepEqual(ours, gnu.subarray(0, BLOCK));
    fs.rmSync(dir, { recursive: true });
  });

  test('checksum, fixed fields', () => {
    const h = enc.encode({ name: 'a/b.bin', size: 12345, mode: 0o644, mtime: 0 });
    assert.ok(checksumOk(h));
    assert.equal(field(h, 0, 100), 'a/b.bin');
    assert.equal(field(h, 100, 8), '0000644');
    assert.equal(field(h, 108, 8), '0000000');
    assert.equal(field(h, 116, 8), '0000000');
    assert.equal(parseInt(field(h, 124, 12), 8), 12345);
    assert.equal(field(h, 136, 12), '00000000000');
    assert.equal(String.fromCharCode(h[156]), '0');
    assert.equal(h.subarray(257, 265).toString('latin1'), 'ustar\u000000');
    assert.equal(field(h, 265, 32), '');
    assert.equal(field(h, 297, 32), '');
  });

  test('a name of exactly 100 bytes fits the name field', () => {
    const name = 'n'.repeat(100);
    const h = enc.encode({ name, size: 0, mode: 0o644, mtime: 0 });
    assert.equal(h.length, BLOCK);
    assert.equal(h.subarray(0, 100).toString(), name);
  });

  test('a long ASCII path is split into prefix and name without PAX when it fits', () => {
    const name = 'd'.repeat(150) + '/' + 'f'.repeat(100);
    const h = enc.encode({ name, size: 1, mode: 0o644, mtime: 0 });
    assert.equal(h.length, BLOCK, 'no PAX header');
    assert.equal(field(h, 345, 155), 'd'.repeat(150));
    assert.equal(field(h, 0, 100), 'f'.repeat(100));
    assert.ok(checksumOk(h));
  });

  test('paths that do not fit ustar, and non-ASCII names, get a PAX path record', () => {
    for (const name of ['x'.repeat(101), 'a/'.repeat(150) + 'end', 'd'.repeat(156) + '/f', 'caf\u00e9/\u65e5\u672c.txt']) {
      const h = enc.encode({ name, size: 7, mode: 0o644, mtime: 0 });
      assert.equal(String.fromCharCode(h[156]), 'x', `PAX header for ${name.slice(0, 20)}`);
      assert.ok(checksumOk(h));
      const size = parseInt(field(h, 124, 12), 8);
      const records = paxRecords(h.subarray(BLOCK, BLOCK + size));
      assert.deepEqual(records, [['path', name]]);
      const main = h.subarray(h.length - BLOCK);
      assert.equal(String.fromCharCode(main[156]), '0');
      assert.ok(checksumOk(main));
      assert.equal(h.length, BLOCK + size + paddingFor(size) + BLOCK);
    }
  });

  test('PAX record lengths count themselves, across digit boundaries', () => {
    for (let n = 0; n < 1200; n++) {
      const rec = paxRecord('path', 'v'.repeat(n));
      const len = Number(rec.subarray(0, rec.indexOf(0x20)).toString());
      assert.equal(len, rec.length, `value of ${n} bytes`);
    }
    assert.equal(paxRecord('path', '\u00e9').toString(), '11 path=\u00e9\n');
  });

  test('sizes of 8 GiB and more: PAX size record, base-256 in the ustar field', () => {
    assert.equal(MAX_OCTAL_11, 8 * 2 ** 30 - 1);
    const under = enc.encode({ name: 'f', size: MAX_OCTAL_11, mode: 0o644, mtime: 0 });
    assert.equal(under.length, BLOCK);
    assert.equal(field(under, 124, 12), '77777777777');

    const size = 8 * 2 ** 30 + 5;
    const h = enc.encode({ name: 'big.bin', size, mode: 0o644, mtime: 0 });
    const xsize = parseInt(field(h, 124, 12), 8);
    assert.deepEqual(paxRecords(h.subarray(BLOCK, BLOCK + xsize)), [['size', String(size)]]);
    const main = h.subarray(h.length - BLOCK);
    assert.equal(main[124], 0x80, 'base-256 marker');
    assert.equal(main.readUIntBE(124 + 6, 6), size);
    assert.ok(checksumOk(main));
  });

  test('GNU tar lists a sparse archive holding an 8 GiB entry (header + holes)', (t) => {
    const dir = tmpdir();
    const file = path.join(dir, 'big.tar');
    const size = 8 * 2 ** 30 + 1;
    const h = enc.encode({ name: 'deep/'.repeat(30) + 'big.bin', size, mode: 0o755, mtime: 0 });
    fs.writeFileSync(file, h);
    try {
      // Data and trailer are holes: zeros that take no disk space.
      fs.truncateSync(file, h.length + size + paddingFor(size) + 2 * BLOCK);
    } catch (error) {
      t.skip(`no sparse files here: ${error.code}`);
      return;
    }
    const r = spawnSync('tar', ['-tvf', file], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, new RegExp(`^-rwxr-xr-x 0/0 +${size} 1970-01-01 00:00 ${'deep/'.repeat(30)}big\\.bin\\n$`));
  });

  test('SOURCE_DATE_EPOCH beyond 11 octal digits goes into a PAX mtime record', () => {
    const h = enc.encode({ name: 'f', size: 0, mode: 0o644, mtime: 2 ** 34 });
    const xsize = parseInt(field(h, 124, 12), 8);
    assert.deepEqual(paxRecords(h.subarray(BLOCK, BLOCK + xsize)), [['mtime', String(2 ** 34)]]);
  });

  test('unsafe entry names are refused', () => {
    for (const bad of ['', '/etc/passwd', '../x', 'a/../b', 'a//b', 'a/', 'a\0b']) {
      assert.throws(() => checkEntryName(bad), /unsafe archive entry name/, JSON.stringify(bad));
    }
    for (const ok of ['a', 'a/b', '.a/b..c', 'caf\u00e9']) checkEntryName(ok);
  });
});

describe('tar writer', () => {
  test('stages small entries and passes big chunks through; GNU tar reads the result', () => {
    const chunks = [];
    const w = new TarWriter({ write: (b, s, e) => chunks.push(Buffer.from(b.subarray(s, e))) });
    const big = Buffer.alloc(300 << 10, 7);
    const entries = [
      ['small.txt', Buffer.from('hello\n')],
      ['empty', Buffer.alloc(0)],
      ['big.bin', big],
      ['x'.repeat(120), Buffer.from('long')],
    ];
    for (const [name, data] of entries) {
      w.header({ name, size: data.length, mode: 0o644, mtime: 0 });
      w.data(data, 0, data.length);
      w.pad(data.length);
    }
    w.trailer();
    w.flush();
    const tar = Buffer.concat(chunks);
    assert.equal(tar.length % BLOCK, 0);
    const dir = tmpdir();
    const r = spawnSync('tar', ['-xf', '-', '-C', dir], { input: tar, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    for (const [name, data] of entries) assert.deepEqual(fs.readFileSync(path.join(dir, name)), data, name);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('entry helpers', () => {
  const settings = (warnings) => ({ onWarning: (m) => warnings.push(m) });
  const feed = { each: (file, fn) => fn(file.head) || undefined };
  const file = (head, size) => ({ entry: { rel: 'f.bin', abs: '/in/f.bin' }, head, size, complete: true });

  test('a file that shrank after fstat fails the run with an I/O error naming it', () => {
    assert.throws(
      () =>
        copyExactly(
          file(Buffer.alloc(5), 10),
          feed,
          settings([]),
          () => {},
          () => {},
        ),
      (e) => e.name === 'IoError' && e.exitCode === 1 && /\/in\/f\.bin: file shrank while being read/.test(e.message),
    );
  });

  test('a file that grew is cut at its fstat size, with a warning', () => {
    const warnings = [];
    let written = 0;
    copyExactly(
      file(Buffer.alloc(12), 10),
      feed,
      settings(warnings),
      (_chunk, end) => void (written += end),
      () => {},
    );
    assert.equal(written, 10);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /f\.bin: file changed as we read it/);
  });

  test('mode: any execute bit gives 0755', () => {
    assert.equal(entryMode(0o100644), 0o644);
    assert.equal(entryMode(0o100600), 0o644);
    assert.equal(entryMode(0o100744), 0o755);
    assert.equal(entryMode(0o100701), 0o755);
  });

  test('SOURCE_DATE_EPOCH: unset or empty is 0, malformed is a usage error', () => {
    assert.equal(sourceDateEpoch({}), 0);
    assert.equal(sourceDateEpoch({ SOURCE_DATE_EPOCH: '' }), 0);
    assert.equal(sourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' }), 1700000000);
    for (const bad of ['-1', 'abc', '1.5', '1e9']) {
      assert.throws(
        () => sourceDateEpoch({ SOURCE_DATE_EPOCH: bad }),
        (e) => e.exitCode === 2,
        bad,
      );
    }
  });
});

describe('tar handler', async () => {
  const { tarHandler } = await import('../../dist/archive/mode.js');
  const feed = { each: (file, fn) => fn(file.head) || undefined };
  const sink = () => {
    const chunks = [];
    return { chunks, out: { write: (b, s = 0, e = b.length) => chunks.push(Buffer.from(b.subarray(s, e))), length: 0 } };
  };
  const file = (head, size, mode = 0o100644) => ({ entry: { rel: 'f.bin', abs: '/in/f.bin' }, head, size, mode, complete: true });

  test('shrunk: I/O error; grown: cut at the header size with a warning; archive stays valid', async () => {
    const warnings = [];
    const settings = { gzip: false, level: 6, onWarning: (m) => warnings.push(m) };
    const { chunks, out } = sink();
    const h = tarHandler(settings, out, 0);
    assert.throws(() => h.add(file(Buffer.alloc(3), 10), feed), /file shrank while being read/);
    assert.deepEqual(h.add(file(Buffer.from('0123456789AB'), 10, 0o100775), feed), { mode: '0755' });
    await h.finish();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /file changed as we read it/);
    const r = spawnSync('tar', ['-xOf', '-'], { input: Buffer.concat(chunks) });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stdout.toString(), '0123456789');
  });
});
