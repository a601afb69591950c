// quoteName on names read from disk (bytes): the same text as for the same name given as a
// string (an independent path: a regex on the string), and on names it must quote (they hold a control character) that also hold UTF-8 at the
// edges of RFC 3629's table of well-formed sequences: a well-formed printable character is shown
// as it is, every byte of an ill-formed sequence as \xHH. The expected text comes from a reference
// decoder built on Node's isUtf8, not from quoteName.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { isPlainName, quoteName } from '../../dist/quote.js';

/** Length of the one well-formed character at `i` (by isUtf8 on 1..4 bytes), or 0. */
function charLength(bytes, i) {
  for (let len = 1; len <= 4 && i + len <= bytes.length; len++) {
    const slice = bytes.subarray(i, i + len);
    if (isUtf8(slice) && [...slice.toString('utf8')].length === 1) return len;
  }
  return 0;
}

/** bash's $'...' text of `bytes`, for names whose only unsafe characters are \n and ill-formed bytes. */
function expectedQuote(bytes) {
  let out = "$'";
  for (let i = 0; i < bytes.length;) {
    const len = charLength(bytes, i);
    if (len === 0) out += '\\x' + bytes[i].toString(16).padStart(2, '0');
    else if (bytes[i] === 0x0a) out += '\\n';
    else out += bytes.toString('utf8', i, i + len);
    i += len || 1;
  }
  return out + "'";
}

// Every printable, and at an edge of a row of the table (first or last lead byte, lowest or
// highest second byte).
const WELL_FORMED = [
  [0xc3, 0x80],
  [0xc3, 0xbf],
  [0xc2, 0xa1],
  [0xdf, 0xbf],
  [0xe0, 0xa0, 0x80],
  [0xe0, 0xbf, 0xbf],
  [0xe1, 0x80, 0x80],
  [0xec, 0xbf, 0xbf],
  [0xed, 0x80, 0x80],
  [0xed, 0x9f, 0xbf],
  [0xee, 0x80, 0x80],
  [0xef, 0xbf, 0xbd],
  [0xf0, 0x90, 0x80, 0x80],
  [0xf0, 0xbf, 0xbf, 0xbf],
  [0xf1, 0x80, 0x80, 0x80],
  [0xf3, 0xbf, 0xbf, 0xbf],
  [0xf4, 0x80, 0x80, 0x80],
  [0xf4, 0x8f, 0xbf, 0xbf],
];

// Just outside an edge: lone continuation bytes, overlong forms, surrogates, above U+10FFFF, a
// continuation byte out of range in each position, and sequences cut short.
const ILL_FORMED = [
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xc2, 0x41],
  [0xc2, 0xc0],
  [0xdf, 0xc0],
  [0xe0, 0x80, 0x80],
  [0xe0, 0x9f, 0xbf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xe1, 0x41, 0x80],
  [0xe1, 0xc0, 0x80],
  [0xe1, 0x80, 0x41],
  [0xe1, 0x80, 0xc0],
  [0xf0, 0x80, 0x80, 0x80],
  [0xf0, 0x8f, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf1, 0x80, 0x80, 0x41],
  [0xf1, 0x80, 0x80, 0xc0],
  [0xf1, 0x80, 0x41, 0x80],
  [0xf1, 0x80, 0xc0, 0x80],
  [0xf8, 0x80],
  [0xff],
  [0xe1, 0x80],
  [0xf1, 0x80, 0x80],
];

function variants(seq) {
  // At the end of the name, and followed by an ASCII letter (a decoder that reads one byte too
  // far sees it).
  return [Buffer.from([0x0a, ...seq]), Buffer.from([0x0a, ...seq, 0x41])];
}

test('the reference agrees with the table: well-formed rows are one character, the others none', () => {
  for (const seq of WELL_FORMED) assert.equal(charLength(Buffer.from(seq), 0), seq.length, Buffer.from(seq).toString('hex'));
  for (const seq of ILL_FORMED) assert.equal(charLength(Buffer.from(seq), 0), 0, Buffer.from(seq).toString('hex'));
});

test('a quoted name shows each well-formed character at an edge of the UTF-8 table as it is', () => {
  for (const seq of WELL_FORMED) {
    for (const name of variants(seq)) {
      const q = quoteName(name);
      assert.equal(q, expectedQuote(name), name.toString('hex'));
      assert.ok(q.includes(Buffer.from(seq).toString('utf8')), q);
    }
  }
});

test('a quoted name escapes every byte of an ill-formed sequence just outside an edge', () => {
  for (const seq of ILL_FORMED) {
    for (const name of variants(seq)) {
      const q = quoteName(name);
      assert.equal(q, expectedQuote(name), name.toString('hex'));
      assert.ok(q.includes('\\x' + seq[0].toString(16)), q);
    }
  }
});

// Names made of characters at the edges of what must be quoted (C0/C1 controls, DEL, space, soft
// hyphen, zero-width and bidi controls, BOM), of '$' and "'" (a name that starts like a quoted
// one), and of plain ASCII and non-ASCII letters; some of only non-ASCII characters.
const EDGE_CHARS = [
  '\x1f',
  ' ',
  '~',
  '\x7f',
  '\x80',
  '\x9f',
  '\xa0',
  '\xad',
  '\xae',
  '\u061c',
  '\u180e',
  '\u200b',
  '\u200f',
  '\u2010',
  '\u2028',
  '\u202e',
  '\u202f',
  '\u2060',
  '\u206f',
  '\u2070',
  '\ufeff',
  '\ufff9',
  '\ufffb',
  '\ufffc',
  '$',
  "'",
  'a',
  '\n',
  '\\',
  'é',
  '日',
  '\u{1f600}',
];
const SEED = Number(process.env.FC_SEED ?? 20261208);

test('a name read as bytes is shown exactly as the same name given as a string', () => {
  const fixed = ['\u200b', '\u202eab', 'é\u00ad', "$'", "$'x", '$', "a'b", "$a'", 'a b\n', ' ', 'a', 'ab'];
  const sampled = fc.sample(
    fc.array(fc.constantFrom(...EDGE_CHARS), { minLength: 1, maxLength: 6 }).map((a) => a.join('')),
    { numRuns: 300, seed: SEED },
  );
  for (const name of [...fixed, ...sampled]) {
    const bytes = Buffer.from(name);
    assert.equal(isPlainName(bytes), isPlainName(name), JSON.stringify(name));
    assert.equal(quoteName(bytes), quoteName(name), JSON.stringify(name));
    assert.equal(quoteName(new Uint8Array(bytes)), quoteName(name), JSON.stringify(name));
  }
});

test('a space in a quoted name stays a space', () => {
  assert.equal(quoteName('a b\n'), "$'a b\\n'");
  assert.equal(quoteName(Buffer.from('a b\n')), "$'a b\\n'");
});
