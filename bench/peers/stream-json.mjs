// Peer: a streaming merge built from stream-json 3.8, the library one reaches for when the data
// does not fit in memory. Per fragment: asyncBlockReader -> jsonParser({jsonStreaming}) with
// packed values only (driven by stream-chain's pipe(), which flushes per file); every token goes to one shared stringer({makeArray, useValues}), so the output
// is one array of all top-level values, numbers copied as text. Memory stays bounded.
import fs from 'node:fs';
import path from 'node:path';
import {none} from 'stream-chain/core';
import pipe from 'stream-chain/utils/pipe.js';
import asyncBlockReader from 'stream-chain/utils/asyncBlockReader.js';
import {jsonParser} from 'stream-json/parser.js';
import {stringer} from 'stream-json/stringer.js';

const dir = process.argv[2];
const names = fs.readdirSync(dir).sort((a, b) => a.localeCompare(b, undefined, {numeric: true}));
const str = stringer({makeArray: true, useValues: true});
const out = fs.createWriteStream(null, {fd: 1, highWaterMark: 1 << 20});
let pending = '';
const emit = async (s) => {
  if (s === none || s === undefined) return;
  pending += s;
  if (pending.length >= 1 << 16) {
    if (!out.write(pending)) await new Promise((r) => out.once('drain', r));
    pending = '';
  }
};
// pipe(), not gen(): it flushes the parser at the end of each file, so a number that ends a file
// without a trailing newline is emitted
const tokens = (options) => pipe(asyncBlockReader(options), jsonParser(options));
const opts = {jsonStreaming: true, packValues: true, streamValues: false};
for (const name of names) {
  for await (const token of tokens(opts)(path.join(dir, name))) await emit(str(token));
}
await emit(str(none));
out.end(pending + '\n');
