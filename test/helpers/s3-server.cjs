// A real S3-protocol server for the tests and the bench: s3rver on 127.0.0.1, on a free port,
// storing into the directory given as argv[2]. Prints {"port": N} once listening; exits when its
// stdin closes (the parent died or called stop()) or on SIGTERM. Run it under
// `node --openssl-legacy-provider`: s3rver makes its continuation tokens with DES.
//
// s3rver lists a bucket in the order of its directory walk: the keys under `x/a/` before the key
// `x/a`, and `fragments-old/...` after `fragments/...`, then pages with a "start after" in string
// order, which can skip keys. S3 lists in the byte order of the keys' UTF-8. Its walk is replaced
// (before s3rver loads it) by one that yields each bucket's objects in that order.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const utils = require('s3rver/lib/utils');

const OBJECT = '._S3rver_object';
utils.walk = function* walk(dir, recurseFilter) {
  const files = [];
  const collect = (d) => {
    for (const name of fs.readdirSync(d)) {
      const p = path.posix.join(d, name);
      if (!fs.statSync(p).isDirectory()) files.push({ p, key: Buffer.from(p.endsWith(OBJECT) ? p.slice(0, -OBJECT.length) : p) });
      else if (!recurseFilter || recurseFilter(p)) collect(p);
    }
  };
  collect(dir);
  files.sort((a, b) => Buffer.compare(a.key, b.key));
  for (const f of files) yield f.p;
};

const S3rver = require('s3rver');

const server = new S3rver({ address: '127.0.0.1', port: 0, directory: process.argv[2], silent: true });
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\n'),
  (error) => {
    process.stderr.write(`s3rver: ${error.stack}\n`);
    process.exit(1);
  },
);
const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop).resume();
process.on('SIGTERM', stop);
