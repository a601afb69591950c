// Unit tests of the zip writer (dist/archive/zip.js): names, dates, exact-size copying. Python's
// zipfile is the reference reader. Also pins why archiver is not used for zip: it rewrites names.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { ZIP_MAX_TIME, ZIP_MIN_TIME, dosDateTime, zipHandler, zipNameProblem, zipTime } from '../../dist/archive/zip.js';

const PY_LIST = `
import json, sys, zipfile, io, hashlib
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
assert z.testzip() is None
print(json.dumps([[i.filename, hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))
`;

function pyList(zip) {
  const r = spawnSync('python3', ['-c', PY_LIST], { input: zip });
  assert.equal(r.status, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}

describe('zip entry names', () => {
  test('kept exactly: drive-like prefixes, colons, spaces, quotes, dots, non-ASCII', () => {
    for (const name of ['C:x', 'a:b', 'part:1.json', 'sp ace', `q"'`, 'x..y', '..x', 'a/.b', 'caf\u00e9', Buffer.from('\u65e5\u672c/a')]) {
      assert.equal(zipNameProblem(name), undefined, String(name));
    }
  });

  test('declined, with a reason: invalid UTF-8, backslash, empty/./.. components, leading /, NUL', () => {
    const cases = [
      [Buffer.from([0x66, 0xff, 0x6f]), /not valid UTF-8/],
      [Buffer.from([0xc3, 0x28]), /not valid UTF-8/],
      ['a\ud800b', /not valid UTF-8/],
      ['a\\b', /backslash/],
      ['trail\\', /backslash/],
      ['x\\..\\..\\evil', /backslash/],
      ['', /empty name/],
      ['/abs', /starts with '\/'/],
      ['a//b', /component/],
      ['a/', /component/],
      ['./a', /component/],
      ['a/./b', /component/],
      ['..', /component/],
      ['a/../b', /component/],
      ['a\0b', /NUL/],
      ['n'.repeat(65536), /65535/],
    ];
    for (const [name, reason] of cases) assert.match(zipNameProblem(name) ?? 'kept', reason, JSON.stringify(String(name)).slice(0, 40));
  });

  test('archiver rewrites names and cannot be told not to (why src/archive/zip.ts exists)', async () => {
    const { ZipArchive } = await import('archiver');
    const zip = new ZipArchive({ zlib: { level: 0 } });
    const chunks = [];
    zip.on('data', (c) => chunks.push(c));
    const ended = new Promise((resolve) => zip.on('end', resolve));
    for (const name of ['part:1.json', 'C:x', 'a\\b.txt', '../up.txt']) zip.append(Buffer.from('x'), { name });
    await zip.finalize();
    await ended;
    assert.deepEqual(
      pyList(Buffer.concat(chunks)).map(([n]) => n),
      ['1.json', 'x', 'a/b.txt', 'up.txt'],
    );
  });
});

describe('zip dates', () => {
  test('DOS date and time of the range ends (UTC, 2-second steps)', () => {
    const fields = (t) => {
      const { date, time } = dosDateTime(t);
      return [(date >> 9) + 1980, (date >> 5) & 15, date & 31, time >> 11, (time >> 5) & 63, (time & 31) * 2];
    };
    assert.deepEqual(fields(ZIP_MIN_TIME), [1980, 1, 1, 0, 0, 0]);
    assert.deepEqual(fields(ZIP_MAX_TIME), [2107, 12, 31, 23, 59, 58]);
    assert.deepEqual(fields(1700000001), [2023, 11, 14, 22, 13, 20]);
  });

  test('clamped to the range; a warning only when SOURCE_DATE_EPOCH was given', () => {
    const warnings = [];
    const warn = (m) => warnings.push(m);
    assert.equal(zipTime(0, false, warn), ZIP_MIN_TIME);
    assert.equal(warnings.length, 0);
    assert.equal(zipTime(0, true, warn), ZIP_MIN_TIME);
    assert.equal(zipTime(ZIP_MIN_TIME, true, warn), ZIP_MIN_TIME);
    assert.equal(zipTime(ZIP_MAX_TIME, true, warn), ZIP_MAX_TIME);
    assert.equal(zipTime(ZIP_MAX_TIME + 1, true, warn), ZIP_MAX_TIME);
    assert.equal(zipTime(1e15, true, warn), ZIP_MAX_TIME);
    assert.equal(warnings.length, 3);
  });
});

describe('zip handler: exact sizes', () => {
  const sink = () => {
    const chunks = [];
    let length = 0;
    const out = {
      write: (b, s = 0, e = b.length) => {
        chunks.push(Buffer.from(b.subarray(s, e)));
        length += e - s;
      },
      get length() {
        return length;
      },
    };
    return { chunks, out };
  };
  /** A feed giving `data` in `step`-byte chunks, asynchronously when not complete. */
  const feedOf = (data, step) => ({
    each(file, fn) {
      if (file.complete) return fn(file.head) || undefined;
      return (async () => {
        for (let off = 0; off < data.length; off += step) await fn(data.subarray(off, off + step));
      })();
    },
  });
  const file = (rel, data, size, complete) => ({
    entry: { rel, abs: `/in/${rel}` },
    head: data.subarray(0, complete ? data.length : 1 << 20),
    size,
    mode: 0o100644,
    complete,
  });

  for (const [label, size] of [
    ['whole', 1000],
    ['streamed', 3 << 20],
  ]) {
    for (const level of [0, 6]) {
      test(`${label} entry, level ${level}: shrunk fails; grown is cut at its size with a warning`, async () => {
        const warnings = [];
        const settings = { level, onWarning: (m) => warnings.push(m) };
        const { out } = sink();
        const h = zipHandler(settings, out, 0);
        const data = Buffer.alloc(size + 5000);
        for (let i = 0; i < data.length; i++) data[i] = 65 + ((i * 7) % 26);
        const complete = size <= 1000;
        const shrunk = data.subarray(0, size - 10);
        await assert.rejects(async () => h.add(file('short', shrunk, size, complete), feedOf(shrunk, 1 << 20)), /file shrank while being read/);
        // A failed entry fails the run (the output is discarded): start a new archive.
        const fresh = sink();
        const h2 = zipHandler(settings, fresh.out, 0);
        assert.deepEqual(await h2.add(file('grown', data, size, complete), feedOf(data, 1 << 20)), { mode: '0644' });
        await h2.finish();
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /grown: file changed as we read it/);
        assert.deepEqual(pyList(Buffer.concat(fresh.chunks)), [['grown', createHash('sha256').update(data.subarray(0, size)).digest('hex')]]);
      });
    }
  }
});
