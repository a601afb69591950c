/**
 * Writes bundle/main.cjs.v8cache, aws-sdk.cjs.v8cache and ajv.cjs.v8cache (see scripts/launcher.cjs):
 * runs the built bin on a few made-up fragments, as users run it, so each cache holds the code
 * the runs compile, not only the bundle's top level. A JSON run, then a tar.gz run, then a
 * --schema run and an s3:// run (from a tiny S3 stand-in here, which answers a listing and GETs),
 * each starting from the caches before it and adding what it compiled (a cache grows this way:
 * ~2% per mode). A cache fits only the Node (V8) that ran this: npm run build makes them for the
 * build machine's Node; the Dockerfile makes them with the image's own node.
 *
 *   node scripts/code-cache.mjs [BUNDLE_DIR]     (default: bundle/ of this repository)
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? new URL('../bundle', import.meta.url).pathname);
const work = mkdtempSync(join(tmpdir(), 'aggregate-code-cache-'));
try {
  for (let d = 0; d < 3; d++) {
    mkdirSync(join(work, 'in', `d${d}`), { recursive: true });
    for (let f = 0; f < 5; f++) {
      const value = { id: `${d}-${f}`, ok: f % 2 === 0, n: d * 10 + f + 0.5, tags: ['a', 'b\u00e9'], nested: { x: null } };
      writeFileSync(join(work, 'in', `d${d}`, `f${f}.json`), JSON.stringify(value, null, f % 2 ? 2 : 0));
    }
  }
  writeFileSync(
    join(work, 'schema.json'),
    JSON.stringify({ type: 'object', properties: { id: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } }, required: ['id'] }),
  );
  const server = await s3StandIn();
  const { port } = server.address();
  const runs = [
    ['--mode', 'json', join(work, 'in'), '-o', join(work, 'out.json'), '--stats', join(work, 'stats.json'), '--quiet'],
    ['--mode', 'tar', join(work, 'in'), '-o', join(work, 'out.tar.gz'), '--quiet'],
    ['--mode', 'json', join(work, 'in'), '--schema', join(work, 'schema.json'), '-o', join(work, 'valid.json'), '--quiet'],
    ['--mode', 'json', 's3://bucket/in/', '--endpoint', `http://127.0.0.1:${port}`, '-o', join(work, 's3.json'), '--quiet'],
  ];
  try {
    for (const args of runs) {
      // Not execFileSync: the S3 stand-in answers from this process.
      await new Promise((done, fail) => {
        const env = {
          ...process.env,
          AGGREGATE_WRITE_CODE_CACHE: dir,
          AWS_ACCESS_KEY_ID: 'code-cache',
          AWS_SECRET_ACCESS_KEY: 'code-cache',
          AWS_REGION: 'us-east-1',
          AWS_CONFIG_FILE: '/nonexistent',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        };
        const child = execFile(process.execPath, [join(dir, 'aggregate.cjs'), ...args], { env }, (error) => (error ? fail(error) : done()));
        child.stderr.pipe(process.stderr);
      });
    }
  } finally {
    server.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * An S3 stand-in on 127.0.0.1 holding bucket/in/ with a few objects: ListObjectsV2 (one page)
 * and GetObject; no signature check, no ranges, nothing else.
 */
async function s3StandIn() {
  const objects = new Map(Array.from({ length: 6 }, (_, i) => [`in/d${i >> 1}/f${i}.json`, Buffer.from(JSON.stringify({ id: `s3-${i}`, tags: ['x'] }))]));
  const etag = (body) => `"${createHash('md5').update(body).digest('hex')}"`;
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/bucket/' || url.pathname === '/bucket') {
      const contents = [...objects]
        .map(
          ([key, body]) =>
            `<Contents><Key>${key}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>${etag(body)}</ETag><Size>${body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
        )
        .join('');
      const xml = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix>in/</Prefix><KeyCount>${objects.size}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`;
      res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
      return;
    }
    const body = objects.get(decodeURIComponent(url.pathname.slice('/bucket/'.length)));
    if (!body) {
      res
        .writeHead(404, { 'content-type': 'application/xml' })
        .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>');
      return;
    }
    res.writeHead(200, { etag: etag(body), 'content-length': body.length, 'content-type': 'application/json' }).end(body);
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return server;
}
