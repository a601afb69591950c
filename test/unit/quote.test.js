// Unit tests of quoteName / nameFields (dist/quote.js): names shown in messages can never forge a
// line or hide their bytes, and bash's $'...' gives the exact name back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { isPlainName, nameFields, quoteName, quoteValue } from '../../dist/quote.js';

test('plain names are shown as they are, string or bytes', () => {
  for (const name of ['part-1.json', 'dir/ü mlaut.json', "it's.json", '日本.json', 'a b\u00a0c']) {
    assert.equal(quoteName(name), name);
    assert.equal(quoteName(Buffer.from(name)), name);
  }
});

test('control characters, escapes and invalid UTF-8 are quoted byte by byte', () => {
  assert.equal(quoteName('a\nb'), "$'a\\nb'");
  assert.equal(quoteName('e\x1b[2J.json'), "$'e\\x1b[2J.json'");
  assert.equal(quoteName("t\tq'\\r\r"), "$'t\\tq\\'\\\\r\\r'");
  assert.equal(quoteName('del\x7f'), "$'del\\x7f'");
  assert.equal(quoteName('c1\u0085'), "$'c1\\xc2\\x85'");
  assert.equal(quoteName('bidi\u202eevil'), "$'bidi\\xe2\\x80\\xaeevil'");
  assert.equal(quoteName(Buffer.from([0x61, 0xff, 0x62])), "$'a\\xffb'");
  assert.equal(quoteName(Buffer.from([0xc3])), "$'\\xc3'"); // truncated sequence
  assert.equal(quoteName(Buffer.from([0xed, 0xa0, 0x80])), "$'\\xed\\xa0\\x80'"); // encoded surrogate
});

test('a plain name that starts like a quoted one is quoted too (no two names print alike)', () => {
  assert.notEqual(quoteName("$'a\\nb'"), quoteName('a\nb'));
  assert.equal(isPlainName("$'x'"), false);
  assert.equal(isPlainName('$x'), true);
});

test('a quoted name never holds a control byte, and bash turns it back into the exact bytes', () => {
  const hasBash = spawnSync('bash', ['-c', 'true']).status === 0;
  // A fixed seed: the same names every run (FC_SEED to try others).
  const seed = Number(process.env.FC_SEED ?? 20261208);
  const names = fc.sample(
    fc.uint8Array({ minLength: 1, maxLength: 12 }).filter((b) => !b.includes(0) && !b.includes(0x2f)),
    { numRuns: 200, seed },
  );
  // DEL in an otherwise plain ASCII name (the byte path's fast loop), and in a UTF-8 one.
  names.push(Buffer.from("$'\n"), Buffer.from('\x1b]0;title\x07'), Buffer.from('del\x7f.json'), Buffer.from('\x7f'), Buffer.from('ü\x7f'));
  const script = [];
  for (const bytes of names) {
    const q = quoteName(Buffer.from(bytes));
    assert.ok(!/[\x00-\x1f\x7f]/.test(q), JSON.stringify(q));
    script.push(`printf '%s' ${q.startsWith("$'") ? q : `'${q.replace(/'/g, `'\\''`)}'`} | od -An -tx1 | tr -d ' \\n'; echo`);
  }
  if (!hasBash) return;
  const out = spawnSync('bash', ['-c', script.join('\n')], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n');
  names.forEach((bytes, i) => assert.equal(out[i], Buffer.from(bytes).toString('hex'), quoteName(Buffer.from(bytes))));
});

test('nameFields: the name itself when UTF-8, else the quoted form and the exact bytes', () => {
  assert.deepEqual(nameFields('a\nb.json'), { path: 'a\nb.json' });
  assert.deepEqual(nameFields(Buffer.from('ok.json')), { path: 'ok.json' });
  const bytes = Buffer.from([0x78, 0xff]);
  assert.deepEqual(nameFields(bytes), { path: "$'x\\xff'", pathBase64: bytes.toString('base64') });
});

test('quoteValue: a typed value in quotes that bash reads back as the same text', () => {
  const values = ['tarr', 'x"y', "it's", "a\\'b", "$'x", '0\t/2', 'x\x1b[2J', 'ü\u202e', ' 0/1\n', '\\'];
  const shown = values.map(quoteValue);
  assert.equal(shown[0], "'tarr'");
  assert.equal(shown[2], "$'it\\'s'");
  for (const q of shown) assert.ok(!/[\x00-\x1f\x7f]/.test(q) && /^(\$?)'.*'$/s.test(q), JSON.stringify(q));
  if (spawnSync('bash', ['-c', 'true']).status !== 0) return;
  const script = shown.map((q) => `printf '%s' ${q} | od -An -tx1 | tr -d ' \\n'; echo`).join('\n');
  const out = spawnSync('bash', ['-c', script], { encoding: 'utf8' }).stdout.trim().split('\n');
  values.forEach((v, i) => assert.equal(out[i], Buffer.from(v).toString('hex'), shown[i]));
});
