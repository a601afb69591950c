// The benchmark suite itself: its correctness checker (unit) and one smoke run of the runner on
// tiny data against the built CLI (bench/run.mjs --smoke).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { digestText, jsonVerdict } from '../bench/lib/check.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const haveJq = spawnSync('sh', ['-c', 'command -v jq'], { encoding: 'utf8' }).status === 0;

// reference: three fragments, the second a big integer without a trailing newline
const fragments = ['{"a":1,"b":[1,2]}\n', '12345678901234567890', ' "x\\u00e9" 3\n'];
const ref = digestText('', { wrap: true, sources: fragments });
const verdict = (text) => jsonVerdict(ref, digestText(text));

test('checker: accepts the right answer in any whitespace and string escaping', () => {
  assert.equal(verdict('[{"a":1,"b":[1,2]},12345678901234567890,"xé",3]').status, 'ok');
  assert.equal(verdict('[\n  {"a": 1, "b": [1, 2]},\n  12345678901234567890, "x\\u00e9", 3\n]\n').status, 'ok');
});

test('checker: flags deliberately wrong outputs, each with its reason', () => {
  const cases = {
    '[{"a":1,"b":[1,2]},12345678901234567000,"xé",3]': /rounds big ints/,
    '[12345678901234567890,{"a":1,"b":[1,2]},"xé",3]': /order differs/,
    '[{"a":1,"b":[1,2]},12345678901234567890]\n["xé",3]': /2 top-level values.*split into 2 arrays, same elements/,
    '[{"a":1,"b":[1,2]},12345678901234567890,"xé"]': /3 elements, expected 4/,
    '[{"a":1,"b":[1,3]},12345678901234567890,"xé",3]': /content differs/,
    '[{"a":1,"b":[1,2]},1234567890123': /truncated/,
    '[{"a":1,"b":[1,2]},12345678901234567890,"xé" 3]': /missing comma/,
    '': /empty output/,
    '{"a":1}': /not an array/,
  };
  for (const [text, reason] of Object.entries(cases)) {
    const v = verdict(text);
    assert.equal(v.ok, false, `should reject ${JSON.stringify(text)}`);
    assert.match(v.status, /^WRONG: /);
    assert.match(v.status, reason, `reason for ${JSON.stringify(text)}: ${v.status}`);
  }
});

test('checker: fragment boundaries end numbers (jq\'s "1" + "2" -> [12] is wrong)', () => {
  const r = digestText('', { wrap: true, sources: ['1', '2\n'] });
  assert.equal(jsonVerdict(r, digestText('[1,2]')).status, 'ok');
  assert.match(jsonVerdict(r, digestText('[12]')).status, /1 elements, expected 2/);
});

test('bench smoke run: rows for aggregate, jq and cat with statuses', { timeout: 60_000 }, (t) => {
  if (!fs.existsSync(path.join(root, 'bundle/aggregate.cjs'))) assert.fail('bundle/aggregate.cjs is missing: run `npm run build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-test-'));
  const json = path.join(dir, 'run.json');
  try {
    const r = spawnSync(process.execPath, ['bench/run.mjs', '--smoke', '--profile', 'small', '--runs', '1', '--json', json], {
      cwd: root,
      encoding: 'utf8',
      timeout: 55_000,
    });
    assert.equal(r.status, 0, `bench failed:\n${r.stderr}`);
    assert.match(r.stdout, /\| aggregate --mode json \| ok \|/);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    const rows = report.profiles.find((p) => p.name === 'small').rows;
    const row = (id) => rows.find((x) => x.id === id);
    for (const id of ['aggregate', 'jq', 'find-jq', 'node-naive', 'stream-json', 'cat']) {
      assert.ok(row(id), `row ${id}`);
      assert.equal(typeof row(id).status, 'string');
    }
    assert.equal(row('aggregate').status, 'ok', 'aggregate must produce the reference output');
    assert.ok(row('aggregate').wall > 0);
    assert.equal(row('cat').status, 'floor');
    if (!haveJq) {
      t.diagnostic('jq is not installed (apt-get install jq): the jq rows say so and are not checked');
      assert.match(row('jq').status, /jq not installed/);
    } else {
      // the small profile holds integers beyond 2^53: jq 1.6 rounds them
      assert.match(row('jq').status, /^(ok|WRONG: rounds big ints)/);
      assert.match(row('find-jq').status, /^WRONG: /, 'find -exec jq lists files in directory order');
    }
    assert.match(row('node-naive').status, /rounds big ints/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('jq is installed (the bench compares against it)', (t) => {
  if (!haveJq) t.skip('jq is missing on this machine: apt-get install -y jq (.ci/run does this)');
});
