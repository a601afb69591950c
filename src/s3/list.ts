/**
 * Lists an S3 prefix (paginated ListObjectsV2) and applies discovery's rules to the keys
 * relative to the prefix: the same pattern and ignore matching, dotfile rule, order and shard.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { arrange, pathFilter, type Discovery, type FileEntry, type SkippedFile } from '../discover.js';
import type { Settings } from '../options.js';
import { s3Error } from './errors.js';
import { s3Url, type S3Location } from './url.js';

/** A listed object: `rel` is its key relative to the prefix, `abs` its s3:// URL. */
export interface S3Entry extends FileEntry {
  readonly key: string;
  readonly size: number;
  /** Without the quotes S3 puts around it. */
  readonly etag: string;
}

/** A key that cannot be a relative path: an archive entry named by it could escape on extraction. */
function unsafeKey(rel: string): boolean {
  return rel.split('/').some((s) => s === '' || s === '.' || s === '..');
}

export async function listS3(
  client: S3Client,
  where: S3Location,
  settings: Settings,
  signal: AbortSignal,
): Promise<Discovery & { files: S3Entry[] }> {
  const matches = pathFilter(settings);
  const files: S3Entry[] = [];
  const skipped: SkippedFile[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({ Bucket: where.bucket, Prefix: where.prefix, ContinuationToken: token }),
        { abortSignal: signal },
      );
    } catch (error) {
      throw s3Error('list', s3Url(where), signal.aborted ? signal.reason : error);
    }
    for (const o of page.Contents ?? []) {
      const key = o.Key;
      if (key === undefined || !key.startsWith(where.prefix)) continue;
      const rel = key.slice(where.prefix.length);
      // "Folder" placeholder objects that consoles create: the local walk skips directories too.
      if (rel.endsWith('/') && (o.Size ?? 0) === 0) continue;
      if (!matches(rel)) continue;
      if (unsafeKey(rel)) {
        skipped.push({ path: rel, reason: "key is not a relative path (empty, '.' or '..' segment)" });
        continue;
      }
      files.push({
        rel,
        abs: s3Url(where, key),
        key,
        size: o.Size ?? 0,
        etag: (o.ETag ?? '').replace(/^"|"$/g, ''),
        ...(settings.sort === 'mtime' && { mtimeMs: o.LastModified?.getTime() ?? 0 }),
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return arrange(files, skipped, settings);
}
