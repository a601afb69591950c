// Installing the package as a user does (npm run test:install; minutes, it runs npm installs):
// from a clone of the committed tree, `npm pack` then the tarball, and a git URL, each into an
// empty directory with only node and npm. Then the `aggregate` bin runs on a real directory and
// `import { aggregate } from 'argo-aggregate'` works. Dependencies come from the npm cache when
// they are in it (--prefer-offline), else from the registry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, rm, tmpdir, writeTree } from '../helpers/cli.js';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const NAME = 'argo-aggregate';
const TIMEOUT = 900_000;

let work;
let clone;
let sha;
let tarball;
let fragments;

// The environment of `npm run`, without what it adds (npm_config_*, npm_package_*, ...): a nested
// npm must see a user's environment, not this run's.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function npm(cwd, ...args) {
  return execFileSync('npm', ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: TIMEOUT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** An empty project directory, as `npm init` leaves it. */
function app(name) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  return dir;
}

const EXPECTED = '[1,{"big":12345678901234567890},"three"]\n';

/** The installed bin runs on a real directory. */
function checkBin(bin) {
  assert.equal(execFileSync(bin, ['--version'], { env, encoding: 'utf8' }).trim(), pkg.version);
  const out = execFileSync(bin, ['--mode', 'json', fragments], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(out, EXPECTED);
}

/** A project's bin runs, and its code imports the library by the package's name. */
function checkInstalled(dir) {
  checkBin(path.join(dir, 'node_modules', '.bin', 'aggregate'));
  const script = path.join(dir, 'use.mjs');
  fs.writeFileSync(
    script,
    `import { aggregate, ExitCode } from '${NAME}';
const stats = await aggregate({ dir: process.argv[2], output: process.argv[3] });
console.log(JSON.stringify({ files: stats.files, values: stats.values, usage: ExitCode.usage }));
`,
  );
  const output = path.join(dir, 'out.json');
  const printed = execFileSync(process.execPath, [script, fragments, output], { cwd: dir, env, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(printed), { files: 3, values: 3, usage: 2 });
  assert.equal(fs.readFileSync(output, 'utf8'), EXPECTED);
}

before(() => {
  work = tmpdir('agg-install-');
  fragments = writeTree(path.join(work, 'fragments'), {
    'part-1.json': '1',
    'part-2.json': '{"big": 12345678901234567890}',
    'part-10.json': '"three"\n',
  });
  // The committed tree, as a user's clone has it: no node_modules, no dist/, no bundle/.
  sha = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  clone = path.join(work, 'clone');
  execFileSync('git', ['clone', '-q', ROOT, clone], { env, timeout: TIMEOUT });
  execFileSync('git', ['-C', clone, 'checkout', '-q', sha], { env });
});

after(() => rm(work));

test('npm ci builds the clone (prepare); npm pack ships LICENSE, README, dist and bundle, not sources, tests or bench', () => {
  assert.equal(fs.existsSync(path.join(clone, 'dist')), false);
  npm(clone, 'ci');
  assert.ok(fs.existsSync(path.join(clone, 'bundle', 'main.cjs')), 'npm ci ran the build');
  // What an editor runs on a fresh clone: the generated WebAssembly module is not needed.
  fs.rmSync(path.join(clone, 'src', 'json', 'fast-wasm.ts'));
  execFileSync(path.join(clone, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', clone], { env, timeout: TIMEOUT });
  const packed = JSON.parse(npm(clone, 'pack', '--ignore-scripts', '--json', '--pack-destination', work));
  tarball = path.join(work, packed[0].filename);
  assert.equal(packed[0].filename, `${NAME}-${pkg.version}.tgz`);
  const files = packed[0].files.map((f) => f.path).sort();
  for (const f of [
    'LICENSE',
    'README.md',
    'package.json',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/json/fast-wasm.js',
    'bundle/aggregate.cjs',
    'bundle/main.cjs',
    'bundle/main.cjs.v8cache',
    'bundle/aws-sdk.cjs',
  ]) {
    assert.ok(files.includes(f), `${f} is not in the tarball`);
  }
  const stray = files.filter((f) => !/^(LICENSE|README\.md|package\.json|dist\/.*\.(js|cjs|d\.ts)|bundle\/.*)$/.test(f));
  assert.deepEqual(stray, []);
});

test('from the tarball: into a project (bin in node_modules/.bin, import by name) and globally (a copy, not a link)', () => {
  assert.ok(tarball, 'the pack test ran first');
  const dir = app('from-tarball');
  npm(dir, 'install', tarball);
  checkInstalled(dir);

  const prefix = path.join(work, 'global');
  npm(work, 'install', '-g', '--prefix', prefix, tarball);
  const bin = path.join(prefix, 'bin', 'aggregate');
  const installed = path.join(prefix, 'lib', 'node_modules', NAME);
  assert.equal(fs.lstatSync(installed).isSymbolicLink(), false, 'a global install of the tarball is a copy');
  assert.ok(fs.realpathSync(bin).startsWith(fs.realpathSync(installed) + path.sep));
  checkBin(bin);
});

test('npm install -g of the clone directory is a symlink to it (what the README says)', () => {
  const prefix = path.join(work, 'global-link');
  npm(work, 'install', '-g', '--prefix', prefix, clone);
  const installed = path.join(prefix, 'lib', 'node_modules', NAME);
  assert.equal(fs.lstatSync(installed).isSymbolicLink(), true);
  assert.equal(fs.realpathSync(installed), fs.realpathSync(clone));
});

test('from a git URL: npm clones, installs the dev dependencies, runs prepare (the build) and installs what it packs', () => {
  const dir = app('from-git');
  npm(dir, 'install', `git+file://${clone}#${sha}`);
  const installed = path.join(dir, 'node_modules', NAME);
  assert.ok(fs.existsSync(path.join(installed, 'dist', 'index.js')), 'dist/ was built');
  assert.equal(fs.existsSync(path.join(installed, 'src')), false, 'only the packed files');
  checkInstalled(dir);
});
