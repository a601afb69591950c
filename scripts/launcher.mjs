#!/usr/bin/env node
// The bin: runs the CommonJS bundle main.cjs (next to this file) with V8's code cache.
//
// Compiling the bundle is a large part of every start. main.cjs.v8cache, made at build time by
// one run of the CLI (scripts/code-cache.mjs), holds the compiled code: a CRC-32 of main.cjs and
// of the V8 data (uint32 LE), then the V8 data. V8 itself checks that the data fits (V8 version,
// flags, source length) and compiles from source when it does not, but it does not check the
// payload (a corrupted one can crash the process), hence the CRC. So a missing, stale, foreign,
// corrupted or unreadable cache costs only the time it would have saved, silently.
// Nothing is written at run time (read-only images), except when AGGREGATE_WRITE_CODE_CACHE
// names a file: then the cache is written there at exit, after the run compiled what it used.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib'; // loaded by main.cjs anyway

const file = fileURLToPath(new URL('main.cjs', import.meta.url));
const bytes = readFileSync(file);
let cachedData;
try {
  const cache = readFileSync(`${file}.v8cache`);
  if (cache.length > 4 && cache.readUInt32LE(0) === crc32(cache.subarray(4), crc32(bytes))) cachedData = cache.subarray(4);
} catch {
  // No cache, or not readable: compile from source.
}
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${bytes.toString()}\n})`, {
  filename: file,
  cachedData,
});
const target = process.env.AGGREGATE_WRITE_CODE_CACHE;
if (target) {
  process.once('exit', () => {
    const data = script.createCachedData();
    const header = Buffer.alloc(4);
    header.writeUInt32LE(crc32(data, crc32(bytes)));
    writeFileSync(target, Buffer.concat([header, data]));
  });
}
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
