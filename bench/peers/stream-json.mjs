// Peer: a streaming merge built from stream-json 3.8, the library one reaches for when the data
// does not fit in memory. Per fragment: fs.createReadStream -> parser.asStream({jsonStreaming})
// with packed values only; every token goes to one shared stringer({makeArray, useValues}), so
// the output is one array of all top-level values, numbers copied as text. Memory stays bounded.
import fs from 'node:fs';
import path from 'node:path';
import { none } from 'stream-chain/core';
import { parser } from 'stream-json/parser.js';
import { stringer } from 'stream-json/stringer.js';

const dir = process.argv[2];
const names = fs.readdirSync(dir).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
const str = stringer({ makeArray: true, useValues: true });
const out = fs.createWriteStream(null, { fd: 1, highWaterMark: 1 << 20 });
let pending = '';
const emit = (s) => {
  if (s === none || s === undefined) return;
  pending += s;
  if (pending.length >= 1 << 16) {
    out.write(pending);
    pending = '';
  }
};
const opts = { jsonStreaming: true, packValues: true, streamValues: false };
for (const name of names) {
  await new Promise((resolve, reject) => {
    const p = parser.asStream(opts);
    p.on('data', (token) => emit(str(token)));
    p.on('end', resolve);
    p.on('error', reject);
    const input = fs.createReadStream(path.join(dir, name), { highWaterMark: 1 << 16 });
    input.on('error', reject);
    input.pipe(p);
  });
}
emit(str(none));
out.end(pending + '\n');
