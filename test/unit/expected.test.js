// Unit and property tests of the --expect-names check on bytes (dist/expected.js): the hash-table
// lookup against a reference built on a Set of base64 strings, and the list's validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { expectedNames } from '../../dist/expected.js';
import { PackedNames } from '../../dist/names.js';
import { quoteName } from '../../dist/quote.js';

const SEED = Number(process.env.FC_SEED ?? 20261126);
const opts = (numRuns) => ({ numRuns, seed: SEED, endOnFailure: false });
const b64 = (b) => Buffer.from(b).toString('base64');

/** A listing as discovery hands it over: packed names (in walk order) and a run order. */
function listing(names, order) {
  const packed = new PackedNames(16, 4); // small: the buffers grow
  for (const n of names) packed.push(Buffer.alloc(0), n);
  return { names: packed, order: Uint32Array.from(order ?? names.map((_, i) => i)) };
}

/** Reference: missing in list order, extra in run order, by base64 of the bytes. */
function reference(expected, names, order) {
  const want = new Set(expected.map(b64));
  const have = new Set(names.map(b64));
  return {
    missing: expected.map(b64).filter((x) => !have.has(x)),
    extra: order.map((i) => b64(names[i])).filter((x) => !want.has(x)),
  };
}

// Names as discovery reports them: no NUL, no empty/'.'/'..' component; bytes of any kind, few
// distinct values so that lists share names and hashes collide in small tables.
const component = fc
  .uint8Array({ minLength: 1, maxLength: 6 })
  .map((a) => Buffer.from(a.map((b) => (b === 0 || b === 0x2f ? 0x61 : b % 4 === 0 ? 0x61 + (b % 3) : b))))
  .filter((c) => !c.equals(Buffer.from('.')) && !c.equals(Buffer.from('..')));
const name = fc.array(component, { minLength: 1, maxLength: 3 }).map((cs) => Buffer.concat(cs.flatMap((c, i) => (i ? [Buffer.from('/'), c] : [c]))));
const uniqueNames = (max) => fc.uniqueArray(name, { maxLength: max, selector: b64 });

test('property: missing and extra names equal the reference (Set of base64), in list and run order', () => {
  fc.assert(
    fc.property(uniqueNames(40), uniqueNames(40), fc.infiniteStream(fc.nat()), (expected, found, random) => {
      // The matched set shares part of the expected one.
      const names = [...new Map([...found, ...expected.filter((_, i) => i % 3 !== 0)].map((n) => [b64(n), n])).values()];
      const order = names.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = random.next().value % (i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      const got = expectedNames(expected).difference(listing(names, order));
      assert.deepEqual({ missing: got.missing.map(b64), extra: got.extra.map(b64) }, reference(expected, names, order));
    }),
    opts(400),
  );
});

test('property: a list naming a name twice is refused at its second listing, however the names are given', () => {
  fc.assert(
    fc.property(uniqueNames(30), fc.nat(), fc.nat(), fc.boolean(), (names, a, b, asString) => {
      fc.pre(names.length > 0);
      const list = [...names];
      const dup = names[a % names.length];
      const at = b % (list.length + 1);
      list.splice(at, 0, asString && dup.toString('utf8') === dup.toString('latin1') ? dup.toString('latin1') : dup);
      const firstSecond = list.findIndex((n, i) => list.slice(0, i).some((m) => Buffer.from(m).equals(Buffer.from(n))));
      // The name reported is the first one listed a second time.
      assert.throws(() => expectedNames(list), { message: `expectNames: ${quoteName(Buffer.from(list[firstSecond]))} is listed twice` });
    }),
    opts(300),
  );
});

test('names discovery can never report are refused; the first fault in list order wins', () => {
  for (const bad of ['/abs.json', 'a//b.json', 'a/', '.', '..', 'a/./b', 'a/../b', './a', '../a', '', 'a/.', 'a/..']) {
    assert.throws(() => expectedNames(['ok.json', bad]), /is not a relative path as discovery reports it/, JSON.stringify(bad));
  }
  for (const good of ['.a', '..a', 'a..', 'a/.b/c', '...', 'a/.../b', 'a\\b', ' ', 'a\n', '\u00e9']) {
    assert.equal(expectedNames([good]).length, 1, JSON.stringify(good));
  }
  assert.throws(() => expectedNames([Buffer.from('a\u0000b')]), /holds a NUL byte/);
  assert.throws(() => expectedNames(['/x\u0000']), /holds a NUL byte/);
  assert.throws(() => expectedNames(['a', 'a', '/b']), /a is listed twice/);
  assert.throws(() => expectedNames(['/b', 'a', 'a']), /\/b is not a relative path/);
  assert.throws(() => expectedNames(['ok', '\ud800.json']), /element 1 "\\ud800\.json" holds a lone UTF-16 surrogate/);
  assert.equal(expectedNames(['\ud83d\ude00.json']).length, 1); // a surrogate pair is a character
});

test('a string and the same bytes given as a Buffer are one name', () => {
  assert.throws(() => expectedNames(['caf\u00e9', Buffer.from('caf\u00e9')]), /caf\u00e9 is listed twice/);
  const got = expectedNames(['caf\u00e9', Buffer.from([0x63, 0xff])]).difference(listing([Buffer.from('caf\u00e9'), Buffer.from([0x63, 0xfe])]));
  assert.deepEqual(got.missing, [Buffer.from([0x63, 0xff])]);
  assert.deepEqual(got.extra, [Buffer.from([0x63, 0xfe])]);
});

test('thousands of names sharing a hash bucket prefix still match one to one', () => {
  const names = Array.from({ length: 5000 }, (_, i) => `dir/part-${i}.json`);
  const found = [...names.slice(1), 'dir/part-5000.json'];
  const got = expectedNames(names).difference(listing(found));
  assert.deepEqual(got.missing.map(String), ['dir/part-0.json']);
  assert.deepEqual(got.extra.map(String), ['dir/part-5000.json']);
});

test('two names with the same hash (FNV-1a) and length are still told apart by their bytes', () => {
  const [a, b] = ['xkwyygno.json', 'gmqnmvzx.json']; // a 32-bit FNV-1a collision
  assert.equal(expectedNames([a, b]).length, 2, 'not a duplicate');
  const got = expectedNames([a]).difference(listing([b]));
  assert.deepEqual([got.missing.map(String), got.extra.map(String)], [[a], [b]]);
  const both = expectedNames([a, b]).difference(listing([b, a]));
  assert.deepEqual([both.missing, both.extra], [[], []]);
});
