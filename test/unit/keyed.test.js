// Unit and property tests of --key-by's key writer (dist/json/keyed.js): keys written from the
// name bytes must be exactly JSON.stringify of the decoded key, and non-UTF-8 keys refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { keyLength, writeKey } from '../../dist/json/keyed.js';

const SEED = Number(process.env.FC_SEED ?? 20261126);
const opts = (numRuns) => ({ numRuns, seed: SEED, endOnFailure: false });

/** `"key":` as writeKey writes it, or null for -1. */
function written(rel, keyEnd = rel.length, at = 3) {
  const out = Buffer.alloc(at + keyEnd * 6 + 3, 0xee);
  const end = writeKey(rel, keyEnd, out, at);
  if (end < 0) return null;
  assert.ok(
    out.subarray(0, at).every((b) => b === 0xee),
    'nothing written before `at`',
  );
  return out.toString('utf8', at, end);
}

test('keyLength: the path without its last extension; a dot starting the base name is kept', () => {
  for (const [rel, key] of [
    ['a.json', 'a'],
    ['dir/part-7.json', 'dir/part-7'],
    ['sub/x.y.ndjson', 'sub/x.y'],
    ['noext', 'noext'],
    ['d.ir/noext', 'd.ir/noext'],
    ['.hidden', '.hidden'],
    ['d/.hidden', 'd/.hidden'],
    ['d/.x.json', 'd/.x'],
    ['a.', 'a'],
    ['d/..json', 'd/.'],
  ]) {
    assert.equal(keyLength(Buffer.from(rel)), Buffer.byteLength(key), rel);
  }
});

test('keys: plain names copied, others escaped as JSON.stringify does', () => {
  for (const key of [
    'part-1',
    'q"uote',
    'back\\slash',
    'tab\there',
    'nl\nx',
    '\u0001',
    'del\u007f',
    'caf\u00e9',
    '\u65e5\u672c',
    'ls\u2028ps\u2029',
    '\ud83d\ude00',
    'x'.repeat(100),
    '"'.repeat(70),
    '\u00e9'.repeat(40),
  ]) {
    assert.equal(written(Buffer.from(key)), JSON.stringify(key) + ':', JSON.stringify(key));
  }
  assert.equal(written(Buffer.from('a/b.json'), 3), '"a/b":');
  for (const bytes of [[0xff], [0x61, 0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x22, 0xfe]]) assert.equal(written(Buffer.from(bytes)), null, String(bytes));
});

test('property: writeKey equals JSON.stringify of the UTF-8 key, and refuses exactly the non-UTF-8 ones', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 90 }),
    fc.string({ unit: 'binary', maxLength: 80 }).map((s) => new Uint8Array(Buffer.from(s))),
    fc
      .string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u00e9', '\u2028', '\ud83d\ude00'), maxLength: 80 })
      .map((s) => new Uint8Array(Buffer.from(s))),
  );
  fc.assert(
    fc.property(bytes, fc.nat(5), (a, at) => {
      const rel = Buffer.from(a);
      const got = written(rel, rel.length, at);
      assert.equal(got, isUtf8(rel) ? JSON.stringify(rel.toString('utf8')) + ':' : null);
    }),
    opts(1000),
  );
});
