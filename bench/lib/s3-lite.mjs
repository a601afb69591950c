// A light S3-protocol server for the bench: ListObjectsV2 pages and GetObject (ETag, If-Match,
// Range) over directories loaded into memory at start, every request's SigV4 signature checked
// against one access key. It exists because s3rver (the tests' server) spends several ms of CPU
// per request, and on a 2-core bench machine that CPU is taken from the client being measured;
// a real S3 scales out and costs the client nothing but latency.
//
// Latency model: every answer's head (status and headers) is held back `delayMs` after the
// request arrived: a per-request time to first byte, what a round trip to S3 in-region costs
// (~10-30 ms). Bodies then go at loopback speed (no bandwidth model).
//
// As a process (so its CPU is its own, and measurable):
//   node s3-lite.mjs --bucket B --mount PREFIX=DIR [--mount ...] [--delay MS]
// prints {"port": N} once listening; exits when stdin closes. `GET /__stats` answers
// {requests, connections, maxInFlight, meanInFlight, cpuMs} (not signed: the bench's own probe; the in-flight
// figures cover the time since the previous probe during which any request was in flight).
// From a script: startLite({ bucket, mounts: { prefix: dir }, delayMs }) spawns it.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The one account: the same key pair as s3rver's, so the tests' environment works against both. */
export const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';
const PAGE = 1000;

const self = fileURLToPath(import.meta.url);

/**
 * Runs `node ...args` as a server that prints {"port": N} on its first line once listening and
 * exits when its stdin closes; resolves to { child, port }. (Also starts the tests' s3rver.)
 */
export async function spawnListening(args) {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const nl = text.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(text.slice(0, nl)).port);
    });
    child.on('exit', (code) => reject(new Error(`${args.find((a) => /\.[cm]?js$/.test(a))} exited with ${code} before listening`)));
    child.on('error', reject);
  });
  return { child, port };
}

export async function startLite({ bucket, mounts, delayMs = 0 }) {
  const args = [self, '--bucket', bucket, '--delay', String(delayMs)];
  for (const [prefix, dir] of Object.entries(mounts)) args.push('--mount', `${prefix}=${dir}`);
  const { child, port } = await spawnListening(args);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    port,
    endpoint,
    pid: child.pid,
    /** { requests, connections, maxInFlight, meanInFlight, cpuMs } (counts since start); the in-flight figures restart at each call. */
    stats: () =>
      new Promise((resolve, reject) => {
        http
          .get(`${endpoint}/__stats`, { agent: false }, (res) => {
            let body = '';
            res.on('data', (d) => (body += d)).on('end', () => resolve(JSON.parse(body)));
          })
          .on('error', reject);
      }),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}

// ---- the server process ----

function loadObjects(mounts) {
  const objects = [];
  for (const [prefix, dir] of mounts) {
    const walk = (sub) => {
      for (const d of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
        const rel = sub ? `${sub}/${d.name}` : d.name;
        if (d.isDirectory()) walk(rel);
        else if (d.isFile()) {
          const body = fs.readFileSync(path.join(dir, rel));
          const key = prefix + rel;
          objects.push({
            key,
            keyBytes: Buffer.from(key),
            body,
            etag: `"${crypto.createHash('md5').update(body).digest('hex')}"`,
            modified: fs.statSync(path.join(dir, rel)).mtime,
          });
        }
      }
    };
    walk('');
  }
  // S3 lists keys in the binary order of their UTF-8 bytes.
  objects.sort((a, b) => Buffer.compare(a.keyBytes, b.keyBytes));
  return objects;
}

const xml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function error(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`);
}

const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();
const signingKeys = new Map();

/** Whether the request carries a valid SigV4 signature by ACCESS_KEY ('' when it does, else the error code). */
function authError(req) {
  const auth = req.headers.authorization ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'AccessDenied';
  const [, key, date, region, signed, signature] = m;
  if (key !== ACCESS_KEY) return 'InvalidAccessKeyId';
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const params = query === '' ? [] : query.split('&').map((p) => (p.includes('=') ? p : `${p}=`));
  params.sort((a, b) => {
    const [ka, va] = a.split('=');
    const [kb, vb] = b.split('=');
    return ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0;
  });
  const names = signed.split(';');
  const headers = names
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonical = [req.method, rawPath, params.join('&'), headers, signed, req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', req.headers['x-amz-date'], scope, crypto.createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k = signingKeys.get(scope);
  if (k === undefined) {
    k = hmac(hmac(hmac(hmac(`AWS4${SECRET_KEY}`, date), region), 's3'), 'aws4_request');
    signingKeys.set(scope, k);
  }
  const expected = hmac(k, toSign).toString('hex');
  return expected === signature ? '' : 'SignatureDoesNotMatch';
}

function list(res, bucket, objects, params) {
  const prefix = params.get('prefix') ?? '';
  const max = Math.min(PAGE, Number(params.get('max-keys') ?? PAGE));
  const token = params.get('continuation-token');
  const after = token ? Buffer.from(token, 'base64') : params.get('start-after') ? Buffer.from(params.get('start-after')) : undefined;
  const urlEncoded = params.get('encoding-type') === 'url';
  // Binary search for the first key past `after` (or the prefix), then a page of matches.
  const from = after ?? Buffer.from(prefix);
  let lo = 0;
  let hi = objects.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = Buffer.compare(objects[mid].keyBytes, from);
    if (c < 0 || (c === 0 && after !== undefined)) lo = mid + 1;
    else hi = mid;
  }
  const page = [];
  let i = lo;
  for (; i < objects.length && page.length < max && objects[i].key.startsWith(prefix); i++) page.push(objects[i]);
  const truncated = i < objects.length && objects[i].key.startsWith(prefix);
  const name = (k) => xml(urlEncoded ? encodeURIComponent(k).replace(/%2F/g, '/') : k);
  const parts = [
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    `<Name>${xml(bucket)}</Name><Prefix>${name(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys>`,
    urlEncoded ? '<EncodingType>url</EncodingType>' : '',
    `<IsTruncated>${truncated}</IsTruncated>`,
    token ? `<ContinuationToken>${xml(token)}</ContinuationToken>` : '',
    truncated ? `<NextContinuationToken>${page.at(-1).keyBytes.toString('base64')}</NextContinuationToken>` : '',
  ];
  for (const o of page) {
    parts.push(
      `<Contents><Key>${name(o.key)}</Key><LastModified>${o.modified.toISOString()}</LastModified><ETag>${xml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
  }
  parts.push('</ListBucketResult>');
  const body = Buffer.from(parts.join(''));
  res.writeHead(200, { 'content-type': 'application/xml', 'content-length': body.length });
  res.end(body);
}

function get(req, res, object) {
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined && ifMatch !== '*' && !ifMatch.split(/\s*,\s*/).includes(object.etag)) {
    return error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  }
  const head = { 'content-type': 'application/octet-stream', etag: object.etag, 'last-modified': object.modified.toUTCString(), 'accept-ranges': 'bytes' };
  const size = object.body.length;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    const end = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
    if (start >= size || end < start) return error(res, 416, 'InvalidRange', 'The requested range is not satisfiable');
    res.writeHead(206, { ...head, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}` });
    return res.end(req.method === 'HEAD' ? undefined : object.body.subarray(start, end + 1));
  }
  res.writeHead(200, { ...head, 'content-length': size });
  res.end(req.method === 'HEAD' ? undefined : object.body);
}

function serve({ bucket, mounts, delayMs }) {
  const objects = loadObjects(mounts);
  const byKey = new Map(objects.map((o) => [o.key, o]));
  let requests = 0;
  let connections = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  // Requests in flight over time: their integral over the time any was in flight gives the mean.
  let area = 0;
  let busy = 0;
  let since = 0;
  const change = (by) => {
    const now = performance.now();
    if (inFlight > 0) {
      area += inFlight * (now - since);
      busy += now - since;
    }
    since = now;
    inFlight += by;
  };
  const server = http.createServer((req, res) => {
    if (req.url === '/__stats') {
      const cpu = process.cpuUsage();
      res.end(JSON.stringify({ requests, connections, maxInFlight, meanInFlight: busy > 0 ? area / busy : 0, cpuMs: (cpu.user + cpu.system) / 1000 }));
      maxInFlight = 0;
      area = busy = 0;
      return;
    }
    requests++;
    change(+1);
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    res.on('close', () => change(-1));
    const answer = () => {
      const auth = authError(req);
      if (auth) return error(res, 403, auth, 'request not signed by the known access key');
      const url = new URL(req.url, 'http://x');
      const slash = url.pathname.indexOf('/', 1);
      const b = decodeURIComponent(slash < 0 ? url.pathname.slice(1) : url.pathname.slice(1, slash));
      const key = slash < 0 ? '' : decodeURIComponent(url.pathname.slice(slash + 1));
      if (b !== bucket) return error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (req.method !== 'GET' && req.method !== 'HEAD') return error(res, 405, 'MethodNotAllowed', 'read-only server');
      if (key === '') {
        if (url.searchParams.get('list-type') !== '2') return error(res, 501, 'NotImplemented', 'only ListObjectsV2');
        return list(res, bucket, objects, url.searchParams);
      }
      const object = byKey.get(key);
      if (object === undefined) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      return get(req, res, object);
    };
    req.resume();
    req.on('end', () => (delayMs > 0 ? setTimeout(answer, delayMs) : answer()));
  });
  server.on('connection', () => connections++);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
  process.stdin.on('end', () => process.exit(0)).resume();
}

if (process.argv[1] === self) {
  const argv = process.argv.slice(2);
  const mounts = [];
  let bucket = 'bench';
  let delayMs = 0;
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--bucket') bucket = argv[i + 1];
    else if (argv[i] === '--delay') delayMs = Number(argv[i + 1]);
    else if (argv[i] === '--mount') {
      const eq = argv[i + 1].indexOf('=');
      mounts.push([argv[i + 1].slice(0, eq), argv[i + 1].slice(eq + 1)]);
    } else throw new Error(`s3-lite: unknown argument ${argv[i]}`);
  }
  serve({ bucket, mounts, delayMs });
}
