// docs/cli.md and `aggregate --help` of the built bin describe one CLI: the same flags (whole
// names, aliases included), the same defaults where --help shows one, the same exit codes.
// And docs/ stays navigable: every page linked from the README, design.md's contents complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';
import { slug } from './helpers/markdown.js';
import { CLI_DOC, docExitCodes, docFlags, helpExitCodes, helpOptions, helpText, sameDefault } from './helpers/help.js';

const help = helpText();
const options = helpOptions(help);
const documented = docFlags();

test('--help lists options and docs/cli.md a flag table (the checks below check something)', () => {
  assert.ok(options.size >= 20, `parsed ${options.size} options from --help`);
  assert.ok(options.has('--expect') && options.has('--expect-names'));
  assert.ok(documented.size >= 20, `parsed ${documented.size} flags from ${CLI_DOC}`);
});

test('every flag in --help is a row of docs/cli.md, with its alias and the same default', () => {
  const problems = [];
  for (const [name, { alias, default: def }] of options) {
    const row = documented.get(name);
    if (!row) {
      problems.push(`${name} is in --help but has no row in ${CLI_DOC}`);
      continue;
    }
    if (alias && documented.get(alias)?.row !== row.row) problems.push(`${name}: its alias ${alias} is not in its ${CLI_DOC} row`);
    if (def !== undefined && !sameDefault(def, row.default)) {
      problems.push(`${name}: --help says default ${JSON.stringify(def)}, ${CLI_DOC} says ${JSON.stringify(row.default)}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every flag docs/cli.md documents exists in --help', () => {
  const known = new Set([...options.keys(), ...[...options.values()].map((o) => o.alias).filter(Boolean)]);
  const unknown = [...documented.keys()].filter((flag) => !known.has(flag));
  assert.deepEqual(unknown, [], `${CLI_DOC} documents flags that --help does not list`);
});

test('--help and docs/cli.md list the same exit codes', () => {
  const fromHelp = [...helpExitCodes(help)].sort((a, b) => a - b);
  assert.ok(fromHelp.includes(4) && fromHelp.includes(143), `parsed ${fromHelp} from --help`);
  assert.deepEqual(
    [...docExitCodes()].sort((a, b) => a - b),
    fromHelp,
  );
});

test('the parsers match whole flags: --expect is not found in a row that names only --expect-names', () => {
  const table = '| flag | default | meaning |\n| --- | --- | --- |\n| `--expect-names FILE` | none | x |\n| `-q, --quiet` | off | y |\n';
  const flags = docFlags(table);
  assert.deepEqual([...flags.keys()].sort(), ['--expect-names', '--quiet', '-q']);
  const parsed = helpOptions(
    'x\n\nOptions:\n      --expect-names  File [string]\n  -q, --quiet  No summary\n     [boolean] [default:\n     false]\n\nExamples:\n',
  );
  assert.deepEqual(
    [...parsed],
    [
      ['--expect-names', { alias: undefined, default: undefined }],
      ['--quiet', { alias: '-q', default: 'false' }],
    ],
  );
});

test('every page in docs/ is linked from README.md, and design.md lists each of its sections', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const unlinked = readdirSync(join(ROOT, 'docs')).filter((page) => page.endsWith('.md') && !readme.includes(`](docs/${page}`));
  assert.deepEqual(unlinked, [], 'pages of docs/ that README.md does not link');
  const design = readFileSync(join(ROOT, 'docs', 'design.md'), 'utf8');
  const sections = [...design.matchAll(/^## (.+)$/gm)].map(([, title]) => title);
  assert.ok(sections.length >= 5);
  assert.deepEqual(
    sections.filter((title) => !design.includes(`](#${slug(title)})`)),
    [],
    'sections of docs/design.md missing from its contents list',
  );
});
