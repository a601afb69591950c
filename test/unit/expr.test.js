// The expr-subset evaluator the manifest tests use (test/helpers/expr.js): its answers on the
// constructs the manifests rely on, expr's strict typing, and refusals outside the subset.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parse, retryEnv } from '../helpers/expr.js';

describe('expr subset evaluator', () => {
  test('literals, arithmetic and precedence', () => {
    assert.equal(evaluate('1 + 2 * 3'), 7);
    assert.equal(evaluate('(1 + 2) * 3'), 9);
    assert.equal(evaluate('-2 + 5 % 3'), 0);
    assert.equal(evaluate('"a" + \'b\''), 'ab');
    assert.equal(evaluate('"q\\"x\\u0041"'), 'q"xA');
    assert.deepEqual(evaluate('[1, "x", [true, nil]]'), [1, 'x', [true, null]]);
  });

  test('boolean operators short-circuit and want booleans', () => {
    assert.equal(evaluate('true && false || true'), true);
    assert.equal(evaluate('true or false and false'), true); // and binds tighter
    assert.equal(evaluate('false && x.y.z'), false); // right side never evaluated
    assert.equal(evaluate('!false'), true);
    assert.equal(evaluate('not true'), false);
    assert.throws(() => evaluate('1 && true'), TypeError);
    assert.throws(() => evaluate('!"x"'), TypeError);
  });

  test('comparison is typed: no implicit conversion', () => {
    assert.equal(evaluate('1 == 1.0'), true);
    assert.equal(evaluate('"1" == 1'), false);
    assert.equal(evaluate('"1" != 1'), true);
    assert.throws(() => evaluate('"1" < 2'), TypeError);
    assert.equal(evaluate('"a" < "b"'), true);
  });

  test('in, not in, matches', () => {
    assert.equal(evaluate('2 in [2, 3, 4]'), true);
    assert.equal(evaluate('"2" in [2, 3, 4]'), false);
    assert.equal(evaluate('5 not in [2, 3, 4]'), true);
    assert.equal(evaluate('!(3 in [2, 3, 4])'), false);
    assert.equal(evaluate('"a" in m', { m: { a: 1 } }), true); // a map: its keys
    assert.equal(evaluate('"b" in m', { m: { a: 1 } }), false);
    assert.equal(evaluate('"pod deleted" matches "pod deleted|node shutdown"'), true);
    assert.equal(evaluate('"Pod was terminated in response to imminent node shutdown." matches "imminent node shutdown"'), true);
    assert.equal(evaluate('"" matches "pod deleted"'), false);
    assert.throws(() => evaluate('1 matches "1"'), TypeError);
  });

  test('variables, members, calls', () => {
    const env = { a: { b: 'x', list: [10, 20] }, 'hy-phen': 1 };
    assert.equal(evaluate('a.b', env), 'x');
    assert.equal(evaluate("a['b']", env), 'x');
    assert.equal(evaluate('a.list[1]', env), 20);
    assert.equal(evaluate('a.list[-1]', env), 20);
    assert.equal(evaluate('a.missing', env), null);
    assert.equal(evaluate('a.missing ?? "d"', env), 'd');
    assert.equal(evaluate('len(sprig.fromJson("[1,2,3]"))'), 3);
    assert.equal(evaluate('len("héllo")'), 5);
    assert.equal(evaluate('asInt("-1")'), -1);
    assert.equal(evaluate('asFloat("2.5") * 2'), 5);
    assert.throws(() => evaluate('asInt("1.5")'), TypeError);
    assert.throws(() => evaluate('asInt("")'), TypeError);
    assert.throws(() => evaluate('nope.x'), ReferenceError);
  });

  test('ternaries nest to the right', () => {
    const src = "m == 'json' ? 'results.json' : m == 'tar' ? 'results.tar.gz' : 'results.zip'";
    assert.equal(evaluate(src, { m: 'json' }), 'results.json');
    assert.equal(evaluate(src, { m: 'tar' }), 'results.tar.gz');
    assert.equal(evaluate(src, { m: 'zip' }), 'results.zip');
  });

  test('what is outside the subset is refused, not guessed', () => {
    for (const src of ['1 +', 'a ==', '{"a": 1}', 'x | filter', '1 2', '"open', 'a..b', 'f(1,']) {
      assert.throws(() => parse(src), SyntaxError, src);
    }
  });

  test('retryEnv gives the variables Argo gives, as strings', () => {
    assert.deepEqual(retryEnv({ exitCode: 1, status: 'Failed' }).lastRetry, { exitCode: '1', status: 'Failed', message: '', duration: '10' });
    assert.equal(evaluate('asInt(lastRetry.exitCode) == 1', retryEnv({ exitCode: 1 })), true);
    assert.equal(evaluate('lastRetry.exitCode == 1', retryEnv({ exitCode: 1 })), false); // a string, as in Argo
  });
});
