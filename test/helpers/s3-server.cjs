// A real S3-protocol server for the tests and the bench: s3rver on 127.0.0.1, on a free port,
// storing into the directory given as argv[2]. Prints {"port": N} once listening; exits when its
// stdin closes (the parent died or called stop()) or on SIGTERM. Run it under
// `node --openssl-legacy-provider`: s3rver makes its continuation tokens with DES.
'use strict';
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
