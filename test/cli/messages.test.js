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
