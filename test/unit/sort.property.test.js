// The listing's sorts without a comparator per pair (sortNamesAt, PackedNames#sortedBy) against
// the comparators they replace (compareNaturalAt, compareBytesAt through Uint32Array#sort, the
// order every earlier version gave), on random byte names and on the edge cases by name.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PackedNames } from '../../dist/names.js';
import { compareBytesAt, compareNatural, compareNaturalAt, sortNamesAt } from '../../dist/sort.js';

const SEED = Number(process.env.FC_SEED ?? 20261126);
const opts = (numRuns) => ({ numRuns, seed: SEED, endOnFailure: false });

function pack(names) {
  const p = new PackedNames(16, 4);
  for (const n of names) p.pushBytes(n, 0, n.length);
  return p;
}

/** The reference: what arrange() did before, a stable sort of the indices with the comparator. */
function reference(p, natural) {
  return p.sorted(natural ? compareNaturalAt : compareBytesAt);
}

function assertSameOrder(names, label = '') {
  const p = pack(names);
  for (const natural of [true, false]) {
    const got = p.sortedBy(natural ? 'natural' : 'bytes');
    const want = reference(p, natural);
    if (!Buffer.from(got.buffer).equals(Buffer.from(want.buffer))) {
      const show = (o) => [...o].map((i) => JSON.stringify(names[i].toString('latin1'))).join(' ');
      assert.fail(`${natural ? 'natural' : 'byte'} order differs ${label}\n got: ${show(got)}\nwant: ${show(want)}`);
    }
  }
}

const b = (s) => Buffer.from(s, 'latin1');

// Heavy in digits and '0', separators, bytes >= 0x80 and invalid UTF-8 (a lone 0xff, 0xc3 '(' ...).
const BYTES = [...'0000123456789', '9', '/', '/', '.', '-', 'a', 'b', 'Z', '~', ' ']
  .map((c) => c.charCodeAt(0))
  .concat([0x80, 0xc3, 0x28, 0xff, 0xfe, 0x01, 0x2f]);
const byte = fc.constantFrom(...BYTES);
const digit = fc.constantFrom(...'0000000123456789'.split('').map((c) => c.charCodeAt(0)));
const part = fc.oneof(
  { weight: 6, arbitrary: fc.array(byte, { maxLength: 8 }) },
  { weight: 3, arbitrary: fc.array(digit, { minLength: 1, maxLength: 24 }) },
  // Long runs: past every integer type, and past the one-byte length field (255 digits).
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 250, max: 300 }), digit, digit).map(([n, x, y]) => [...Array(n).fill(x), y]) },
);
const nameArb = fc.array(part, { maxLength: 4 }).map((parts) => Buffer.from(parts.flat()));
// Names built from a few stems, so that many share long prefixes and differ late (or only in zeros).
const family = fc
  .tuple(fc.array(nameArb, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.array(digit, { maxLength: 3 })), { maxLength: 60 }))
  .map(([stems, picks]) => picks.map(([i, j, zeros]) => Buffer.concat([stems[i % stems.length], Buffer.from(zeros), stems[j % stems.length]])));

describe('sorting the listing without a comparator per pair', () => {
  test('random byte names: the same order as the comparators (natural and byte order)', () => {
    fc.assert(
      fc.property(fc.array(nameArb, { maxLength: 80 }), (names) => assertSameOrder(names)),
      opts(1500),
    );
  });

  test('names sharing stems, differing late or only in leading zeros, with duplicates', () => {
    fc.assert(
      fc.property(family, (names) => assertSameOrder(names)),
      opts(1500),
    );
  });

  test('every chunk width: a name ending exactly where a round ends, before longer ones', () => {
    // The key bytes per round depend on the count (index bits): cover several counts, and names
    // that are prefixes of each other at every length around those widths.
    for (const count of [2, 3, 200, 300, 70_000]) {
      const names = [];
      for (let i = 0; i < count; i++) names.push(b('abcdefghijklmnopq'.slice(0, 1 + (i % 17)) + (i % 5 === 0 ? '' : String(i % 7))));
      assertSameOrder(names, `(${count} names)`);
    }
  });

  test('fewer key bytes per round (as in lists of 2^16 to 2^31 names): the same order', () => {
    // Index bits 17, 25, 31 leave 5, 4 and 4 key bytes per round (none above the index).
    for (const bits of [9, 17, 25, 31]) {
      fc.assert(
        fc.property(fc.array(nameArb, { maxLength: 40 }), fc.boolean(), (names, natural) => {
          const p = pack(names);
          assert.deepEqual([...sortNamesAt(p.buffer, p.offsets, p.length, natural, bits)], [...reference(p, natural)]);
        }),
        opts(300),
      );
    }
  });

  test('the edge cases by name', () => {
    const cases = [
      // leading zeros: equal numbers, ties in byte order, also when a later part decides
      ['a1', 'a01', 'a001', 'a0', 'a00', 'a', 'a000', 'a01b', 'a1a', 'a1c', 'a001c', 'a10', 'a9', 'a010'],
      // digits next to non-digits on both sides, and the bytes around '0'..'9'
      ['a/1', 'a-1', 'a.1', 'a1', 'a:1', 'a1.', 'a1/', 'a1-', 'a1:', '1a', '/1', '1/', '9', ':', '/', '.', '-'],
      // long runs: beyond 2^53, beyond 2^64, beyond 255 digits (the length field's second form)
      [
        'x9007199254740993',
        'x9007199254740992',
        'x18446744073709551616',
        'x18446744073709551615',
        'x' + '9'.repeat(255),
        'x' + '1' + '0'.repeat(254),
        'x' + '1' + '0'.repeat(255),
        'x' + '0'.repeat(300) + '7',
        'x' + '9'.repeat(256) + 'a',
        'x' + '9'.repeat(256),
      ],
      // prefixes, '/' inside paths, empty components and an empty name
      ['', 'a', 'a/', 'a//', 'a//b', 'a/b', 'a/b/', 'a/b/c', 'ab', 'a-b', 'a.b', '//', '/', 'a/1/b', 'a/01/b', 'a/1//b'],
      // non-UTF-8 and high bytes, next to digits
      ['\xff1', '\xff01', '\xff10', '\x801', '\xc3(2', '\xc3(10', '\xc3\xa9', '\xfe9', '\x011', '\x01', '\x7f2'],
      // names differing only in the last byte, and duplicates (kept in listing order)
      ['part-1.json', 'part-1.json', 'part-10.json', 'part-2.json', 'part-01.json', 'part-1.json', 'part-1.jsoo'],
    ];
    for (const names of cases) assertSameOrder(names.map(b), JSON.stringify(names));
  });

  test('natural order by example: numbers by value, ties in byte order, then listing order', () => {
    const names = ['a10', 'a9', 'a01', 'a1', 'b', 'a1', 'a' + '1'.repeat(300), 'a' + '9'.repeat(20)].map(b);
    const got = [...pack(names).sortedBy('natural')];
    assert.deepEqual(got, [2, 3, 5, 1, 0, 7, 6, 4]);
    assert.deepEqual([...pack(names).sortedBy('bytes')], [2, 3, 5, 0, 6, 1, 7, 4]);
  });

  test('a name with a NUL byte (never from a file system; S3 keys) keeps the comparator order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.constantFrom(0, 0, 0x30, 0x31, 0x61), { maxLength: 6 }).map((a) => Buffer.from(a)),
          { maxLength: 30 },
        ),
        (names) => assertSameOrder(names),
      ),
      opts(500),
    );
  });

  test('on UTF-8 names, the order of the string comparator (compareNatural) too', () => {
    const str = fc.array(fc.constantFrom('0', '0', '1', '7', '9', 'é', '😀', '/', '-', 'a', '\uffff'), { maxLength: 10 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.array(str, { maxLength: 40 }), (names) => {
        const want = Array.from(names.keys()).sort((x, y) => compareNatural(names[x], names[y]));
        assert.deepEqual([...pack(names.map((n) => Buffer.from(n))).sortedBy('natural')], want);
      }),
      opts(500),
    );
  });
});
