// Prints the entry names of a zip file, one a line, from its central directory.
// Used by run.sh so the image test needs neither unzip nor python on the host.
import { readFileSync } from 'node:fs';

const buf = readFileSync(process.argv[2]);
let eocd = -1;
for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
  if (buf.readUInt32LE(i) === 0x06054b50) {
    eocd = i;
    break;
  }
}
if (eocd < 0) throw new Error('not a zip file: no end of central directory record');
let count = buf.readUInt16LE(eocd + 10);
let offset = buf.readUInt32LE(eocd + 16);
if (count === 0xffff || offset === 0xffffffff) {
  // ZIP64: the locator sits just before the EOCD record.
  const loc = eocd - 20;
  if (buf.readUInt32LE(loc) !== 0x07064b50) throw new Error('bad zip64 locator');
  const z = Number(buf.readBigUInt64LE(loc + 8));
  count = Number(buf.readBigUInt64LE(z + 32));
  offset = Number(buf.readBigUInt64LE(z + 48));
}
const names = [];
for (let n = 0; n < count; n++) {
  if (buf.readUInt32LE(offset) !== 0x02014b50) throw new Error(`bad central directory entry ${n}`);
  const nameLen = buf.readUInt16LE(offset + 28);
  const extraLen = buf.readUInt16LE(offset + 30);
  const commentLen = buf.readUInt16LE(offset + 32);
  names.push(buf.toString('utf8', offset + 46, offset + 46 + nameLen));
  offset += 46 + nameLen + extraLen + commentLen;
}
process.stdout.write(names.map((name) => `${name}\n`).join(''));
