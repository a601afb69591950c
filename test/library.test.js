// The library as a user installs it: a TypeScript consumer in a directory of its own imports the
// package by name (node_modules/argo-aggregate -> this repository), is type-checked strictly
// against the built dist/*.d.ts with the repository's tsc and @types/node, then run. And
// docs/library.md names everything the package exports, and every field of Options and Stats.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, tmpdir, writeTree } from './helpers/cli.js';

const PACKAGE = 'argo-aggregate';
const require = createRequire(import.meta.url);
const ts = require(join(ROOT, 'node_modules', 'typescript'));
const DTS = join(ROOT, 'dist', 'index.d.ts');
const LIBRARY_DOC = readFileSync(join(ROOT, 'docs', 'library.md'), 'utf8');

const work = tmpdir('agg-ts-');
after(() => rmSync(work, { recursive: true, force: true }));

// Uses every export in a typed way; `@ts-expect-error` lines fail the compile if the
// declarations were too loose (any) to reject them.
const CONSUMER = `
import {
  aggregate, resolveSettings, parseShard, exitCodeOf, messageOf, compareNatural, compareBytes,
  ExitCode, AggregateError, UsageError, InvalidInputError, InvalidFilesError, IncompleteInputError,
  TooManyInvalidError, IoError, InterruptedError, JsonScanner, JsonSyntaxError,
  type Options, type Settings, type Stats, type Progress, type Mode, type SortOrder, type OnInvalid,
  type JsonFormat, type KeyBy, type Tolerance, type ManifestEntry, type NameFields, type SkippedFile,
  type FileEntry, type ValueSink,
} from '${PACKAGE}';

const [dir, out] = process.argv.slice(2) as [string, string];
const mode: Mode = 'json';
const sort: SortOrder = 'natural';
const onInvalid: OnInvalid = 'skip';
const format: JsonFormat = 'array';
const keyBy: KeyBy = 'path';
const progress: Progress[] = [];
const options: Options = {
  dir, mode, output: out, patterns: ['**/*.json'], ignore: [], sort, onInvalid, format,
  flatten: false, stats: undefined, manifest: undefined, concurrency: 4, shard: parseShard('0/1'),
  keyBy: undefined, expect: 4, expectNames: undefined, maxMissing: 1, maxInvalid: '10%',
  gzip: false, level: 6, endpoint: undefined, signal: new AbortController().signal,
  onWarning: (message: string) => void message, onProgress: (p: Progress) => void progress.push(p),
};
// @ts-expect-error: not a mode
const wrong: Options = { dir, mode: 'rar' };
void wrong;

const settings: Settings = resolveSettings(options);
const tolerance: Tolerance | undefined = settings.maxInvalid;
const stats: Stats = await aggregate(options);
const name: NameFields = { path: 'a.json' };
const entry: ManifestEntry = { ...name, size: 1, sha256: '00', values: 1 };
const skipped: SkippedFile = { path: Buffer.from('x'), reason: 'r' };
const listed: Pick<FileEntry, 'rel'> = { rel: Buffer.from('a.json') };
const keyed = await aggregate({ dir, output: out + '.keyed', keyBy });

let code: number = ExitCode.ok;
try {
  await aggregate({ dir, expect: 99, output: out + '.never' });
} catch (error) {
  code = exitCodeOf(error);
  if (!(error instanceof IncompleteInputError) || !(error instanceof AggregateError)) throw error;
  void messageOf(error);
}
const errors: AggregateError[] = [
  new UsageError('u'), new InvalidInputError('f.json', 'r', { line: 1, column: 2, offset: 1 }),
  new InvalidFilesError([], 0), new TooManyInvalidError('t'), new IoError('read', 'f', new Error('e')),
  new InterruptedError('SIGTERM'),
];
const exitCodes: number[] = errors.map((e) => e.exitCode);

const values: string[] = [];
let current: Buffer[] = [];
const sink: ValueSink = {
  begin: () => { current = []; },
  bytes: (buf: Buffer, start: number, end: number) => { current.push(Buffer.from(buf.subarray(start, end))); },
  end: () => { values.push(Buffer.concat(current).toString()); },
};
const scanner = new JsonScanner(sink, { flatten: false });
scanner.write(Buffer.from('[1, 2] {"a" : 1}'));
scanner.finish();
let syntax: string | undefined;
try {
  scanner.reset();
  scanner.write(Buffer.from('[1,'));
  scanner.finish();
} catch (error) {
  if (error instanceof JsonSyntaxError) syntax = error.line + ':' + error.column + ' ' + error.offset;
}
const order = ['part-10', 'part-2'].sort(compareNatural).concat(['b', 'a'].sort(compareBytes));

console.log(JSON.stringify({
  files: stats.files, values: stats.values, complete: stats.complete, mode: settings.mode,
  tolerance, keyed: keyed.values, code, exitCodes, scanned: values, syntax, order,
  entry: entry.size, skipped: skipped.reason, listed: listed.rel.length,
}));
`;

test(`a strict TypeScript consumer compiles against dist/*.d.ts by the name ${PACKAGE}, and runs`, () => {
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(ROOT, join(work, 'node_modules', PACKAGE), 'dir');
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(join(work, 'consumer.ts'), CONSUMER);
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['ES2022'],
        strict: true,
        noUncheckedIndexedAccess: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        skipLibCheck: false, // check the package's own declarations too
        outDir: 'out',
      },
      files: ['consumer.ts'],
    }),
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(work, 'tsconfig.json')], { cwd: work, encoding: 'utf8' });
  } catch (error) {
    assert.fail(`tsc failed:\n${error.stdout}${error.stderr}`);
  }

  const input = join(work, 'in');
  writeTree(input, { 'part-1.json': '{"i":1}\n', 'part-2.json': '12345678901234567890\n', 'part-10.json': '[]' });
  const stdout = execFileSync(process.execPath, [join(work, 'out', 'consumer.js'), input, join(work, 'result.json')], { cwd: work, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(stdout), {
    files: 3,
    values: 3,
    complete: false, // expect: 4, one missing and tolerated
    mode: 'json',
    tolerance: { percent: 10 },
    keyed: 3,
    code: 4,
    exitCodes: [2, 3, 3, 3, 1, 143],
    scanned: ['[1,2]', '{"a":1}'],
    syntax: '1:4 3',
    order: ['part-2', 'part-10', 'a', 'b'],
    entry: 1,
    skipped: 'r',
    listed: 6,
  });
  assert.equal(readFileSync(join(work, 'result.json'), 'utf8'), '[{"i":1},12345678901234567890,[]]\n');
});

test(`a CommonJS consumer can require('${PACKAGE}') (Node 20.19+, 22.12+, 23+ load the ES module), as docs/library.md says`, () => {
  const cjs = join(work, 'cjs');
  mkdirSync(join(cjs, 'node_modules'), { recursive: true });
  symlinkSync(ROOT, join(cjs, 'node_modules', PACKAGE), 'dir');
  writeFileSync(join(cjs, 'package.json'), JSON.stringify({ private: true })); // no "type": CommonJS
  writeFileSync(
    join(cjs, 'consumer.js'),
    `const { aggregate, exitCodeOf, IncompleteInputError } = require('${PACKAGE}');
aggregate({ dir: process.argv[2], output: process.argv[3], expect: 3 }).then(
  (stats) => aggregate({ dir: process.argv[2], expect: 4 }).catch((e) =>
    console.log(JSON.stringify({ values: stats.values, code: exitCodeOf(e), typed: e instanceof IncompleteInputError })),
  ),
);
`,
  );
  const input = writeTree(join(cjs, 'in'), { 'part-1.json': '1', 'part-2.json': '2', 'part-10.json': '10' });
  const run = spawnSync(process.execPath, [join(cjs, 'consumer.js'), input, join(cjs, 'out.json')], { cwd: cjs, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { values: 3, code: 4, typed: true });
  assert.doesNotMatch(run.stderr, /ExperimentalWarning|require\(\) of ES/, 'no warning for a CommonJS user');
  assert.equal(readFileSync(join(cjs, 'out.json'), 'utf8'), '[1,2,10]\n');
  assert.match(LIBRARY_DOC, /require\('argo-aggregate'\)/, 'docs/library.md shows the CommonJS form');
});

test('a TypeScript consumer compiled to CommonJS with the legacy settings (module commonjs, node10, no esModuleInterop) compiles and runs', () => {
  // The declarations must not need esModuleInterop: there, a default import of a node: module in
  // a .d.ts (`import fs from 'node:fs'`) is error TS1192 (unless the consumer skips lib checks).
  const dir = join(work, 'ts-cjs');
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', PACKAGE), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true }));
  writeFileSync(
    join(dir, 'consumer.ts'),
    `import { aggregate, exitCodeOf, type Stats } from '${PACKAGE}';
aggregate({ dir: process.argv[2]!, output: process.argv[3]! }).then(
  (stats: Stats) => console.log(JSON.stringify({ values: stats.values })),
  (error: unknown) => (process.exitCode = exitCodeOf(error)),
);
`,
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const flags = ['--module', 'commonjs', '--moduleResolution', 'node10', '--target', 'ES2022', '--strict', '--skipLibCheck', 'false'];
  const types = ['--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types')];
  const compile = spawnSync(process.execPath, [tsc, ...flags, ...types, '--outDir', 'out', 'consumer.ts'], { cwd: dir, encoding: 'utf8' });
  assert.equal(compile.status, 0, `tsc failed:\n${compile.stdout}${compile.stderr}`);
  const input = writeTree(join(dir, 'in'), { 'a.json': '1', 'b.json': '2' });
  const run = spawnSync(process.execPath, [join(dir, 'out', 'consumer.js'), input, join(dir, 'out.json')], { cwd: dir, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { values: 2 });
});

/** Every name dist/index.d.ts exports (values and types), and the members of two interfaces. */
function declared() {
  const program = ts.createProgram([DTS], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
  });
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(DTS)));
  const members = (name) => {
    const symbol = exports.find((s) => s.name === name);
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(target)).map((p) => p.name);
  };
  return { names: exports.map((s) => s.name), options: members('Options'), stats: members('Stats') };
}

test('docs/library.md names every export of the package, and every field of Options and Stats', async () => {
  const runtime = Object.keys(await import(join(ROOT, 'dist', 'index.js')));
  const { names, options, stats } = declared();
  assert.ok(runtime.includes('aggregate') && names.includes('Stats') && options.includes('dir') && stats.includes('ok'));
  const mentioned = (name) => new RegExp(`\`[^\`]*\\b${name}\\b[^\`]*\``).test(LIBRARY_DOC);
  for (const [list, what] of [
    [runtime, 'exports of dist/index.js'],
    [names, 'exports of dist/index.d.ts'],
    [options, 'Options fields'],
    [stats, 'Stats fields'],
  ]) {
    assert.deepEqual(
      list.filter((n) => !mentioned(n)),
      [],
      `${what} not in docs/library.md`,
    );
  }
});
