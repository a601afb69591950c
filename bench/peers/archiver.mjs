// Peer: archiver 8 used the way its README shows: one archive.file() per file found by
// readdir, piped to a file. `tar`, `tgz` (gzip level 6, tar -czf's default) or `zip` (deflate
// level 6, zip -r's default).
//   node bench/peers/archiver.mjs tar|tgz|zip DIR OUT
import fs from 'node:fs';
import path from 'node:path';
import { TarArchive, ZipArchive } from 'archiver';

const [format, dir, outFile] = process.argv.slice(2);
const archive = format === 'zip' ? new ZipArchive({ zlib: { level: 6 } }) : new TarArchive(format === 'tgz' ? { gzip: true, gzipOptions: { level: 6 } } : {});
const out = fs.createWriteStream(outFile);
const done = new Promise((resolve, reject) => {
  out.on('close', resolve);
  archive.on('error', reject);
  out.on('error', reject);
});
archive.pipe(out);
for (const name of fs.readdirSync(dir).sort()) archive.file(path.join(dir, name), { name });
await archive.finalize();
await done;
