#!/usr/bin/env node
// The bin: runs the CommonJS bundle main.cjs (next to this file) with V8's code cache, and the
// chunks main.cjs requires on demand (aws-sdk.cjs for an s3:// input, ajv.cjs for --schema) with
// theirs.
//
// A CommonJS file, not an ES module: Node 20's ES module loader reads its entry through libuv's
// thread pool, which starts the pool with its default 4 threads before any of our code runs, so
// the pool size the CLI sets (UV_THREADPOOL_SIZE, from --concurrency) would never be read and a
// network volume would get 4 opens in flight instead of 32. The CommonJS loader reads
// synchronously. (bundle/aggregate.mjs, the former bin, is kept as a shim that requires this file.)
//
// Compiling a bundle is a large part of every start (of an s3:// run's, the 1.4 MB SDK chunk's).
// FILE.v8cache next to each, made at build time by runs of the CLI (scripts/code-cache.mjs),
// holds the compiled code: a CRC-32 of FILE and of the V8 data (uint32 LE), then the V8 data.
// V8 itself checks that the data fits (V8 version, flags, source length) and compiles from source
// when it does not, but it does not check the payload (a corrupted one can crash the process),
// hence the CRC. So a missing, stale, foreign, corrupted or unreadable cache costs only the time
// it would have saved, silently. Nothing is written at run time (read-only images), except when
// AGGREGATE_WRITE_CODE_CACHE names a directory: then each file compiled here writes its cache
// there at exit, after the run compiled what it used.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { basename, join } = require('node:path');
const { Script } = require('node:vm');
const { crc32 } = require('node:zlib'); // loaded by main.cjs anyway

/** The chunks main.cjs requires by these names (scripts/bundle.mjs) are loaded by load() below. */
const CHUNKS = new Set(['./aws-sdk.cjs', './ajv.cjs']);
const target = process.env.AGGREGATE_WRITE_CODE_CACHE;

/** Run the CommonJS file `file` as a module, compiled with its code cache if that fits. */
function load(file) {
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
  if (target) {
    process.once('exit', () => {
      const data = script.createCachedData();
      const header = Buffer.alloc(4);
      header.writeUInt32LE(crc32(data, crc32(bytes)));
      writeFileSync(join(target, `${basename(file)}.v8cache`), Buffer.concat([header, data]));
    });
  }
  // A module as Node's loader makes one, in require.cache: a second require gets the same exports.
  const module = new Module(file, null);
  module.filename = file;
  const base = Module.createRequire(file);
  const require = Object.assign((id) => (CHUNKS.has(id) ? loadChunk(join(__dirname, id)) : base(id)), base);
  require.cache[file] = module;
  try {
    script.runInThisContext()(module.exports, require, module, file, __dirname);
  } catch (error) {
    delete require.cache[file]; // as Node's loader does: a later require tries again
    throw error;
  }
  module.loaded = true;
  return module.exports;
}

function loadChunk(file) {
  return require.cache[file]?.exports ?? load(file);
}

load(join(__dirname, 'main.cjs'));
