// json/numbers.ts: what --schema's validator sees of a number literal, against exact arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseForSchema, standIn } from '../../dist/json/numbers.js';

/** The literal's exact value as a fraction n / 10^k (BigInt), and whether it is an integer. */
function exact(literal) {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  const digits = BigInt(m[2] + (m[3] ?? ''));
  const scale = (m[3] ?? '').length - Number(m[4] ?? 0);
  const n = m[1] === '-' ? -digits : digits;
  return scale <= 0 ? { n: n * 10n ** BigInt(-scale), k: 0 } : { n, k: scale };
}
const isInteger = ({ n, k }) => k === 0 || n % 10n ** BigInt(k) === 0n;
/** Sign of exact - d, d a finite double (its exact value via BigInt when integral). */
function compare({ n, k }, d) {
  // d as a fraction: integral doubles only here, or 5e-324-sized ones compared by sign.
  if (!Number.isInteger(d)) return null;
  const diff = n - BigInt(d) * 10n ** BigInt(k);
  return diff > 0n ? 1 : diff < 0n ? -1 : 0;
}

let seed = 7;
const rand = (n) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
const digits = (len) => Array.from({ length: len }, () => '0123456789'[rand(10)]).join('');

function literal() {
  const int = String(rand(4) === 0 ? rand(10) : Number('1' + digits(rand(20))));
  const frac = rand(2) ? '' : '.' + '0'.repeat(rand(3) ? rand(25) : 0) + digits(1 + rand(5)) + '0'.repeat(rand(3));
  const exp = rand(3) ? '' : 'e' + ['', '+', '-'][rand(3)] + String(rand(2) ? rand(30) : rand(500));
  return (rand(2) ? '-' : '') + int + frac + exp;
}

test('a literal with a fractional part is never seen as an integer (below 2^52), and an integer always is', () => {
  let changed = 0;
  for (let i = 0; i < 20000; i++) {
    const lit = literal();
    const seen = Number(standIn(lit));
    // The cheap test in front of the rewrite finds every literal that needs it, alone or in a value.
    assert.equal(parseForSchema(lit), seen, lit);
    assert.equal(parseForSchema(`{"a":["x",${lit}]}`).a[1], seen, lit);
    const e = exact(lit);
    if (isInteger(e)) {
      assert.equal(standIn(lit), lit, lit);
      assert.ok(Number.isInteger(seen) || !Number.isFinite(seen), lit);
      continue;
    }
    const nearest = Number(lit);
    if (Number.isFinite(nearest) && Math.abs(nearest) < 2 ** 52) {
      assert.ok(!Number.isInteger(seen), `${lit} is seen as ${seen}`);
      if (Number.isInteger(nearest)) {
        changed++;
        // The stand-in is the next double from the nearest, on the side of the exact value.
        const side = compare(e, nearest);
        assert.equal(Math.sign(seen - nearest), side, `${lit}: nearest ${nearest}, seen ${seen}`);
      } else assert.equal(standIn(lit), lit);
    }
  }
  assert.ok(changed > 100, `the cases that matter were generated (${changed})`);
});

test('parseForSchema reads the same tree as JSON.parse but for such literals, and leaves strings alone', () => {
  const text = '{"a":[1.0000000000000000001,"1.0000000000000000001",1E-400,-1E-400],"b":12345678901234567890,"c":"\\"1e-400\\"","d":1e400}';
  assert.deepEqual(parseForSchema(text), {
    a: [1.0000000000000002, '1.0000000000000000001', 5e-324, -5e-324],
    b: 12345678901234567168, // the double nearest 12345678901234567890
    c: '"1e-400"',
    d: Infinity,
  });
  const plain = '{"a":[1,2.5,"x"],"b":{"c":null}}';
  assert.deepEqual(parseForSchema(plain), JSON.parse(plain));
});
