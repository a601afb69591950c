// The README's promises about itself: the Quickstart commands, the links into docs/ (files and
// headings), a length that fits on a few screens, and no image named as if a registry published it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tmpdir } from './helpers/cli.js';
import { anchorsOf } from './helpers/markdown.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

test('Quickstart starts with exactly npm ci && npm start, then npm test, and both scripts exist', () => {
  const at = readme.indexOf('\n## Quickstart\n');
  assert.ok(at >= 0, 'no Quickstart section');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.equal(block?.[1], 'npm ci && npm start\nnpm test\n');
  assert.ok(pkg.scripts.start && pkg.scripts.test);
  assert.deepEqual(Object.keys(pkg.bin), ['aggregate']);
});

test('every relative link in README.md and docs/ points at a file (and a heading) that exists', () => {
  const sources = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)];
  const broken = [];
  for (const source of sources) {
    const text = readFileSync(join(ROOT, source), 'utf8');
    for (const [, target, anchor] of text.matchAll(/\]\(([^)#\s]*)(?:#([^)\s]*))?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const base = source.includes('/') ? join(ROOT, source, '..') : ROOT;
      const file = target === '' ? join(ROOT, source) : join(base, target);
      if (!existsSync(file)) broken.push(`${source}: ${target}`);
      else if (anchor && file.endsWith('.md') && !anchorsOf(readFileSync(file, 'utf8')).has(anchor)) broken.push(`${source}: ${target}#${anchor}`);
    }
  }
  assert.deepEqual(broken, []);
  assert.match(readme, /\(docs\/design\.md\)/);
});

test('README.md stays short: the reference lives in docs/', () => {
  const lines = readme.split('\n').length;
  assert.ok(lines < 220, `README.md has ${lines} lines; move reference material into docs/`);
});

test('no image is named as if a public registry published it', () => {
  const texts = [
    ['README.md', readme],
    ...readdirSync(join(ROOT, 'examples'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => [f, readFileSync(join(ROOT, 'examples', f), 'utf8')]),
  ];
  const named = [];
  for (const [file, text] of texts) {
    for (const [, image] of text.matchAll(/image:\s*"?([^\s"]+)/g)) {
      if (/aggregate/.test(image) && !image.startsWith('registry.example.com/')) named.push(`${file}: ${image}`);
    }
  }
  assert.deepEqual(named, []);
});

test('a path install of a clone never npm ci-ed stops saying to run npm ci there, as the README says', () => {
  // npm runs `prepare` (the build) in the linked directory without installing its dev dependencies.
  assert.match(pkg.scripts.build, /^node scripts\/check-build-deps\.mjs && /);
  assert.match(readme, /`npm install \/path\/to\/clone`[^.]*`npm ci` run in the clone/);
  const clone = tmpdir('agg-nodeps-');
  try {
    writeFileSync(join(clone, 'package.json'), JSON.stringify({ name: pkg.name, private: true }));
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-build-deps.mjs')], { cwd: clone, encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /dev dependencies \(assemblyscript, typescript, esbuild\) are not installed/);
    assert.ok(run.stderr.includes(`Run \`npm ci\` in ${clone} first`), run.stderr);
    const here = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-build-deps.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.deepEqual([here.status, here.stderr], [0, '']);
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
});
