// Unit tests of the fan-in contract's report and message (dist/contract.js): the words a user
// reads on exit 4 and the capped lists --stats carries, at the edges the CLI tests do not reach
// (one file, exactly MESSAGE_NAMES names, more than STATS_NAMES names, no names at all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STATS_NAMES, checkExpectation, contractStats, parseExpectCount } from '../../dist/contract.js';
import { expectedNames } from '../../dist/expected.js';
import { PackedNames } from '../../dist/names.js';

/** The matched set discovery would report for these names, in this run order. */
function matched(names) {
  const packed = new PackedNames();
  for (const n of names) packed.push(Buffer.alloc(0), n);
  return { names: packed, order: Uint32Array.from(names.keys()) };
}

const files = (n, stem = 'part') => Array.from({ length: n }, (_, i) => `${stem}-${i}.json`);

const check = (settings, found, leftOut = []) =>
  checkExpectation({ expect: undefined, expectNames: undefined, maxMissing: undefined, ...settings }, '/in', matched(found), leftOut);

function incomplete(settings, found, leftOut = []) {
  try {
    check(settings, found, leftOut);
  } catch (error) {
    assert.equal(error.constructor.name, 'IncompleteInputError');
    return error;
  }
  assert.fail('expected the contract to fail');
}

test('one expected file is "1 file"; the count alone lists no names', () => {
  const e = incomplete({ expect: 1 }, files(2));
  assert.match(e.message, /: expected 1 file, found 2; 1 unexpected\. Nothing was written/);
  const m = incomplete({ expect: 3 }, files(1));
  assert.match(m.message, /: expected 3 files, found 1; 2 missing\. Nothing was written/);
  assert.doesNotMatch(m.message, /unexpected/);
});

test('exactly ten missing names are all listed, with no "and 0 more"', () => {
  const e = incomplete({ expectNames: expectedNames(files(12)) }, files(2));
  assert.match(e.message, /10 missing: part-2\.json, .*, part-11\.json\. Nothing was written/);
  assert.doesNotMatch(e.message, /more/);
  const f = incomplete({ expectNames: expectedNames(files(13)) }, files(2));
  assert.match(f.message, /11 missing: part-2\.json, .*, part-11\.json and 1 more\. /);
});

test('--stats lists the first STATS_NAMES missing and extra names, and counts all', () => {
  const e = incomplete({ expectNames: expectedNames(files(STATS_NAMES + 3, 'want')) }, files(STATS_NAMES + 2, 'got'));
  const s = e.report;
  assert.equal(s.missingFiles.length, STATS_NAMES);
  assert.equal(s.extraFiles.length, STATS_NAMES);
  assert.deepEqual(s.missingFiles.at(-1), { path: `want-${STATS_NAMES - 1}.json` });
  assert.deepEqual(s.extraFiles.at(-1), { path: `got-${STATS_NAMES - 1}.json` });
  assert.equal(s.missing, STATS_NAMES + 3);
  assert.equal(s.extra, STATS_NAMES + 2);
});

test('without names expected the report names none: null (unknown), not [] (none)', () => {
  const r = checkExpectation({ expect: undefined, expectNames: undefined, maxMissing: undefined }, '/in', matched(files(3)));
  assert.deepEqual(r, { expected: null, found: 3, missing: 0, extra: 0, missingNames: null, extraNames: null });
  assert.deepEqual(contractStats(r), { expected: null, missing: 0, extra: 0, missingFiles: null, extraFiles: null });
  const counted = checkExpectation({ expect: 2, expectNames: undefined, maxMissing: { count: 1 } }, '/in', matched(files(1)));
  assert.deepEqual(contractStats(counted), { expected: 2, missing: 1, extra: 0, missingFiles: null, extraFiles: null });
});

test('--expect takes a count and nothing else', () => {
  assert.equal(parseExpectCount('7'), 7);
  assert.equal(parseExpectCount(0), 0);
  for (const bad of ['abc', '-1', '', -1, 1.5, undefined]) assert.throws(() => parseExpectCount(bad), /invalid --expect/, String(bad));
});

// Files matched but left out of the output (a name the zip cannot carry, a file gone during the
// run), as run.ts passes them: they count as missing, and the message names them instead of a
// retry hint.

/** A matched file the output will not hold. */
const left = (name, reason = 'the zip cannot carry this name') => ({ name: Buffer.from(name), reason });

const END = " (exit 4). Check the fan-out's outputs, --pattern/--ignore and the mount.";

test('a file left out counts as missing against --expect N, is named with its reason, and there is no retry hint', () => {
  const e = incomplete({ expect: 3 }, ['a.json', 'b.json', 'c\u0007.json'], [left('c\u0007.json')]);
  assert.equal(
    e.message,
    `incomplete input under /in: expected 3 files, found 2; 1 missing; 1 matched but left out of the output, counted as missing: $'c\\x07.json' (the zip cannot carry this name). Nothing was written${END}`,
  );
  assert.deepEqual(e.report, { expected: 3, missing: 1, extra: 0, missingFiles: null, extraFiles: null });
  // Tolerated, the report still counts it: found is what the output will hold.
  const r = check({ expect: 3, maxMissing: { count: 1 } }, ['a.json', 'b.json', 'c.json'], [left('c.json')]);
  assert.deepEqual(r, { expected: 3, found: 2, missing: 1, extra: 0, missingNames: null, extraNames: null });
  assert.deepEqual(check({}, ['a.json', 'b.json'], [left('b.json')]), { expected: null, found: 1, missing: 0, extra: 0, missingNames: null, extraNames: null });
});

test('with names expected, an expected file left out is missing and an unexpected one stays extra', () => {
  const want = expectedNames(['a.json', 'b.json', 'c.json']);
  const e = incomplete({ expectNames: want }, ['a.json', 'b.json', 'c.json', 'x.json'], [left('b.json', 'gone'), left('x.json')]);
  assert.equal(
    e.message,
    'incomplete input under /in: expected 3 files, found 2; 1 missing: b.json; 1 unexpected: x.json; ' +
      `2 matched but left out of the output, counted as missing: b.json (gone), x.json (the zip cannot carry this name). Nothing was written${END}`,
  );
  assert.deepEqual(e.report, { expected: 3, missing: 1, extra: 1, missingFiles: [{ path: 'b.json' }], extraFiles: [{ path: 'x.json' }] });
  const r = check({ expectNames: want, maxMissing: { count: 1 } }, ['a.json', 'b.json', 'c.json'], [left('b.json')]);
  assert.deepEqual(r, { expected: 3, found: 2, missing: 1, extra: 0, missingNames: [Buffer.from('b.json')], extraNames: [] });
});

test('the left-out files listed are capped at ten, the rest counted', () => {
  const names = files(12, 'odd');
  const ten = incomplete(
    { expect: 12 },
    names,
    names.slice(0, 10).map((n) => left(n, 'r')),
  );
  const shown = (k) =>
    names
      .slice(0, k)
      .map((n) => `${n} (r)`)
      .join(', ');
  assert.equal(
    ten.message,
    `incomplete input under /in: expected 12 files, found 2; 10 missing; 10 matched but left out of the output, counted as missing: ${shown(10)}. Nothing was written${END}`,
  );
  const all = incomplete(
    { expect: 12 },
    names,
    names.map((n) => left(n, 'r')),
  );
  assert.equal(
    all.message,
    `incomplete input under /in: expected 12 files, found 0; 12 missing; 12 matched but left out of the output, counted as missing: ${shown(10)} and 2 more. Nothing was written${END}`,
  );
});

test('with nothing left out the message says a retry reads the same input, and lists no names it does not have', () => {
  const counted = incomplete({ expect: 3 }, files(1));
  assert.equal(counted.message, `incomplete input under /in: expected 3 files, found 1; 2 missing. Nothing was written; a retry reads the same input${END}`);
  const named = incomplete({ expectNames: expectedNames(['a.json']) }, ['b.json']);
  assert.equal(
    named.message,
    `incomplete input under /in: expected 1 file, found 1; 1 missing: a.json; 1 unexpected: b.json. Nothing was written; a retry reads the same input${END}`,
  );
});
