// What an Argo input artifact with an S3 key prefix does before the step starts: list the prefix,
// then GET every object one after another, in key order, onto local disk (Argo's executor
// downloads a "directory" key object by object). Same SDK and settings as aggregate's reader.
//   node s3-sequential.mjs s3://bucket/prefix/ DIR     (endpoint and credentials from the env)
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
const [url, dir] = process.argv.slice(2);
const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(url);
const [bucket, prefix] = [m[1], m[2]];
const client = new S3Client({ forcePathStyle: true, region: process.env.AWS_REGION || 'us-east-1' });
let token;
const keys = [];
do {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
  for (const o of page.Contents ?? []) keys.push(o.Key);
  token = page.IsTruncated ? page.NextContinuationToken : undefined;
} while (token);
for (const key of keys) {
  const file = path.join(dir, key.slice(prefix.length));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await pipeline(res.Body, fs.createWriteStream(file));
}
client.destroy();
