// S3 for the tests: a real s3rver process (test/helpers/s3-server.cjs) on 127.0.0.1, and an SDK
// client to create buckets and upload fixtures. Never a mocked client.
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { before, after } from 'node:test';
import { spawnListening } from '../../bench/lib/s3-lite.mjs';
import { ROOT, rm, tmpdir } from './cli.js';

/** s3rver's built-in account. */
export const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

/**
 * Start a server. Returns { endpoint, env, client, createBucket, put, putTree, remove, stop }:
 * `env` is what the CLI needs to reach it (credentials, region, AWS_ENDPOINT_URL), with every
 * other AWS_* variable of the caller's environment cleared so a developer's profile never leaks in.
 */
export async function startS3() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
  const dir = tmpdir('agg-s3rver-');
  const { child, port } = await spawnListening(['--openssl-legacy-provider', path.join(ROOT, 'test/helpers/s3-server.cjs'), dir]);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY },
  });
  const env = { ...CREDENTIALS, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint };
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') && !(k in env)) env[k] = '';
  env.AWS_CONFIG_FILE = '/nonexistent';
  env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent';

  const put = (bucket, key, body) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return {
    endpoint,
    port,
    pid: child.pid,
    env,
    client,
    createBucket: (bucket) => client.send(new CreateBucketCommand({ Bucket: bucket })),
    put,
    remove: (bucket, key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
    /** Upload { rel: content } under `prefix`, `concurrency` PUTs at a time. */
    async putTree(bucket, prefix, files, concurrency = 16) {
      const items = Object.entries(files);
      let next = 0;
      const worker = async () => {
        while (next < items.length) {
          const [rel, content] = items[next++];
          await put(bucket, prefix + rel, content);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    },
    async stop() {
      client.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
      rm(dir);
    },
  };
}

/** Every file under `dir` as { rel: Buffer }, for uploading a tree that is also read from disk. */
export function readTree(dir) {
  const out = {};
  const walk = (sub) => {
    for (const d of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${d.name}` : d.name;
      if (d.isDirectory()) walk(rel);
      else out[rel] = fs.readFileSync(path.join(dir, rel));
    }
  };
  walk('');
  return out;
}

/**
 * One server for a test file, started before its tests (then `started(s3)` is called) and
 * stopped after them, with a scratch directory. Returns { s3 (once started), bucket() (a fresh
 * one), scratch(name) (a fresh dir) }. (Node 20 runs a file's root hooks concurrently: one hook.)
 */
export function s3Fixture(tag, started = () => {}) {
  let seq = 0;
  let tmp;
  const fx = {
    s3: undefined,
    async bucket() {
      const name = `${tag}${++seq}-${process.pid}`;
      await fx.s3.createBucket(name);
      return name;
    },
    scratch(name) {
      const d = path.join(tmp, `${++seq}-${name}`);
      fs.mkdirSync(d, { recursive: true });
      return d;
    },
  };
  before(async () => {
    fx.s3 = await startS3();
    tmp = tmpdir(`agg-${tag}-`);
    started(fx.s3);
  });
  after(async () => {
    await fx.s3?.stop();
    if (tmp) rm(tmp);
  });
  return fx;
}
