// Names as bytes in the fan-in contract and in --key-by path, as a user runs them: names with
// quotes, backslashes, control bytes, non-ASCII and non-UTF-8 bytes; duplicates, CRLF and empty
// lists; the order of the missing and extra lists; --shard.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run, tempTrees } from '../helpers/cli.js';

const mk = tempTrees();

const ok = (r) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const b64 = (b) => Buffer.from(b).toString('base64');

/** A new dir holding files named by exact bytes: [[name (Buffer or string), content]]. */
function mkBytes(files) {
  const d = mk();
  for (const [name, content] of files) fs.writeFileSync(Buffer.concat([Buffer.from(d + '/'), Buffer.from(name)]), content);
  return d;
}

/** A names file in a fresh dir. */
function listFile(content, name = 'names.txt') {
  const p = path.join(mk(), name);
  fs.writeFileSync(p, content);
  return p;
}

const ODD = [
  'q"uote.json',
  'back\\slash.json',
  'tab\there.json',
  'bell\u0007.json',
  'del\u007f.json',
  '\u00fcn\u00ef/c\u00f6d\u00e9.json',
  '\u65e5\u672c.json',
  'ls\u2028.json',
  '\ud83d\ude00.json',
  'long-' + 'x'.repeat(120) + '.json',
];

describe('--expect-names: exact bytes', () => {
  test('quotes, backslashes, control bytes, non-ASCII: a JSON array of strings and a raw CRLF line list both match', async () => {
    const d = mk(Object.fromEntries(ODD.map((n, i) => [n, String(i)])));
    const plain = await run([d, '-q']);
    ok(plain);
    for (const list of [listFile(JSON.stringify(ODD), 'n.json'), listFile(ODD.join('\r\n') + '\r\n')]) {
      const r = await run([d, '--expect-names', list, '-q']);
      ok(r);
      assert.deepEqual(r.stdout, plain.stdout);
    }
  });

  test('one byte off is missing + unexpected, named in the message, --stats and --manifest', async () => {
    const d = mk({ 'q"uote.json': '1', 'a\\b.json': '2' });
    const st = path.join(mk(), 'stats.json');
    const r = await run([d, '--expect-names', '-', '--stats', st, '-q'], { input: JSON.stringify(['q"uote.json', 'a\\\\b.json']) });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /expected 2 files, found 2; 1 missing: a\\\\b\.json; 1 unexpected: a\\b\.json\./);
    const s = readJson(st);
    assert.deepEqual([s.missingFiles, s.extraFiles], [[{ path: 'a\\\\b.json' }], [{ path: 'a\\b.json' }]]);
  });

  test('non-UTF-8 names: as pathBase64 (as --manifest writes them) or raw bytes in a line list; a missing one is reported with pathBase64', async () => {
    const bad = Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x6a, 0x73, 0x6f, 0x6e]); // bad\xff.json
    const d = mkBytes([
      [bad, '1'],
      ['ok.json', '2'],
    ]);
    const m = path.join(mk(), 'manifest.json');
    ok(await run([d, '--manifest', m, '-q']));
    const entries = readJson(m).entries;
    assert.ok(entries.some((e) => e.pathBase64 === b64(bad)));
    // The manifest's own entries, fed back as the list.
    ok(await run([d, '--expect-names', listFile(JSON.stringify(entries), 'e.json'), '-q']));
    ok(await run([d, '--expect-names', listFile(Buffer.concat([Buffer.from('ok.json\n'), bad, Buffer.from('\r\n')])), '-q']));
    const other = Buffer.from(bad);
    other[3] = 0xfe;
    const st = path.join(mk(), 'stats.json');
    const r = await run([d, '--expect-names', '-', '--stats', st, '-q'], { input: JSON.stringify(['ok.json', { pathBase64: b64(other) }]) });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /1 missing: \$'bad\\xfe\.json'; 1 unexpected: \$'bad\\xff\.json'/);
    const s = readJson(st);
    assert.deepEqual(s.missingFiles, [{ path: "$'bad\\xfe.json'", pathBase64: b64(other) }]);
    assert.deepEqual(s.extraFiles, [{ path: "$'bad\\xff.json'", pathBase64: b64(bad) }]);
  });

  test('a name listed twice, however written (string, path, pathBase64, CRLF), is refused at its second listing (exit 2)', async () => {
    const d = mk({ 'a.json': '1', 'b.json': '2' });
    for (const [input, re] of [
      [JSON.stringify(['a.json', 'b.json', { pathBase64: b64('a.json') }]), /standard input: a\.json is listed twice/],
      [JSON.stringify([{ path: 'b.json' }, 'a.json', 'b.json']), /standard input: b\.json is listed twice/],
      ['b.json\r\na.json\nb.json\n', /standard input: b\.json is listed twice/],
      [JSON.stringify([{ pathBase64: b64([0xff]) }, { pathBase64: b64([0xff]) }]), /standard input: \$'\\xff' is listed twice/],
      // The first fault in list order is the one reported.
      ['a.json\na.json\n/abs.json\n', /a\.json is listed twice/],
      ['/abs.json\na.json\na.json\n', /\/abs\.json is not a relative path/],
    ]) {
      const r = await run([d, '--expect-names', '-'], { input });
      assert.equal(r.code, 2, `${input}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });

  test('a JSON string with a lone surrogate is refused (exit 2): no file name has it, and U+FFFD must not stand in for it', async () => {
    const d = mk({ '\ufffd.json': '1' });
    const r = await run([d, '--expect-names', '-'], { input: '["\\ud800.json"]' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /element 0 "\\ud800\.json" holds a lone UTF-16 surrogate/);
    ok(await run([d, '--expect-names', '-', '-q'], { input: '["\\ufffd.json"]' }));
  });

  test('empty lists (no bytes, blank and CRLF-only lines, []) expect no file', async () => {
    const empty = mk();
    const full = mk({ 'a.json': '1' });
    for (const input of ['', '\n', '\r\n\r\n\n', '[]', ' [ ]\n']) {
      const r = await run([empty, '--expect-names', '-'], { input });
      ok(r);
      assert.equal(r.stdout.toString(), '[]\n');
      const f = await run([full, '--expect-names', '-'], { input });
      assert.equal(f.code, 4, JSON.stringify(input));
      assert.match(f.stderr, /expected 0 files, found 1; 1 unexpected: a\.json/);
    }
  });

  test('missing names in list order, unexpected ones in run order, whatever --sort says', async () => {
    const d = mk({ 'p-1.json': '1', 'p-2.json': '2', 'x-10.json': '10', 'x-9.json': '9', 'x-2.json': '2' });
    const t = Date.now() / 1000;
    for (const [n, age] of [
      ['p-1', 50],
      ['p-2', 40],
      ['x-9', 30],
      ['x-2', 20],
      ['x-10', 10],
    ])
      fs.utimesSync(path.join(d, `${n}.json`), t - age, t - age);
    const input = 'm-3.json\np-2.json\nm-1.json\np-1.json\nm-20.json\n';
    for (const [sort, extra] of [
      ['natural', ['x-2', 'x-9', 'x-10']],
      ['name', ['x-10', 'x-2', 'x-9']],
      ['mtime', ['x-9', 'x-2', 'x-10']],
    ]) {
      const st = path.join(mk(), 'stats.json');
      const r = await run([d, '--sort', sort, '--expect-names', '-', '--stats', st, '-q'], { input });
      assert.equal(r.code, 4, r.stderr);
      const s = readJson(st);
      assert.deepEqual(
        s.missingFiles.map((f) => f.path),
        ['m-3.json', 'm-1.json', 'm-20.json'],
        sort,
      );
      assert.deepEqual(
        s.extraFiles.map((f) => f.path),
        extra.map((x) => `${x}.json`),
        sort,
      );
    }
  });

  test('with --shard: the whole matched set is checked, so a file missing from one shard fails every shard', async () => {
    const d = mk({ 'p-1.json': '1', 'p-2.json': '2', 'p-3.json': '3', 'p-4.json': '4' });
    const all = 'p-4.json\np-3.json\np-2.json\np-1.json\n';
    const r0 = await run([d, '--expect-names', '-', '--shard', '0/2', '-q'], { input: all });
    ok(r0);
    assert.equal(r0.stdout.toString(), '[1,2]\n');
    const r1 = await run([d, '--expect-names', '-', '--shard', '1/2', '-q'], { input: all });
    ok(r1);
    assert.equal(r1.stdout.toString(), '[3,4]\n');
    for (const shard of ['0/2', '1/2']) {
      const r = await run([d, '--expect-names', '-', '--shard', shard], { input: all + 'p-5.json\n' });
      assert.equal(r.code, 4, `${shard}: ${r.stderr}`);
      assert.match(r.stderr, /expected 5 files, found 4; 1 missing: p-5\.json/);
    }
  });
});

describe('--key-by path: keys written from the name bytes', () => {
  test('quotes, backslashes, control bytes, non-ASCII, long names: each key is JSON.stringify of the name without its extension', async () => {
    const d = mk(Object.fromEntries(ODD.map((n, i) => [n, `{"i":${i}}`])));
    const r = await run([d, '-p', '**/*', '--key-by', 'path', '-q']);
    ok(r);
    const out = r.stdout.toString();
    const parsed = JSON.parse(out);
    const keys = Object.keys(parsed);
    assert.deepEqual([...keys].sort(), ODD.map((n) => n.replace(/\.json$/, '')).sort());
    for (const [i, n] of ODD.entries()) assert.deepEqual(parsed[n.replace(/\.json$/, '')], { i });
    // Byte for byte what JSON.stringify gives for every key (no escaping of DEL, U+2028 or non-ASCII).
    assert.equal(out, '{' + keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(parsed[k])}`).join(',') + '}\n');
  });

  test('a name that is not UTF-8: exit 3 naming it; under skip it is left out', async () => {
    const d = mkBytes([
      [Buffer.from([0x62, 0xff, 0x2e, 0x6a, 0x73, 0x6f, 0x6e]), '1'],
      ['a.json', '2'],
    ]);
    const r = await run([d, '--key-by', 'path', '-q']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /--key-by path: the name \$'b\\xff' is not valid UTF-8/);
    const s = await run([d, '--key-by', 'path', '--on-invalid', 'skip', '-q']);
    ok(s);
    assert.equal(s.stdout.toString(), '{"a":2}\n');
  });

  test('two files with one key are caught whatever came first: escaped and non-ASCII keys, no extension, a late second extension', async () => {
    for (const [files, re] of [
      [['q"k.json', 'q"k.txt'], /key \$?'?q"k'? is already taken by q"k\.json/],
      [['\u00e9.json', '\u00e9.ndjson'], /key \u00e9 is already taken by \u00e9\.json/],
      [['z', 'z.json'], /key z is already taken by z;/],
      [['k-1.json', 'k-2.json', 'k-3.json', 'k-2.txt'], /k-2\.txt: --key-by path: key k-2 is already taken by k-2\.json/],
      [['t\tab.json', 't\tab.j'], /tab\.json': --key-by path: key \$'t\\tab' is already taken by \$'t\\tab\.j'; /],
    ]) {
      const d = mk(Object.fromEntries(files.map((f, i) => [f, String(i)])));
      const r = await run([d, '-p', '*', '--key-by', 'path', '-q']);
      assert.equal(r.code, 3, `${files}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    // Different keys that share a prefix or a dot are no clash.
    const d = mk({ 'a.json': '1', 'a.b.json': '2', ab: '3', 'b.txt': '4' });
    const r = await run([d, '-p', '*', '--key-by', 'path', '-q']);
    ok(r);
    assert.deepEqual(JSON.parse(r.stdout), { a: 1, 'a.b': 2, ab: 3, b: 4 });
  });
});
