// The floor of a Node.js collect step: the system calls aggregate makes per file, and nothing else.
//
//   node bench/peers/node-floor.cjs json|tar|tgz DIR OUT     (OUT `-`: stdout, as aggregate without -o)
//
// Walks DIR (readdir with types), sorts the names, and per directory: open, the containment
// readlink of /proc/<pid>/fd/D; per file: open through it (/proc/<pid>/fd/D/name, O_NOFOLLOW|
// O_NONBLOCK), fstat (tar only: size and mode for the header), one read, close. json: the files' bytes joined with commas inside brackets, newlines dropped,
// nothing validated. tar: a ustar header (name, mode, size, checksum), the data, padding. tgz:
// the same tar, each MiB of it gzipped (level 6) as its own gzip member on libuv's thread pool
// while the loop goes on (members concatenated: valid gzip, compression fully parallel).
// Then write, fsync, rename, as aggregate's -o does. Not an answer (no validation, no natural
// order, no errors handled, ASCII names under 100 bytes only): it shows what Node itself costs on small inputs, so
// that a target below it reads as what it is.
'use strict';
const fs = require('node:fs');

const [mode, dir, out] = process.argv.slice(2);
const gz = mode === 'tgz';
/** tgz: the gzip members of each MiB of output, compressed on the pool while the loop goes on. */
const members = [];
let gzipped = 0;
const gzipSome = (end) => {
  const part = Buffer.from(o.subarray(gzipped, end));
  members.push(new Promise((res, rej) => require('node:zlib').gzip(part, { level: 6 }, (e, r) => (e ? rej(e) : res(r)))));
  gzipped = end;
};
const names = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = `${d}/${e.name}`;
    if (e.isDirectory()) walk(p);
    else names.push(p);
  }
})(dir);
names.sort();

const HEADER = Buffer.alloc(512);
HEADER.write('0000644\0', 100, 'latin1');
HEADER.write('00000000000\0', 124, 'latin1');
HEADER.write('00000000000\0', 136, 'latin1');
HEADER.fill(0x20, 148, 156);
HEADER[156] = 0x30;
HEADER.write('ustar\x0000', 257, 'latin1');
let HEADER_SUM = 0;
for (const b of HEADER) HEADER_SUM += b;
const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
const LATIN1 = { encoding: 'latin1' };
const buf = Buffer.allocUnsafe(1 << 20);
let o = Buffer.allocUnsafe(4 << 20);
let used = 0;
const room = (n) => {
  if (gz && used - gzipped >= 1 << 20) gzipSome(used);
  if (used + n <= o.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(o.length * 2, used + n));
  o.copy(bigger, 0, 0, used);
  o = bigger;
};

if (mode === 'json') o[used++] = 0x5b;
const DIR_FLAGS = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY;
let dirName = '';
let dirFd = -1;
let via = '';
for (let k = 0; k < names.length; k++) {
  const cut = names[k].lastIndexOf('/');
  if (names[k].slice(0, cut) !== dirName) {
    if (dirFd >= 0) fs.closeSync(dirFd);
    dirName = names[k].slice(0, cut);
    dirFd = fs.openSync(dirName, DIR_FLAGS);
    fs.readlinkSync(`/proc/${process.pid}/fd/${dirFd}`, LATIN1);
    via = `/proc/${process.pid}/fd/${dirFd}/`;
  }
  const fd = fs.openSync(via + names[k].slice(cut + 1), FLAGS);
  const size = mode !== 'json' ? fs.fstatSync(fd).size : 0;
  const n = fs.readSync(fd, buf, 0, buf.length, null);
  fs.closeSync(fd);
  if (mode === 'json') {
    room(n + 1);
    if (k) o[used++] = 0x2c;
    for (let i = 0; i < n; i++) if (buf[i] !== 0x0a) o[used++] = buf[i];
  } else {
    room(512 + n + 512);
    // The header: a template copied in, then the name, the size and the checksum.
    HEADER.copy(o, used);
    const nameLen = o.write(names[k].slice(dir.length + 1), used, 100, 'latin1');
    let sum = HEADER_SUM;
    for (let i = used; i < used + nameLen; i++) sum += o[i];
    for (let i = 10, v = size; i >= 0; i--, v >>>= 3) sum += o[used + 124 + i] = 0x30 + (v & 7);
    sum -= 11 * 0x30; // the template's size digits, now replaced
    for (let i = 5, v = sum; i >= 0; i--, v >>>= 3) o[used + 148 + i] = 0x30 + (v & 7);
    o[used + 154] = 0;
    o[used + 155] = 0x20;
    used += 512;
    used += buf.copy(o, used, 0, n);
    const pad = (512 - (n % 512)) % 512;
    o.fill(0, used, used + pad);
    used += pad;
  }
}
if (mode === 'json') {
  room(2);
  o[used++] = 0x5d;
  o[used++] = 0x0a;
} else {
  room(1024);
  o.fill(0, used, used + 1024);
  used += 1024;
}
function write() {
  if (gz) {
    o = Buffer.concat(members);
    used = o.length;
  }
  if (out === '-') {
    for (let at = 0; at < used;) at += fs.writeSync(1, o, at, used - at);
  } else {
    const tmp = `${out}.floor-tmp`;
    const fd = fs.openSync(tmp, 'w');
    for (let at = 0; at < used;) at += fs.writeSync(fd, o, at, used - at);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, out);
  }
}
if (gz) {
  gzipSome(used);
  Promise.all(members).then((m) => {
    members.splice(0, members.length, ...m);
    write();
  });
} else write();
