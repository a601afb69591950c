// Start-up remedies of the bin (scripts/launcher.cjs, scripts/bundle.mjs): the V8 code caches (of
// main.cjs and of the chunks it loads on demand, aws-sdk.cjs and ajv.cjs) are used, and are only
// ever an optimisation; string-width (Intl.Segmenter) is loaded for --help only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { BIN, rm, tempTrees, tmpdir } from '../helpers/cli.js';

const BUNDLE = path.dirname(BIN);
// Every temp dir of this file but the bundle copies (removed by their tests) goes when it ends.
const mk = tempTrees('agg-startup-');
const CHUNKS = ['main.cjs', 'aws-sdk.cjs', 'ajv.cjs'];

// An s3:// run that loads the SDK and fails fast: nothing listens on port 1, one attempt.
const S3_ENV = {
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  AWS_REGION: 'us-east-1',
  AWS_MAX_ATTEMPTS: '1',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

function runBin(bin, args, nodeArgs = []) {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))), ...S3_ENV };
  const r = spawnSync(process.execPath, [...nodeArgs, bin, ...args], { encoding: 'utf8', timeout: 60_000, env });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the built bundle/ in a temp dir, whose cache files `damage` may replace or remove. */
function bundleCopy(damage) {
  const dir = tmpdir('agg-startup-');
  for (const f of fs.readdirSync(BUNDLE)) fs.copyFileSync(path.join(BUNDLE, f), path.join(dir, f));
  for (const chunk of CHUNKS) damage(path.join(dir, `${chunk}.v8cache`), fs.readFileSync(path.join(dir, chunk)));
  return dir;
}

/** A cache file: the launcher's CRC header over main.cjs and the V8 data, then the data. */
function withHeader(source, data) {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(crc32(data, crc32(source)));
  return Buffer.concat([header, data]);
}

const fragments = mk({
  'a/1.json': '{"id":1,"tags":["x","y"]}',
  'a/2.json': '[1.5, null, "\\u00e9"]',
  'b/3.json': '{"nested":{"deep":[true,false]}}',
});
const broken = mk({ 'ok.json': '{"a":1}', 'bad.json': '{"a": tru}' });
const schema = path.join(mk({ 'schema.json': '{"type": "object", "required": ["id"]}' }), 'schema.json');
const S3_RUN = ['--mode', 'json', 's3://bucket/prefix/', '--endpoint', 'http://127.0.0.1:1'];
const CASES = [
  ['--version'],
  ['--mode', 'json', '--quiet', fragments],
  ['--mode', 'json', broken],
  ['--mode', 'json', '--no-such-flag', fragments],
  ['--mode', 'json', '--schema', schema, fragments],
  S3_RUN,
];

test('the build writes a code cache next to the bundle and next to each chunk it loads on demand', () => {
  for (const chunk of CHUNKS) {
    const cache = fs.readFileSync(path.join(BUNDLE, `${chunk}.v8cache`));
    const source = fs.readFileSync(path.join(BUNDLE, chunk));
    assert.ok(cache.length > 1000, `${chunk}: cache is not empty`);
    assert.equal(cache.readUInt32LE(0), crc32(cache.subarray(4), crc32(source)), `cache header matches ${chunk}`);
  }
});

// A preload that reports each vm.Script the launcher compiles, and whether V8 took its cache.
const scriptProbe = path.join(mk(), 'script-probe.cjs');
fs.writeFileSync(
  scriptProbe,
  `const vm = require('node:vm');
const S = vm.Script;
vm.Script = class extends S {
  constructor(source, options) {
    super(source, options);
    const taken = options && options.cachedData ? (this.cachedDataRejected ? 'rejected' : 'taken') : 'none';
    process.stderr.write('[compiled ' + require('node:path').basename(options.filename) + ': cache ' + taken + ']\\n');
  }
};
`,
);

test('the launcher compiles main.cjs, the SDK chunk (s3:// runs) and the ajv chunk (--schema runs) from their caches', () => {
  const local = runBin(BIN, ['--quiet', fragments], ['-r', scriptProbe]);
  assert.equal(local.code, 0, local.stderr);
  assert.deepEqual(local.stderr.match(/\[compiled [^\]]*\]/g), ['[compiled main.cjs: cache taken]']);
  const s3 = runBin(BIN, S3_RUN, ['-r', scriptProbe]);
  assert.equal(s3.code, 1, s3.stderr);
  assert.match(s3.stderr, /cannot list s3:\/\/bucket\/prefix\//);
  assert.deepEqual(s3.stderr.match(/\[compiled [^\]]*\]/g), ['[compiled main.cjs: cache taken]', '[compiled aws-sdk.cjs: cache taken]']);
  const valid = runBin(BIN, ['--quiet', '--schema', schema, fragments], ['-r', scriptProbe]);
  assert.equal(valid.code, 3, valid.stderr); // the fragments include arrays: not objects
  assert.deepEqual(valid.stderr.match(/\[compiled [^\]]*\]/g), ['[compiled main.cjs: cache taken]', '[compiled ajv.cjs: cache taken]']);
  // The probe sees a rejection: a cache whose V8 version hash differs (what another Node makes).
  const dir = bundleCopy((file, source) => {
    const data = fs.readFileSync(file).subarray(4);
    data.writeUInt32LE((data.readUInt32LE(4) ^ 0xffff) >>> 0, 4);
    fs.writeFileSync(file, withHeader(source, data));
  });
  try {
    const foreign = runBin(path.join(dir, path.basename(BIN)), S3_RUN, ['-r', scriptProbe]);
    assert.deepEqual(foreign.stderr.match(/\[compiled [^\]]*\]/g), ['[compiled main.cjs: cache rejected]', '[compiled aws-sdk.cjs: cache rejected]']);
  } finally {
    rm(dir);
  }
});

const DAMAGES = {
  missing: (file) => fs.rmSync(file),
  unreadable: (file) => {
    fs.rmSync(file);
    fs.mkdirSync(file); // reading a directory fails whoever runs the tests (root reads mode 000 files)
  },
  empty: (file) => fs.writeFileSync(file, ''),
  truncated: (file) => fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 100)),
  'random bytes': (file) => fs.writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff))),
  // A bit flipped inside V8's payload passes V8's own header checks (and can crash V8): the
  // launcher's CRC has to catch it.
  'corrupted payload': (file) => {
    const cache = fs.readFileSync(file);
    for (let i = 4 + 1000; i < 4 + 1016; i++) cache[i] ^= 0x5a;
    fs.writeFileSync(file, cache);
  },
  // What another Node makes: a valid file whose V8 version hash differs; V8 rejects it.
  'from another V8': (file, source) => {
    const data = fs.readFileSync(file).subarray(4);
    data.writeUInt32LE((data.readUInt32LE(4) ^ 0xffff) >>> 0, 4); // V8's version hash
    fs.writeFileSync(file, withHeader(source, data));
  },
};

for (const [name, damage] of Object.entries(DAMAGES)) {
  test(`a ${name} code cache changes nothing: same output, exit code and messages`, () => {
    const dir = bundleCopy(damage);
    try {
      for (const args of CASES) {
        const want = runBin(BIN, args);
        const got = runBin(path.join(dir, path.basename(BIN)), args);
        assert.equal(got.signal, null, `${args.join(' ')}: killed by ${got.signal}`);
        assert.deepEqual(got, want, args.join(' '));
      }
    } finally {
      rm(dir);
    }
  });
}

test('a cache made for an older main.cjs of the same length is not used: the new code runs', () => {
  const dir = bundleCopy(() => {});
  try {
    const main = path.join(dir, 'main.cjs');
    const source = fs.readFileSync(main, 'latin1');
    const version = runBin(BIN, ['--version']).stdout.trim();
    const other = version.replace(/\d/g, '9');
    assert.notEqual(other, version);
    assert.equal(source.split(`"${version}"`).length, 2, 'the version literal occurs once');
    fs.writeFileSync(main, source.replace(`"${version}"`, `"${other}"`), 'latin1');
    assert.equal(runBin(path.join(dir, path.basename(BIN)), ['--version']).stdout.trim(), other);
  } finally {
    rm(dir);
  }
});

// A preload that reports every Intl.Segmenter construction (string-width builds one at import).
const probe = path.join(mk(), 'segmenter-probe.cjs');
fs.writeFileSync(
  probe,
  `const S = Intl.Segmenter;
Intl.Segmenter = class extends S { constructor(...a) { super(...a); process.stderr.write('[segmenter constructed]\\n'); } };
`,
);

test('string-width (Intl.Segmenter) is not evaluated by a normal run, only by --help', () => {
  for (const args of CASES) {
    const r = runBin(BIN, args, ['-r', probe]);
    assert.doesNotMatch(r.stderr, /segmenter constructed/, args.join(' '));
  }
  const help = runBin(BIN, ['--help'], ['-r', probe]);
  assert.equal(help.code, 0);
  assert.match(help.stderr, /segmenter constructed/, 'the probe sees --help build one');
});

// A preload that reports at exit whether node:crypto was loaded.
const cryptoProbe = path.join(mk(), 'crypto-probe.cjs');
fs.writeFileSync(
  cryptoProbe,
  `process.on('exit', () => process.stderr.write(process.moduleLoadList.includes('NativeModule crypto') ? '[crypto loaded]\\n' : '[no crypto]\\n'));`,
);

test('node:crypto is loaded only for a manifest (its digests); a run writing its output atomically does not', () => {
  const out = mk();
  for (const args of [
    ['--quiet', fragments],
    ['--quiet', fragments, '-o', path.join(out, 'o.json')],
    ['--mode', 'tar', '--quiet', fragments, '-o', path.join(out, 'o.tar')],
  ]) {
    const r = runBin(BIN, args, ['-r', cryptoProbe]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[no crypto\]/, args.join(' '));
  }
  const m = runBin(BIN, ['--quiet', fragments, '-o', path.join(out, 'm.json'), '--manifest', path.join(out, 'm.manifest.json')], ['-r', cryptoProbe]);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stderr, /\[crypto loaded\]/);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'm.manifest.json'), 'utf8'));
  assert.equal(manifest.entries.length, 3);
  for (const e of manifest.entries) assert.match(e.sha256, /^[0-9a-f]{64}$/);
});

test('the former bin, bundle/aggregate.mjs, still runs the CLI: same output, exit code and messages', () => {
  const shim = path.join(BUNDLE, 'aggregate.mjs');
  assert.notEqual(shim, BIN);
  for (const args of CASES) assert.deepEqual(runBin(shim, args), runBin(BIN, args), args.join(' '));
});

test("package.json's bin is the built launcher", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(BUNDLE, '..', 'package.json'), 'utf8'));
  assert.equal(path.resolve(BUNDLE, '..', pkg.bin.aggregate), BIN);
});

// A preload that prints, at exit, how many threads the process has: libuv starts its whole
// thread pool on first use, so 32 more threads show that the CLI's UV_THREADPOOL_SIZE (from
// --concurrency) was read. On Node 20 an ES module entry started the pool at 4 before that.
const threads = path.join(mk(), 'thread-count.cjs');
fs.writeFileSync(threads, `process.on('exit', () => process.stderr.write('[threads ' + require('fs').readdirSync('/proc/self/task').length + ']\\n'));\n`);

test('concurrent reads get a thread pool of --concurrency threads (the bin sizes it before its first use)', { skip: !fs.existsSync('/proc/self/task') }, () => {
  const count = (concurrency) => {
    const r = spawnSync(process.execPath, ['-r', threads, BIN, '--quiet', '--concurrency', String(concurrency), fragments], {
      encoding: 'utf8',
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'UV_THREADPOOL_SIZE')), AGGREGATE_READ_MODE: 'async' },
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return Number(/\[threads (\d+)\]/.exec(r.stderr)?.[1]);
  };
  const small = count(4);
  const big = count(40);
  assert.ok(big - small >= 36, `--concurrency 40 gave ${big} threads, --concurrency 4 gave ${small}`);
});

// A preload that reports at exit whether the JSON Schema validator (bundle/ajv.cjs) was loaded.
const ajvProbe = path.join(mk(), 'ajv-probe.cjs');
fs.writeFileSync(
  ajvProbe,
  `process.on('exit', () => process.stderr.write(Object.keys(require.cache).some((f) => /[\\\\/]ajv(\\.cjs$|[\\\\/])/.test(f)) ? '[ajv loaded]\\n' : '[no ajv]\\n'));`,
);

test('ajv is loaded only by a run given --schema, and is not part of main.cjs', () => {
  const out = tmpdir('agg-ajv-');
  try {
    for (const args of [
      ...CASES.filter((args) => !args.includes('--schema')),
      ['--quiet', fragments, '--format', 'ndjson', '--stats', path.join(out, 's.json')],
      ['--quiet', '--mode', 'tar', fragments, '-o', path.join(out, 'o.tar')],
    ]) {
      const r = runBin(BIN, args, ['-r', ajvProbe]);
      assert.match(r.stderr, /\[no ajv\]/, args.join(' '));
    }
    fs.writeFileSync(path.join(out, 'schema.json'), '{"type": ["object", "array"]}');
    const r = runBin(BIN, ['--quiet', fragments, '--schema', path.join(out, 'schema.json')], ['-r', ajvProbe]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[ajv loaded\]/);
    // ajv's own messages live in ajv.cjs, not in the bundle every run compiles.
    assert.doesNotMatch(fs.readFileSync(path.join(BUNDLE, 'main.cjs'), 'utf8'), /must have required property/);
    assert.match(fs.readFileSync(path.join(BUNDLE, 'ajv.cjs'), 'utf8'), /must have required property/);
  } finally {
    rm(out);
  }
});

test('bundle/ajv.cjs needs nothing outside bundle/ (the image has no node_modules): --schema from a copy in a temp dir', () => {
  const dir = bundleCopy(() => {});
  const work = tmpdir('agg-ajv-alone-');
  try {
    assert.ok(!fs.existsSync(path.join(path.dirname(dir), 'node_modules')) && !fs.existsSync(path.join(dir, 'node_modules')));
    // Keywords whose code calls ajv's runtime helpers (equal, ucs2length, uri), formats, both drafts.
    const schema = {
      properties: { id: { type: 'integer', enum: [1, 2, 3] }, tags: { uniqueItems: true, const: ['x', 'y'] }, nested: { maxLength: 3 }, at: { format: 'uri' } },
    };
    fs.writeFileSync(path.join(work, 'schema.json'), JSON.stringify(schema));
    fs.writeFileSync(path.join(work, 'schema-07.json'), JSON.stringify({ ...schema, $schema: 'http://json-schema.org/draft-07/schema#' }));
    for (const file of ['schema.json', 'schema-07.json']) {
      const r = runBin(path.join(dir, path.basename(BIN)), ['--quiet', fragments, '--schema', path.join(work, file), '--on-invalid', 'skip']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), [{ id: 1, tags: ['x', 'y'] }, [1.5, null, 'é'], { nested: { deep: [true, false] } }]);
    }
    fs.writeFileSync(path.join(work, 'bad.json'), '{"type": "objekt"}');
    const bad = runBin(path.join(dir, path.basename(BIN)), [fragments, '--schema', path.join(work, 'bad.json')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a valid JSON Schema \(draft 2020-12\): #\/type must be equal to one of the allowed values/);
  } finally {
    rm(dir);
    rm(work);
  }
});
