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

function incomplete(settings, found) {
  try {
    checkExpectation({ expect: undefined, expectNames: undefined, maxMissing: undefined, ...settings }, '/in', matched(found));
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
