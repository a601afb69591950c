/**
 * Lists an S3 prefix (paginated ListObjectsV2) and applies discovery's rules to the keys
 * relative to the prefix, as to paths under a directory: the same patterns (patterns.ts), the
 * walk's dotfile and pruning rules (walk.ts `pathSelector`), and the same packed listing, order
 * and shard (discover.ts `arrange`). Keys are UTF-8 text; as names they are their UTF-8 bytes.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { arrange, skippedInOrder, type FileEntry, type FileList, type Listed } from '../discover.js';
import { PackedNames } from '../names.js';
import type { Settings } from '../options.js';
import { compilePatterns } from '../patterns.js';
import { quoteName } from '../quote.js';
import { pathSelector } from '../walk.js';
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

const UNSAFE = "key is not a relative path (empty, '.' or '..' segment)";

/** The listed objects in run order, built one at a time from the packed listing. */
class S3FileList implements FileList<S3Entry> {
  readonly length: number;

  constructor(
    private readonly where: S3Location,
    private readonly names: PackedNames,
    private readonly order: Uint32Array,
    private readonly sizes: Float64Array,
    private readonly etags: readonly string[],
  ) {
    this.length = order.length;
  }

  at(index: number): S3Entry | undefined {
    if (index < 0 || index >= this.length) return undefined;
    const i = this.order[index]!;
    const rel = this.names.name(i);
    const key = this.where.prefix + rel.toString('utf8');
    return { rel, abs: Buffer.from(s3Url(this.where, key)), key, size: this.sizes[i]!, etag: this.etags[i]! };
  }
}

export async function listS3(
  client: S3Client,
  where: S3Location,
  settings: Settings,
  signal: AbortSignal,
): Promise<Listed & { files: FileList<S3Entry> }> {
  const selects = pathSelector(compilePatterns(settings.patterns, settings.ignore));
  const names = new PackedNames();
  const skipped = new PackedNames(1 << 10, 1 << 6);
  let sizes = new Float64Array(1 << 10);
  let mtimes = settings.sort === 'mtime' ? new Float64Array(1 << 10) : undefined;
  const etags: string[] = [];
  const none = Buffer.alloc(0);
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({ Bucket: where.bucket, Prefix: where.prefix, ContinuationToken: token }),
      );
    } catch (error) {
      throw s3Error('list', quoteName(s3Url(where)), signal.aborted ? signal.reason : error);
    }
    for (const o of page.Contents ?? []) {
      const key = o.Key;
      if (key === undefined || !key.startsWith(where.prefix)) continue;
      const rel = key.slice(where.prefix.length);
      // "Folder" placeholder objects that consoles create: the local walk skips directories too.
      if (rel.endsWith('/') && (o.Size ?? 0) === 0) continue;
      if (!selects(rel)) continue;
      if (unsafeKey(rel)) {
        skipped.push(none, rel);
        continue;
      }
      const i = names.push(none, rel);
      if (i === sizes.length) {
        sizes = grow(sizes);
        if (mtimes) mtimes = grow(mtimes);
      }
      sizes[i] = o.Size ?? 0;
      if (mtimes) mtimes[i] = o.LastModified?.getTime() ?? 0;
      etags.push((o.ETag ?? '').replace(/^"|"$/g, ''));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  const { order, all, matched } = arrange(names, settings, mtimes);
  return {
    files: new S3FileList(where, names, order, sizes, etags),
    all: { names, order: all },
    skipped: skippedInOrder(skipped, () => UNSAFE),
    matched,
  };
}

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
