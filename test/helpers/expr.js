// A small evaluator for the subset of expr (github.com/expr-lang/expr, the language of Argo's
// `retryStrategy.expression` and `{{= ...}}` tags) that the manifests use, so tests can check
// what an expression does rather than what its text looks like.
//
// Covered: literals (numbers, "..." and '...' strings, true, false, nil, [arrays]), member
// access (a.b, a['b'], a[0]), calls (asInt, asFloat, len, string, sprig.fromJson, ...),
// ! / not, unary -, + - * / %, == != < > <= >=, in / not in, matches, && / and, || / or,
// ?: and parentheses. Semantics follow expr's where they differ from JavaScript's: no implicit
// conversion (1 == "1" is false, "1" < 2 is an error), && / || / ! want booleans, `in` tests
// membership in an array or a key of a map, a missing map key is nil. Anything else throws, so
// an expression outside the subset fails the test instead of being guessed at.

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'matches', 'true', 'false', 'nil']);

/** Splits an expression into tokens: { t: 'num'|'str'|'id'|'op', v }. */
export function tokenize(src) {
  const tokens = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9]/.test(c)) {
      const m = /^(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9_]+)?(?:[eE][+-]?[0-9]+)?)/.exec(src.slice(i));
      tokens.push({ t: 'num', v: Number(m[0].replace(/_/g, '')) });
      i += m[0].length;
    } else if (c === '"' || c === "'") {
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new SyntaxError(`unterminated string at ${i}`);
        const d = src[j];
        if (d === c) break;
        if (d === '\\') {
          const e = src[++j];
          const map = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", 0: '\0' };
          if (e === 'u') {
            v += String.fromCharCode(parseInt(src.slice(j + 1, j + 5), 16));
            j += 4;
          } else if (e in map) v += map[e];
          else throw new SyntaxError(`unknown escape \\${e} at ${j}`);
        } else v += d;
        j++;
      }
      tokens.push({ t: 'str', v });
      i = j + 1;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i));
      tokens.push({ t: KEYWORDS.has(m[0]) ? 'op' : 'id', v: m[0] });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (['==', '!=', '<=', '>=', '&&', '||', '??'].includes(two)) {
        tokens.push({ t: 'op', v: two });
        i += 2;
      } else if ('!<>+-*/%()[],.?:'.includes(c)) {
        tokens.push({ t: 'op', v: c });
        i++;
      } else {
        throw new SyntaxError(`unexpected character ${JSON.stringify(c)} at ${i}`);
      }
    }
  }
  return tokens;
}

/** Parses an expression into a tree of nodes; throws SyntaxError outside the subset. */
export function parse(src) {
  const tokens = tokenize(src);
  let p = 0;
  const peek = (v) => tokens[p] && tokens[p].t === 'op' && tokens[p].v === v;
  const take = (v) => {
    if (!peek(v)) throw new SyntaxError(`expected ${v} at token ${p} (${JSON.stringify(tokens[p]?.v ?? 'end')}) in ${src}`);
    p++;
  };

  const ternary = () => {
    const cond = or();
    if (peek('?')) {
      p++;
      const yes = ternary();
      take(':');
      return { k: 'if', cond, yes, no: ternary() };
    }
    return cond;
  };
  const or = () => {
    let left = and();
    while (peek('||') || peek('or') || peek('??')) {
      const op = tokens[p++].v;
      left = { k: op === '??' ? '??' : '||', left, right: and() };
    }
    return left;
  };
  const and = () => {
    let left = compare();
    while (peek('&&') || peek('and')) {
      p++;
      left = { k: '&&', left, right: compare() };
    }
    return left;
  };
  const compare = () => {
    let left = additive();
    for (;;) {
      if (['==', '!=', '<', '>', '<=', '>=', 'in', 'matches'].some((v) => peek(v))) {
        const op = tokens[p++].v;
        left = { k: 'bin', op, left, right: additive() };
      } else if (peek('not') && tokens[p + 1]?.t === 'op' && tokens[p + 1].v === 'in') {
        p += 2;
        left = { k: 'not', arg: { k: 'bin', op: 'in', left, right: additive() } };
      } else return left;
    }
  };
  const additive = () => {
    let left = multiplicative();
    while (peek('+') || peek('-')) {
      const op = tokens[p++].v;
      left = { k: 'bin', op, left, right: multiplicative() };
    }
    return left;
  };
  const multiplicative = () => {
    let left = unary();
    while (peek('*') || peek('/') || peek('%')) {
      const op = tokens[p++].v;
      left = { k: 'bin', op, left, right: unary() };
    }
    return left;
  };
  const unary = () => {
    if (peek('!') || peek('not')) {
      p++;
      return { k: 'not', arg: unary() };
    }
    if (peek('-')) {
      p++;
      return { k: 'neg', arg: unary() };
    }
    return postfix();
  };
  const postfix = () => {
    let node = primary();
    for (;;) {
      if (peek('.')) {
        p++;
        const name = tokens[p++];
        if (!name || name.t !== 'id') throw new SyntaxError(`expected a name after . in ${src}`);
        node = { k: 'member', obj: node, key: { k: 'lit', v: name.v } };
      } else if (peek('[')) {
        p++;
        const key = ternary();
        take(']');
        node = { k: 'member', obj: node, key };
      } else if (peek('(')) {
        p++;
        const args = [];
        while (!peek(')')) {
          args.push(ternary());
          if (!peek(')')) take(',');
        }
        take(')');
        node = { k: 'call', fn: node, args };
      } else return node;
    }
  };
  const primary = () => {
    const tok = tokens[p++];
    if (!tok) throw new SyntaxError(`unexpected end of ${src}`);
    if (tok.t === 'num' || tok.t === 'str') return { k: 'lit', v: tok.v };
    if (tok.t === 'id') return { k: 'var', name: tok.v };
    if (tok.v === 'true' || tok.v === 'false') return { k: 'lit', v: tok.v === 'true' };
    if (tok.v === 'nil') return { k: 'lit', v: null };
    if (tok.v === '(') {
      const inner = ternary();
      take(')');
      return inner;
    }
    if (tok.v === '[') {
      const items = [];
      while (!peek(']')) {
        items.push(ternary());
        if (!peek(']')) take(',');
      }
      take(']');
      return { k: 'array', items };
    }
    throw new SyntaxError(`unexpected ${JSON.stringify(tok.v)} in ${src}`);
  };

  const tree = ternary();
  if (p !== tokens.length) throw new SyntaxError(`unexpected ${JSON.stringify(tokens[p].v)} after a complete expression in ${src}`);
  return tree;
}

const typeOf = (v) => (v === null || v === undefined ? 'nil' : Array.isArray(v) ? 'array' : typeof v);

function equal(a, b) {
  if (typeOf(a) !== typeOf(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (typeOf(a) === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equal(a[k], b[k]));
  }
  return a === b;
}

function bool(v, what) {
  if (typeof v !== 'boolean') throw new TypeError(`${what} wants a bool, got ${typeOf(v)}`);
  return v;
}

/** Go's strconv.Atoi / ParseFloat, as expr's int() and float() apply them to strings. */
function toInt(v) {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string' && /^[+-]?[0-9]+$/.test(v)) return Number(v);
  throw new TypeError(`int(${JSON.stringify(v)}): invalid syntax`);
}
function toFloat(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(v)) return Number(v);
  throw new TypeError(`float(${JSON.stringify(v)}): invalid syntax`);
}

/** The functions Argo puts in an expression's environment (util/expr/env), as far as used. */
export const BUILTINS = {
  asInt: toInt,
  int: toInt,
  asFloat: toFloat,
  float: toFloat,
  string: (v) => (typeof v === 'string' ? v : JSON.stringify(v)),
  len: (v) => {
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (typeOf(v) === 'object') return Object.keys(v).length;
    throw new TypeError(`len of ${typeOf(v)}`);
  },
  toJson: (v) => JSON.stringify(v),
  // jsonpath(jsonText, '$.a.b[0]'): dotted keys and indexes only; a missing key throws, as
  // Argo's does (it panics, and the tag or metric fails).
  jsonpath: (text, path) => {
    if (typeof text !== 'string' || typeof path !== 'string') throw new TypeError('jsonpath wants (string, string)');
    if (!/^\$(?:\.[A-Za-z_][\w-]*|\[\d+\])*$/.test(path)) throw new SyntaxError(`jsonpath ${path}: outside the supported subset`);
    let v = JSON.parse(text);
    for (const [, key, index] of path.matchAll(/\.([A-Za-z_][\w-]*)|\[(\d+)\]/g)) {
      const k = key ?? Number(index);
      if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) throw new RangeError(`jsonpath ${path}: no ${JSON.stringify(k)}`);
      v = v[k];
    }
    return v;
  },
  sprig: {
    fromJson: (s) => {
      try {
        return JSON.parse(s);
      } catch {
        return null;
      }
    },
    toJson: (v) => JSON.stringify(v),
  },
};

function run(node, env) {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'array':
      return node.items.map((n) => run(n, env));
    case 'var': {
      if (Object.hasOwn(env, node.name)) return env[node.name];
      if (Object.hasOwn(BUILTINS, node.name)) return BUILTINS[node.name];
      throw new ReferenceError(`unknown name ${node.name}`);
    }
    case 'member': {
      const obj = run(node.obj, env);
      const key = run(node.key, env);
      if (Array.isArray(obj)) {
        if (typeof key !== 'number') throw new TypeError(`array index ${JSON.stringify(key)}`);
        const at = key < 0 ? obj.length + key : key;
        if (at < 0 || at >= obj.length) throw new RangeError(`index ${key} out of range`);
        return obj[at];
      }
      if (typeOf(obj) === 'object') return Object.hasOwn(obj, key) ? obj[key] : null;
      throw new TypeError(`cannot fetch ${JSON.stringify(key)} from ${typeOf(obj)}`);
    }
    case 'call': {
      const fn = run(node.fn, env);
      if (typeof fn !== 'function') throw new TypeError('not a function');
      return fn(...node.args.map((n) => run(n, env)));
    }
    case 'not':
      return !bool(run(node.arg, env), '!');
    case 'neg': {
      const v = run(node.arg, env);
      if (typeof v !== 'number') throw new TypeError(`-${typeOf(v)}`);
      return -v;
    }
    case '&&':
      return bool(run(node.left, env), '&&') ? bool(run(node.right, env), '&&') : false;
    case '||':
      return bool(run(node.left, env), '||') ? true : bool(run(node.right, env), '||');
    case '??': {
      const v = run(node.left, env);
      return v === null || v === undefined ? run(node.right, env) : v;
    }
    case 'if':
      return bool(run(node.cond, env), '?:') ? run(node.yes, env) : run(node.no, env);
    case 'bin': {
      const a = run(node.left, env);
      const b = run(node.right, env);
      switch (node.op) {
        case '==':
          return equal(a, b);
        case '!=':
          return !equal(a, b);
        case 'in':
          if (Array.isArray(b)) return b.some((x) => equal(a, x));
          if (typeOf(b) === 'object') return Object.hasOwn(b, a);
          throw new TypeError(`in ${typeOf(b)}`);
        case 'matches':
          if (typeof a !== 'string' || typeof b !== 'string') throw new TypeError(`${typeOf(a)} matches ${typeOf(b)}`);
          return new RegExp(b, 'u').test(a);
        case '+':
          if (typeof a === 'string' && typeof b === 'string') return a + b;
        // falls through: numbers only from here
        default: {
          const comparable =
            (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string' && ['<', '>', '<=', '>='].includes(node.op));
          if (!comparable) throw new TypeError(`invalid operation: ${typeOf(a)} ${node.op} ${typeOf(b)}`);
          switch (node.op) {
            case '<':
              return a < b;
            case '>':
              return a > b;
            case '<=':
              return a <= b;
            case '>=':
              return a >= b;
            case '+':
              return a + b;
            case '-':
              return a - b;
            case '*':
              return a * b;
            case '/':
              return a / b;
            case '%':
              return a % b;
          }
        }
      }
    }
  }
  throw new Error(`cannot evaluate node ${node.k}`);
}

/** Evaluates an expression against an environment (a plain object of variables). */
export function evaluate(src, env = {}) {
  return run(parse(src), env);
}

/**
 * The variables Argo gives a retryStrategy.expression (workflow/controller/operator.go,
 * buildRetryStrategyLocalScope): every value a string, exitCode "-1" when the node has none.
 */
export function retryEnv({ exitCode = '-1', status = 'Failed', message = '', duration = '10' } = {}) {
  return { lastRetry: { exitCode: String(exitCode), status, message, duration: String(duration) }, retries: '0' };
}
