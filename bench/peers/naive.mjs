// Peer: the script a user writes in five minutes. Reads every fragment whole, JSON.parse,
// push, JSON.stringify at the end. One value per fragment only; numbers become doubles.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const names = fs.readdirSync(dir).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
const out = [];
for (const name of names) out.push(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
process.stdout.write(JSON.stringify(out) + '\n');
