// Unit tests of the number rule (dist/decimal.js) and the misspelt-flag suggestions
// (dist/did-you-mean.js), against what JavaScript's own parsers would have guessed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decimalInteger, decimalNumber, decimalPercent } from '../../dist/decimal.js';
import { nearestFlags, typedUnknownFlags } from '../../dist/did-you-mean.js';

test('decimalInteger: every safe integer written plainly reads back, with spaces around it', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), fc.constantFrom('', ' ', '\n', '\t '), (n, pad) => {
      assert.equal(decimalInteger(`${pad}${n}${pad}`), n);
    }),
  );
});

test('decimalInteger: a text Number() would read differently is refused, never guessed', () => {
  const refused = [
    '',
    ' ',
    '08',
    '00',
    '010',
    '+1',
    '-0',
    '-1',
    '1e3',
    '1E3',
    '0x10',
    '0o7',
    '0b1',
    '1_000',
    '1.0',
    '1.',
    '.5',
    'Infinity',
    'NaN',
    '١',
    '1 2',
    '9007199254740992',
    '99999999999999999999',
  ];
  for (const text of refused) assert.equal(decimalInteger(text), undefined, JSON.stringify(text));
  // Any other text: accepted only when it is digits without a leading zero, and then it is Number's reading.
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'0123456789+-.eExob_ \n'.split('')), maxLength: 8 }), (text) => {
      const n = decimalInteger(text);
      if (n !== undefined) {
        assert.match(text.trim(), /^(0|[1-9][0-9]*)$/);
        assert.equal(n, Number(text));
      }
    }),
  );
});

test('decimalNumber: plain digits and an optional fraction (for values such as seconds)', () => {
  assert.equal(decimalNumber('30'), 30);
  assert.equal(decimalNumber(' 0.5\n'), 0.5);
  for (const text of ['.5', '5.', '05', '1e3', '0x10', '+1', '-1', 'Infinity', '1_0', '']) assert.equal(decimalNumber(text), undefined, text);
});

test('decimalPercent: plain digits, an optional fraction, then %', () => {
  assert.equal(decimalPercent('5%'), 5);
  assert.equal(decimalPercent(' 0.5% '), 0.5);
  assert.equal(decimalPercent('100%'), 100);
  for (const text of ['5', '05%', '.5%', '5.%', '1e1%', '+5%', '5 %', '%']) assert.equal(decimalPercent(text), undefined, text);
});

const KNOWN = [
  { name: 'output', short: 'o' },
  { name: 'expect' },
  { name: 'expect-names' },
  { name: 'gzip', short: 'z', boolean: true },
  { name: 'quiet', short: 'q', boolean: true },
  { name: 'version', short: 'V' },
];

test('nearestFlags: typos, case, prefixes, negations; nothing when nothing is close', () => {
  const cases = [
    ['--ouput', ['--output']],
    ['--outptu', ['--output']],
    ['--OUTPUT', ['--output']],
    ['--expcet', ['--expect']],
    ['--exp', ['--expect', '--expect-names']],
    ['--expect_names', ['--expect-names']],
    ['--output-file', ['--output']],
    ['--no-gzpi', ['--no-gzip']],
    ['--no-outptu', []],
    ['-O', ['-o (--output)']],
    ['-v', ['-V (--version)']],
    ['--o', ['-o (--output)']],
    ['-x', []],
    ['--bogus', []],
    ['--zz', []],
  ];
  for (const [typed, expected] of cases) assert.deepEqual(nearestFlags(typed, KNOWN), expected, typed);
});

test('typedUnknownFlags: the flags as typed, once each, none after --', () => {
  const unknown = new Set(['ouput', 'O', 'gzipp', 'x']);
  assert.deepEqual(typedUnknownFlags(['--ouput=a', '-qO', '--no-gzipp', '--ouput', 'b', '--', '-x'], unknown), ['--ouput', '-O', '--no-gzipp']);
});
