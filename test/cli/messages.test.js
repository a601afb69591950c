// Names read from disk arrive as bytes: the ones messages must not print raw (DEL, C0 controls)
// are quoted in $'...' form on that path too. Spawns the built CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run, tempTrees } from '../helpers/cli.js';

const mk = tempTrees('agg-msg-');

for (const [label, name, quoted] of [
  ['DEL in an ASCII name', 'del\x7f.json', "$'del\\x7f.json'"],
  ['DEL after a non-ASCII character', 'ü\x7f.json', "$'ü\\x7f.json'"],
  ['an escape sequence', 'esc\x1b[31m.json', "$'esc\\x1b[31m.json'"],
]) {
  test(`a file named with ${label}, read from disk: quoted in the error and the warning, never raw`, async () => {
    const d = mk({ [name]: '[1,', 'ok.json': '1' });
    const r = await run([d]);
    assert.equal(r.code, 3, r.stderr);
    // The error names the path (absolute), the whole of it quoted: $'<dir>/<name>'.
    assert.ok(r.stderr.includes(`$'${d}/${quoted.slice(2)}`), r.stderr);
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(r.stderr), JSON.stringify(r.stderr));
    const skip = await run([d, '--on-invalid', 'skip', '--stats', path.join(mk(), 's.json')]);
    assert.equal(skip.code, 0, skip.stderr);
    assert.ok(skip.stderr.includes(`skipped invalid input: $'${d}/${quoted.slice(2)}`), skip.stderr);
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(skip.stderr), JSON.stringify(skip.stderr));
  });
}

test('the --expect-names file is quoted in every message about it (missing, a directory, bad JSON, bad UTF-8, a bad name)', async () => {
  const d = mk({ 'a.json': '1' });
  const lists = mk({ 'j\x1b.json': '[1', 'u\x1b.json': '["a\xff"]', 'n\x1b.json': '["/a.json"]', 'd\x1b/x': '' });
  fs.writeFileSync(path.join(lists, 'u\x1b.json'), Buffer.from('["a\xff"]', 'latin1'));
  for (const [name, said] of [
    ['missing\x1b', 'no such file'],
    ['d\x1b', 'is a directory'],
    ['j\x1b.json', 'not valid JSON'],
    ['u\x1b.json', 'not valid UTF-8 at byte 3'],
    ['n\x1b.json', 'is not a relative path'],
  ]) {
    const r = await run([d, '--expect-names', path.join(lists, name)]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.startsWith(`aggregate: --expect-names $'${lists}/${name.replace('\x1b', '\\x1b')}'`), r.stderr);
    assert.ok(r.stderr.includes(said), r.stderr);
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(r.stderr), JSON.stringify(r.stderr));
  }
});
