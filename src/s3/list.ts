/**
 * Lists an S3 prefix (paginated ListObjectsV2) and applies discovery's rules to the keys
 * relative to the prefix, as to paths under a directory: the same patterns (patterns.ts), the
 * walk's dotfile and pruning rules (walk.ts `pathSelector`), and the same packed listing, order
 * and shard (discover.ts `arrange`). Keys are UTF-8 text; as names they are their UTF-8 bytes.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { RemoteError } from '../errors.js';
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

/** The length in UTF-8 bytes of the longest '/'-separated segment of `rel`. */
function longestSegment(rel: string): number {
  return Math.max(...rel.split('/').map((s) => Buffer.byteLength(s)));
}

/** `rel` without its empty, '.' and '..' segments: the name the patterns are tried on for a report. */
function cleaned(rel: string): string {
  return rel
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .join('/');
}

const UNSAFE = "key is not a relative path (empty, '.' or '..' segment)";
const SLASHED = "key ends in '/' but the object is not empty: no file can have this name";
const NAME_MAX = 255;
const TOO_LONG = `a segment of the key is longer than ${NAME_MAX} bytes: no file system can extract it from an archive`;
const CONFLICT = "key is also the 'directory' of other keys: an archive cannot hold a file and a directory of one name";

const MAX_EMPTY_PAGES = 1000;

/** Why a listing cannot be trusted: the run fails (exit 1, a retry may help) rather than read part of it. */
function contradiction(where: S3Location, page: number, what: string): RemoteError {
  return new RemoteError(`cannot list ${quoteName(s3Url(where))}: the listing contradicts itself on page ${page}: ${what}`, true);
}

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

export async function listS3(client: S3Client, where: S3Location, settings: Settings, signal: AbortSignal): Promise<Listed & { files: FileList<S3Entry> }> {
  const selects = pathSelector(compilePatterns(settings.patterns, settings.ignore));
  const none = Buffer.alloc(0);
  const names = new PackedNames();
  const skipped = new PackedNames(1 << 10, 1 << 6);
  const reasons: string[] = [];
  const skip = (rel: string, reason: string): void => {
    skipped.push(none, rel);
    reasons.push(reason);
  };
  let sizes = new Float64Array(1 << 10);
  let mtimes = settings.sort === 'mtime' ? new Float64Array(1 << 10) : undefined;
  const etags: string[] = [];
  /** Every token sent: a token handed out twice would list pages again, or forever. */
  const tokens = new Set<string>();
  let last: Buffer | undefined;
  /** Archive modes: every "directory" of the keys selected, to find keys that are one too. */
  const dirs = settings.mode === 'json' ? undefined : new Set<string>();
  let token: string | undefined;
  let pageNo = 0;
  /** Truncated pages in a row without a key: S3 may send a few, an endless run is a loop. */
  let empty = 0;
  do {
    pageNo++;
    let page;
    try {
      page = await client.send(new ListObjectsV2Command({ Bucket: where.bucket, Prefix: where.prefix, ContinuationToken: token }));
    } catch (error) {
      throw s3Error('list', quoteName(s3Url(where)), signal.aborted ? signal.reason : error);
    }
    for (const o of page.Contents ?? []) {
      const key = o.Key;
      if (key === undefined) throw contradiction(where, pageNo, 'an object without a key');
      if (!key.startsWith(where.prefix)) throw contradiction(where, pageNo, `key ${quoteName(key)} lies outside the prefix`);
      // S3 lists keys in ascending order of their UTF-8 bytes, each once.
      const bytes = Buffer.from(key);
      if (last !== undefined && Buffer.compare(last, bytes) >= 0) {
        const how = last.equals(bytes) ? 'is listed twice' : `comes after ${quoteName(last)}, out of order`;
        throw contradiction(where, pageNo, `key ${quoteName(key)} ${how}`);
      }
      last = bytes;
      const rel = key.slice(where.prefix.length);
      if (rel === '' || rel.endsWith('/')) {
        // "Folder" placeholder objects that consoles create: the local walk skips directories too.
        if ((o.Size ?? 0) === 0) continue;
        const name = cleaned(rel);
        if (name === '' || selects(name)) skip(rel, SLASHED);
        continue;
      }
      if (unsafeKey(rel)) {
        // Reported when the name it stands for would be selected: '.' and '' segments would
        // otherwise hide it from the patterns and the dotfile rule.
        if (selects(rel) || selects(cleaned(rel))) skip(rel, UNSAFE);
        continue;
      }
      if (!selects(rel)) continue;
      if (dirs) {
        // S3 allows 1,024 bytes in one segment; file systems hold 255 (NAME_MAX).
        if (bytes.length - where.prefix.length > NAME_MAX && longestSegment(rel) > NAME_MAX) {
          skip(rel, TOO_LONG);
          continue;
        }
        for (let end = rel.lastIndexOf('/'); end > 0; end = rel.lastIndexOf('/', end - 1)) {
          const dir = rel.slice(0, end);
          if (dirs.has(dir)) break;
          dirs.add(dir);
        }
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
    if (token !== undefined) tokens.add(token);
    token = undefined;
    if (page.IsTruncated) {
      token = page.NextContinuationToken;
      if (!token) throw contradiction(where, pageNo, 'it says more keys follow (IsTruncated) but gives no continuation token');
      if (tokens.has(token)) throw contradiction(where, pageNo, 'it repeats a continuation token already used');
      empty = page.Contents?.length ? 0 : empty + 1;
      if (empty >= MAX_EMPTY_PAGES) throw contradiction(where, pageNo, `${empty} truncated pages in a row without a key`);
    }
  } while (token !== undefined);
  let kept: Collected = { names, sizes, mtimes, etags };
  if (dirs && dirs.size > 0) kept = withoutConflicts(kept, dirs, skip);
  const { order, all, matched } = arrange(kept.names, settings, kept.mtimes);
  return {
    files: new S3FileList(where, kept.names, order, kept.sizes, kept.etags),
    all: { names: kept.names, order: all },
    skipped: skippedInOrder(skipped, (i) => reasons[i]!),
    matched,
  };
}

interface Collected {
  readonly names: PackedNames;
  readonly sizes: Float64Array;
  readonly mtimes: Float64Array | undefined;
  readonly etags: readonly string[];
}

/**
 * The listing without the keys that are also a "directory" of other keys (`x/a` beside
 * `x/a/b.json`), each reported by `skip`: tar and unzip cannot extract a file and a directory of
 * one name. The files under it stay. Rebuilt only when there is such a key.
 */
function withoutConflicts(c: Collected, dirs: ReadonlySet<string>, skip: (rel: string, reason: string) => void): Collected {
  const conflicts: number[] = [];
  for (let i = 0; i < c.names.length; i++) if (dirs.has(c.names.name(i).toString())) conflicts.push(i);
  if (conflicts.length === 0) return c;
  const names = new PackedNames();
  const n = c.names.length - conflicts.length;
  const sizes = new Float64Array(n);
  const mtimes = c.mtimes && new Float64Array(n);
  const etags: string[] = [];
  const none = Buffer.alloc(0);
  for (let i = 0, k = 0; i < c.names.length; i++) {
    const rel = c.names.name(i);
    if (i === conflicts[k]) {
      skip(rel.toString(), CONFLICT);
      k++;
      continue;
    }
    const j = names.push(none, rel);
    sizes[j] = c.sizes[i]!;
    if (mtimes) mtimes[j] = c.mtimes[i]!;
    etags.push(c.etags[i]!);
  }
  return { names, sizes, mtimes, etags };
}

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
