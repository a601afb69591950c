// --schema FILE as a user runs it: the built bin on real temp dirs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, run, tempTrees } from '../helpers/cli.js';

const mk = tempTrees('agg-schema-');

const ok = (r) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
const json = (v) => JSON.stringify(v);

// A record as the writers of a fan-out produce it, and a schema for it.
const SCHEMA = {
  $defs: { score: { type: 'number', minimum: 0 } },
  type: 'object',
  required: ['id', 'score'],
  properties: {
    id: { type: 'integer' },
    score: { $ref: '#/$defs/score' },
    items: { type: 'array', items: { type: 'object', properties: { score: { $ref: '#/$defs/score' } } } },
  },
};

/** A dir `in/` of fragments and the schema file `schema.json` next to it; returns both paths. */
function setup(fragments, schema = SCHEMA, name = 'schema.json') {
  const root = mk({ [name]: typeof schema === 'string' ? schema : json(schema) });
  const dir = path.join(root, 'in');
  fs.mkdirSync(dir);
  for (const [rel, content] of Object.entries(fragments)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return { root, dir, schema: path.join(root, name), out: path.join(root, 'out.json') };
}

describe('values that match', () => {
  test('the output is byte for byte the output of the same run without --schema', async () => {
    const { dir, schema } = setup({
      'a.json': '{\n  "id": 1,\n  "score": 2.50,\n  "items": [ {"score": 1e2} ]\n}\n',
      'b.json': '{"id":2,"score":0}\n{"id":3,"score":7, "extra": "\\u00e9"}',
      'c.json': '',
    });
    for (const extra of [[], ['--format', 'ndjson']]) {
      const plain = await run([dir, '-q', ...extra]);
      const checked = await run([dir, '-q', '--schema', schema, ...extra]);
      ok(plain);
      ok(checked);
      assert.ok(checked.stdout.length > 0);
      assert.deepEqual(checked.stdout, plain.stdout, extra.join(' '));
    }
  });

  test('integers past 2^53 and numbers like 1E400 pass as what their JSON says, and are written untouched', async () => {
    const text = '{"id":123456789012345678901234567890,"score":1E400,"items":[{"score":9007199254740993}]}\n{"id":-0,"score":1.0E+400}';
    const { dir, schema } = setup({ 'big.json': text });
    const r = await run([dir, '-q', '--format', 'ndjson', '--schema', schema]);
    ok(r);
    assert.equal(r.stdout.toString(), text.replace('\n', '\n') + '\n');
    // Without the schema the same bytes: nothing was rounded on the way.
    assert.deepEqual(r.stdout, (await run([dir, '-q', '--format', 'ndjson'])).stdout);
  });

  test('a number with a fractional part is not an integer, even where the nearest double is one', async () => {
    for (const literal of ['1E-400', '1.0000000000000000001', '-0.00000000000000000000001', '12345.000000000000000000001']) {
      const { dir, schema } = setup({ 'x.json': `{"id":${literal},"score":1}` });
      const r = await run([dir, '-q', '--schema', schema]);
      assert.equal(r.code, 3, `${literal}: ${r.stderr}`);
      assert.match(r.stderr, /\/id must be integer \(keyword "type"/, literal);
    }
    // Integers written with a fraction or an exponent are integers.
    const { dir, schema } = setup({
      'x.json': '{"id":1.0,"score":1}\n{"id":1E400,"score":1}\n{"id":2.5e1,"score":1}\n{"id":-12345678901234567890.000,"score":1}',
    });
    ok(await run([dir, '-q', '--schema', schema]));
  });

  test('minimum and exclusiveMinimum see 1E-400 above 0, and 1E400 above any maximum', async () => {
    const schema = { type: 'number', exclusiveMinimum: 0, maximum: 1e308 };
    const tiny = setup({ 'x.json': '1E-400' }, schema);
    ok(await run([tiny.dir, '-q', '--schema', tiny.schema]));
    const negative = setup({ 'x.json': '-1E-400' }, schema);
    assert.equal((await run([negative.dir, '-q', '--schema', negative.schema])).code, 3);
    const huge = setup({ 'x.json': '1E400' }, schema);
    const r = await run([huge.dir, '-q', '--schema', huge.schema]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /value 0 does not match --schema: the value must be <= 1e\+308 \(keyword "maximum"/);
  });
});

describe('values that do not match', () => {
  test('--on-invalid fail: exit 3, nothing written, every failing fragment listed with value index, pointer and keyword', async () => {
    const { dir, schema, out } = setup({
      'a.json': json({ id: 1, score: 1 }),
      'b.json': `${json({ id: 2, score: 1 })}\n${json({ id: 3, score: 2, items: [{}, {}, {}, { score: 'high' }] })}`,
      'c.json': json({ score: 1 }),
      'd.json': json({ id: 4, score: -1 }),
    });
    const r = await run([dir, '-q', '--schema', schema, '-o', out]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(fs.existsSync(out), false, 'nothing written');
    assert.match(r.stderr, /3 invalid fragments, nothing written/);
    assert.ok(
      r.stderr.includes(`${path.join(dir, 'b.json')}: value 1 does not match --schema: /items/3/score must be number (keyword "type" at #/$defs/score/type)`),
      r.stderr,
    );
    assert.ok(
      r.stderr.includes(
        `${path.join(dir, 'c.json')}: value 0 does not match --schema: the value must have required property 'id' (keyword "required" at #/required)`,
      ),
      r.stderr,
    );
    assert.ok(
      r.stderr.includes(`${path.join(dir, 'd.json')}: value 0 does not match --schema: /score must be >= 0 (keyword "minimum" at #/$defs/score/minimum)`),
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, /a\.json/);
  });

  test('--on-invalid skip: the whole fragment is left out and reported; stats and manifest tell schema from syntax failures', async () => {
    const { root, dir, schema, out } = setup({
      'a.json': json({ id: 1, score: 1 }),
      'b.json': `${json({ id: 2, score: 1 })}\n${json({ id: 'x', score: 1 })}`,
      'c.json': '{"id": 3, "score": ',
      'd.json': json({ id: 4, score: 4 }),
    });
    const stats = path.join(root, 'stats.json');
    const manifest = path.join(root, 'manifest.json');
    const r = await run([dir, '-q', '--schema', schema, '--on-invalid', 'skip', '-o', out, '--stats', stats, '--manifest', manifest]);
    ok(r);
    assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')), [
      { id: 1, score: 1 },
      { id: 4, score: 4 },
    ]);
    assert.match(r.stderr, /skipped invalid input: .*b\.json: value 1 does not match --schema: \/id must be integer/);
    const s = JSON.parse(fs.readFileSync(stats, 'utf8'));
    assert.equal(s.invalidCount, 2);
    assert.deepEqual(s.invalidKinds, { syntax: 1, schema: 1, key: 0 });
    const b = s.invalid.find((e) => e.path === 'b.json');
    assert.deepEqual(
      { ...b, reason: undefined },
      { path: 'b.json', reason: undefined, kind: 'schema', position: null, value: 1, pointer: '/id', keyword: 'type', schemaPath: '#/properties/id/type' },
    );
    assert.equal(s.invalid.find((e) => e.path === 'c.json').kind, 'syntax');
    assert.equal(s.complete, false);
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    assert.deepEqual(
      m.entries.map((e) => e.path),
      ['a.json', 'd.json'],
    );
    assert.deepEqual(
      m.skipped.map((e) => [e.path, e.kind]),
      [
        ['b.json', 'schema'],
        ['c.json', 'syntax'],
      ],
    );
  });

  test('schema failures count against --max-invalid', async () => {
    const { root, dir, schema, out } = setup({
      'a.json': json({ id: 1, score: 1 }),
      'b.json': json({ id: 2 }),
      'c.json': json({ id: 3, score: 'x' }),
    });
    ok(await run([dir, '-q', '--schema', schema, '--on-invalid', 'skip', '--max-invalid', '2', '-o', out]));
    const stats = path.join(root, 'stats.json');
    fs.rmSync(out);
    const r = await run([dir, '-q', '--schema', schema, '--on-invalid', 'skip', '--max-invalid', '1', '-o', out, '--stats', stats]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /too many invalid fragments: more than 1 of 3/);
    assert.equal(fs.existsSync(out), false);
    assert.deepEqual(JSON.parse(fs.readFileSync(stats, 'utf8')).invalidKinds, { syntax: 0, schema: 2, key: 0 });
  });

  test('formats are asserted (ajv-formats)', async () => {
    const schema = { properties: { at: { type: 'string', format: 'date-time' }, mail: { format: 'email' } } };
    const { dir, schema: file } = setup({ 'a.json': json({ at: '2026-12-08T02:00:00Z', mail: 'a@b.example' }), 'b.json': json({ at: 'yesterday' }) }, schema);
    const r = await run([dir, '-q', '--schema', file]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /b\.json: value 0 does not match --schema: \/at must match format "date-time" \(keyword "format"/);
    assert.doesNotMatch(r.stderr, /a\.json/);
  });

  test('the property ajv names is quoted as file names are: a key cannot forge a line', async () => {
    const schema = { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } };
    const { dir, schema: file } = setup({ 'x.json': '{"a":"ok","evil\\nline":1}' }, schema);
    const r = await run([dir, '-q', '--schema', file]);
    assert.equal(r.code, 3);
    assert.ok(r.stderr.includes("must NOT have additional properties (property $'evil\\nline')"), r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => l.includes('evil')).length, 1);
  });

  test('boolean schemas: true accepts everything, false nothing', async () => {
    const yes = setup({ 'a.json': '[1, "x", null]' }, true);
    ok(await run([yes.dir, '-q', '--schema', yes.schema]));
    const no = setup({ 'a.json': '{}' }, false);
    const r = await run([no.dir, '-q', '--schema', no.schema]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /value 0 does not match --schema: the value boolean schema is false/);
  });
});

test('a value nested deeper than a recursive schema can follow is invalid input, not an internal error', async () => {
  const depth = 100_000;
  const { dir, schema } = setup({ 'deep.json': '['.repeat(depth) + ']'.repeat(depth), 'ok.json': '[[]]' }, { items: { $ref: '#' } });
  const r = await run([dir, '-q', '--schema', schema, '--on-invalid', 'skip']);
  ok(r);
  assert.equal(r.stdout.toString(), '[[[]]]\n');
  assert.match(r.stderr, /deep\.json: value 0 does not match --schema: the value is nested too deeply to check/);
});

test('a value both too deep for the schema and holding a wide array (600,000 elements) is judged the same, not an internal error', async () => {
  // The depth check after the stack overflow must itself take any width (no push(...spread)).
  const depth = 50_000;
  const wide = '[' + '1,'.repeat(599_999) + '1]';
  const { dir, schema } = setup({ 'deep.json': `[${'['.repeat(depth)}${']'.repeat(depth)},${wide}]` }, { type: ['array', 'number'], items: { $ref: '#' } });
  const r = await run([dir, '-q', '--schema', schema]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /deep\.json: value 0 does not match --schema: the value is nested too deeply to check/);
});

describe('with --flatten and --key-by', () => {
  test('--flatten checks each element; the index counts elements across the fragment', async () => {
    const { dir, schema } = setup({
      'a.json': `[${json({ id: 1, score: 1 })},${json({ id: 2, score: 2 })}]\n[${json({ id: 3, score: 3 })},${json({ id: 4 })}]`,
    });
    const r = await run([dir, '-q', '--flatten', '--schema', schema]);
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      /a\.json: value 3 does not match --schema: the value must have required property 'id'|a\.json: value 3 does not match --schema: the value must have required property 'score'/,
    );
    // An array is not checked as a whole: this schema refuses arrays, the elements pass.
    const good = setup({ 'a.json': `[${json({ id: 1, score: 1 })}]` });
    ok(await run([good.dir, '-q', '--flatten', '--schema', good.schema]));
  });

  test("--key-by path checks each fragment's value", async () => {
    const { dir, schema } = setup({ 'a.json': json({ id: 1, score: 1 }), 'b.json': json({ id: 2, score: '2' }) });
    const r = await run([dir, '-q', '--key-by', 'path', '--schema', schema, '--on-invalid', 'skip']);
    ok(r);
    assert.deepEqual(JSON.parse(r.stdout), { a: { id: 1, score: 1 } });
    assert.match(r.stderr, /b\.json: value 0 does not match --schema: \/score must be number/);
  });
});

describe('draft-07 and draft 2020-12', () => {
  const tuple07 = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    definitions: { n: { type: 'number' } },
    type: 'array',
    items: [{ $ref: '#/definitions/n' }, { type: 'string' }],
    additionalItems: false,
  };
  const tuple2020 = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $defs: { n: { type: 'number' } },
    type: 'array',
    prefixItems: [{ $ref: '#/$defs/n' }, { type: 'string' }],
    items: false,
  };

  for (const [name, schema] of [
    ['draft-07 (items as an array, definitions)', tuple07],
    ['2020-12 (prefixItems, $defs)', tuple2020],
    ['2020-12 by default (no $schema)', { ...tuple2020, $schema: undefined }],
  ]) {
    test(name, async () => {
      const good = setup({ 'a.json': '[1, "a"]' }, schema);
      ok(await run([good.dir, '-q', '--schema', good.schema]));
      for (const bad of ['["1", "a"]', '[1, 2]', '[1, "a", 3]']) {
        const b = setup({ 'a.json': bad }, schema);
        const r = await run([b.dir, '-q', '--schema', b.schema]);
        assert.equal(r.code, 3, `${bad}: ${r.stderr}`);
      }
    });
  }

  test('a draft-07 schema is read as draft-07 only when it says so: without $schema, items as an array is not 2020-12', async () => {
    const { dir, schema } = setup({ 'a.json': '[1, "a"]' }, { ...tuple07, $schema: undefined });
    const r = await run([dir, '-q', '--schema', schema]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--schema .*schema\.json: not a valid JSON Schema \(draft 2020-12\): #\/items must be object,/);
  });

  test("$ref to the schema's own $id and to nested $defs resolves", async () => {
    const schema = {
      $id: 'https://example.com/record.json',
      $defs: { pos: { $ref: 'https://example.com/record.json#/$defs/n' }, n: { type: 'integer', minimum: 1 } },
      properties: { n: { $ref: '#/$defs/pos' } },
    };
    const good = setup({ 'a.json': '{"n":1}' }, schema);
    ok(await run([good.dir, '-q', '--schema', good.schema]));
    const bad = setup({ 'a.json': '{"n":0}' }, schema);
    const r = await run([bad.dir, '-q', '--schema', bad.schema]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /\/n must be >= 1/);
  });
});

describe('a schema that cannot be used is a usage error before any fragment is read', () => {
  const CASES = {
    missing: [null, /--schema .*schema\.json: no such file/],
    'a directory': ['DIR', /--schema .*schema\.json: is a directory/],
    'not JSON': ['{"type": "object",', /--schema .*schema\.json: not JSON \(/],
    'not an object': ['[1]', /--schema .*schema\.json: not a JSON Schema: a schema is an object or a boolean, this file holds an array/],
    'invalid per the meta-schema': [
      json({ type: 'objekt' }),
      /--schema .*schema\.json: not a valid JSON Schema \(draft 2020-12\): #\/type must be equal to one of the allowed values/,
    ],
    'invalid draft-07': [
      json({ $schema: 'http://json-schema.org/draft-07/schema', minimum: 'zero' }),
      /not a valid JSON Schema \(draft 07\): #\/minimum must be number/,
    ],
    'another draft': [
      json({ $schema: 'http://json-schema.org/draft-04/schema#' }),
      /--schema .*schema\.json: unsupported "\$schema" http:\/\/json-schema\.org\/draft-04\/schema#: the drafts supported are 2020-12/,
    ],
    '$schema not a string': [json({ $schema: 7 }), /"\$schema" must be a string/],
    'a remote $ref': [
      json({ properties: { a: { $ref: 'https://example.com/defs.json#/a' } } }),
      /--schema .*schema\.json: \$ref https:\/\/example\.com\/defs\.json#\/a points outside the schema file/,
    ],
    'a $ref to another file': [json({ $ref: 'defs.json' }), /--schema .*schema\.json: \$ref defs\.json points outside the schema file/],
    'a $ref to nothing': [json({ $ref: '#/$defs/none' }), /--schema .*schema\.json: \$ref #\/\$defs\/none does not resolve to anything in the schema/],
    'an unknown format': [json({ format: 'date-tiem' }), /--schema .*schema\.json: unknown format "date-tiem"/],
  };
  for (const [name, [content, message]] of Object.entries(CASES)) {
    test(name, async () => {
      const { root, dir, out } = setup({ 'a.json': '{}' }, '{}');
      const file = path.join(root, 'schema.json');
      fs.rmSync(file);
      if (content === 'DIR') fs.mkdirSync(file);
      else if (content !== null) fs.writeFileSync(file, content);
      const stats = path.join(root, 'stats.json');
      // --expect 5 of 1 file would exit 4 once the input is listed: exit 2 shows the schema came first.
      const r = await run([dir, '-q', '--schema', file, '-o', out, '--expect', '5', '--stats', stats]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(fs.existsSync(out), false);
    });
  }

  test('an unknown keyword is ignored, with a warning', async () => {
    const { dir, schema } = setup({ 'a.json': '{}' }, { type: 'object', requried: ['id'] });
    const r = await run([dir, '-q', '--schema', schema]);
    ok(r);
    assert.match(r.stderr, /--schema .*schema\.json: unknown keyword "requried" ignored/);
  });

  test('--schema outside json mode, and an empty --schema', async () => {
    const { dir, schema } = setup({ 'a.json': '{}' }, true);
    for (const mode of ['tar', 'zip']) {
      const r = await run(['--mode', mode, dir, '--schema', schema]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`--schema applies to json mode only; this run is --mode ${mode}`));
    }
    const r = await run([dir, '--schema', '']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /empty --schema/);
  });

  test('a schema file name is quoted as every file name is', async () => {
    const { dir } = setup({ 'a.json': '{}' });
    const r = await run([dir, '--schema', path.join(dir, 'no\nsuch.json')]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes("--schema $'"), r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});

describe('memory: the size limit of a value', () => {
  const LIMIT = { AGGREGATE_SCHEMA_MAX_VALUE: '1000' };
  const big = json({ id: 1, score: 1, items: Array.from({ length: 100 }, (_, i) => ({ score: i })) });

  test('a value larger than the limit is invalid input naming the limit and the file', async () => {
    assert.ok(big.length > 1000);
    const { root, dir, schema } = setup({ 'small.json': json({ id: 1, score: 1 }), 'big.json': `${json({ id: 2, score: 2 })}\n${big}` });
    const r = await run([dir, '-q', '--schema', schema], { env: LIMIT });
    assert.equal(r.code, 3, r.stderr);
    assert.ok(r.stderr.includes(`${path.join(dir, 'big.json')}: value 1 is larger than 1000 bytes, the most --schema parses to check one value`), r.stderr);
    const stats = path.join(root, 'stats.json');
    const s = await run([dir, '-q', '--schema', schema, '--on-invalid', 'skip', '--stats', stats], { env: LIMIT });
    ok(s);
    assert.deepEqual(JSON.parse(s.stdout), [{ id: 1, score: 1 }]);
    const e = JSON.parse(fs.readFileSync(stats, 'utf8')).invalid[0];
    assert.deepEqual([e.kind, e.value, e.pointer], ['schema', 1, undefined]);
    // Without --schema nothing is limited.
    ok(await run([dir, '-q'], { env: LIMIT }));
  });

  test('with --flatten only each element counts, however large the array', async () => {
    const elements = Array.from({ length: 500 }, (_, i) => json({ id: i, score: i }));
    const { dir, schema } = setup({ 'all.json': `[${elements.join(',')}]` });
    assert.ok(fs.statSync(path.join(dir, 'all.json')).size > 10 * 1000);
    const r = await run([dir, '-q', '--flatten', '--schema', schema], { env: LIMIT });
    ok(r);
    assert.equal(JSON.parse(r.stdout).length, 500);
  });

  test('the default limit is 16 MiB', async () => {
    const { dir, schema } = setup({ 'a.json': '{}' }, true);
    const r = await run([dir, '-q', '--schema', schema], { env: { AGGREGATE_SCHEMA_MAX_VALUE: '' } });
    ok(r);
    const huge = setup({}, true);
    // 16 MiB + 2 bytes of one string value, written in pieces.
    const fd = fs.openSync(path.join(huge.dir, 'a.json'), 'w');
    const piece = Buffer.alloc(1 << 20, 0x61);
    fs.writeSync(fd, '"');
    for (let i = 0; i < 16; i++) fs.writeSync(fd, piece);
    fs.writeSync(fd, '"');
    fs.closeSync(fd);
    const h = await run([huge.dir, '-q', '--schema', huge.schema]);
    assert.equal(h.code, 3, h.stderr);
    assert.match(h.stderr, /value 0 is larger than 16 MiB, the most --schema parses to check one value/);
  });
});

describe('schema files that are not what they seem', () => {
  test('a FIFO no one writes: the run waits as cat would, and SIGTERM still ends it (143, nothing written)', async () => {
    const { root, dir, out } = setup({ 'a.json': '{}' }, true);
    const fifo = path.join(root, 'schema.fifo');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) return;
    const child = spawn(process.execPath, [BIN, dir, '--schema', fifo, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(killer);
    assert.equal(code, 143, stderr);
    assert.ok(!fs.existsSync(out));
    // With a writer, a FIFO is read as a file is (as `--schema <(...)` gives one).
    const writer = spawn('sh', ['-c', 'printf %s "$1" > "$2"', 'sh', '{"type":"object"}', fifo]);
    const written = new Promise((resolve) => writer.once('exit', resolve));
    const r = await run([dir, '-q', '--schema', fifo]);
    await written;
    ok(r);
    assert.equal(r.stdout.toString(), '[{}]\n');
  });

  test('a schema that is not UTF-8: exit 2 naming the byte offset', async () => {
    const { dir, schema } = setup({ 'a.json': '"b\u00ff"' }, true);
    fs.writeFileSync(schema, Buffer.concat([Buffer.from('{"const": "b'), Buffer.from([0xff]), Buffer.from('"}')]));
    const r = await run([dir, '-q', '--schema', schema]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--schema .*schema\.json: not valid UTF-8 at byte 12 /);
  });

  for (const [what, loop] of [
    ['the root refers to itself', { $ref: '#' }],
    ['through allOf', { allOf: [{ $ref: '#' }] }],
    ['a $dynamicRef without its anchor', { $dynamicRef: '#meta' }],
    ['only for objects', { if: { type: 'object' }, then: { $ref: '#' } }],
    ['only when a property is there', { properties: { a: { allOf: [{ $ref: '#/properties/a' }] } } }],
  ]) {
    test(`a $ref that loops without going into the value (${what}) is the schema's fault: exit 2, not invalid data`, async () => {
      const { dir, schema } = setup({ 'a.json': '{"a": 1}', 'b.json': '[1]' }, loop);
      for (const extra of [[], ['--on-invalid', 'skip']]) {
        const r = await run([dir, '-q', '--schema', schema, ...extra]);
        assert.equal(r.code, 2, `${extra}: ${r.stderr}`);
        assert.match(r.stderr, /--schema .*schema\.json: .*\$ref.* loop/);
        assert.equal(r.stdout.length, 0);
      }
    });
  }
});
