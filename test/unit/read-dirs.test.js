// The synchronous reader's containment a directory at a time (src/read.ts, Directories): which
// directories it opens, and how it opens files. Counts the reader's open() calls on real trees.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FileReader } from '../../dist/read.js';
import { rm, tmpdir, writeTree } from '../helpers/cli.js';

const trees = [];
after(() => trees.forEach(rm));

/** A tree of `rels` (each file holds its name) and the reader's entries for it, in list order. */
function listed(rels) {
  const dir = tmpdir('agg-dirs-');
  trees.push(dir);
  writeTree(dir, Object.fromEntries(rels.map((r) => [r, JSON.stringify(r)])));
  const real = fs.realpathSync(dir);
  const entries = rels.map((r) => ({ rel: Buffer.from(r), abs: Buffer.from(path.join(dir, r)) }));
  return { entries, root: Buffer.from(real + '/') };
}

/** Reads every entry synchronously; returns what was read and every path open() was given. */
function readAll(entries, root) {
  const opened = [];
  const real = fs.openSync;
  fs.openSync = (p, flags, mode) => {
    opened.push({ path: Buffer.from(p).toString(), dir: (flags & fs.constants.O_DIRECTORY) !== 0 });
    return real(p, flags, mode);
  };
  const read = [];
  try {
    const reader = new FileReader({ length: entries.length, at: (i) => entries[i] }, { concurrency: 4, stat: false, mode: 'sync', root });
    for (let r = reader.next(); r !== undefined; r = reader.next()) {
      assert.equal(r.kind, 'file', r.reason);
      read.push(r.file.head.toString());
      r.file.close();
    }
    reader.dispose();
  } finally {
    fs.openSync = real;
  }
  return { read, dirOpens: opened.filter((o) => o.dir).map((o) => o.path), fileOpens: opened.filter((o) => !o.dir).map((o) => o.path) };
}

test('a directory of many files is opened once, and its files through its descriptor', () => {
  const rels = ['a.json', 'b.json', 'sub/c.json', 'sub/d.json', 'sub/e.json'];
  const { entries, root } = listed(rels);
  const { read, dirOpens, fileOpens } = readAll(entries, root);
  assert.deepEqual(
    read,
    rels.map((r) => JSON.stringify(r)),
  );
  assert.equal(dirOpens.length, 2, dirOpens.join('\n'));
  for (const p of fileOpens) assert.match(p, /^\/proc\/(\d+|self)\/fd\/\d+\/[a-e]\.json$/);
});

test('a directory holding one listed file is not opened: the file is opened by its path', () => {
  // An open and a close per directory would cost more than the readlink they save.
  const rels = ['d1/a.json', 'd2/a.json', 'd3/a.json', 'top.json'];
  const { entries, root } = listed(rels);
  const { read, dirOpens, fileOpens } = readAll(entries, root);
  assert.deepEqual(
    read,
    rels.map((r) => JSON.stringify(r)),
  );
  assert.deepEqual(dirOpens, []);
  assert.deepEqual(
    fileOpens,
    entries.map((e) => e.abs.toString()),
  );
});

test('the directories held are the most recently used: one used between others stays open', () => {
  // top/ is used between each of 6 other directories (more than are held at once).
  const rels = [];
  for (let k = 1; k <= 6; k++) rels.push(`t${k}a.json`, `t${k}b.json`, `d${k}/x.json`, `d${k}/y.json`);
  const { entries, root } = listed(rels);
  const { read, dirOpens } = readAll(entries, root);
  assert.deepEqual(
    read,
    rels.map((r) => JSON.stringify(r)),
  );
  const top = dirOpens.filter((p) => !/\/d\d$/.test(p));
  assert.equal(top.length, 1, `the top directory was opened ${top.length} times`);
  assert.equal(dirOpens.length, 7);
});
