/**
 * Finds the input files: our own walk of the input root (walk.ts) filtered by the patterns
 * (patterns.ts), then the exclusions that keep an artifact safe (no links followed, no
 * dotfiles, only regular files, never the tool's own outputs), then a deterministic order and
 * the shard. The listing stays packed (names.ts): no object per file is kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IoError, UsageError, type InvalidKind } from './errors.js';
import type { Settings } from './options.js';
import { quoteName } from './quote.js';
import { PackedNames } from './names.js';
import { compilePatterns } from './patterns.js';
import { stdoutFile } from './sink.js';
import { compareBytesAt } from './sort.js';
import { KINDS, walk } from './walk.js';

export interface FileEntry {
  /** Path relative to the input root, '/'-separated: the exact bytes of the name. */
  readonly rel: Buffer;
  /** The path to open (exact bytes); for an S3 object, its s3:// URL. */
  readonly abs: Buffer;
  /** Entity tag of an object store entry (S3 input), recorded in the manifest. */
  readonly etag?: string;
}

/** Files in run order, built one at a time from the packed listing. */
export interface FileList<E extends FileEntry = FileEntry> {
  readonly length: number;
  at(index: number): E | undefined;
}

export interface SkippedFile {
  /** The exact bytes of the relative path (a string is UTF-8). */
  readonly path: Buffer | string;
  readonly reason: string;
  /** A file the run matched and left out (not one discovery passed over): --expect-names counts it. */
  readonly matched?: boolean;
  /** Set for a fragment left out as invalid (--on-invalid skip): what made it invalid. */
  readonly kind?: InvalidKind;
}

/** What a listing gives the pipeline: the local walk's, or an S3 prefix's (s3/list.ts). */
export interface Listed {
  readonly files: FileList;
  /** Matched entries that are not read (not regular files, unsafe keys), in byte order of their paths. */
  readonly skipped: Iterable<SkippedFile>;
  /** Files matched before sharding. */
  readonly matched: number;
  /** Every matched name, and their run order before sharding (what --expect-names checks). */
  readonly all: { readonly names: PackedNames; readonly order: Uint32Array };
}

export interface Discovery extends Listed {
  /** The real path of the input root and a '/': every file read must lie under it. */
  readonly root: Buffer;
}

/** Check that the input root exists and is a directory (usage error otherwise). */
export function checkRoot(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`input directory ${quoteName(dir)} does not exist`);
    throw new IoError('read input directory', dir, error);
  }
  if (!st.isDirectory()) throw new UsageError(`input ${quoteName(dir)} is not a directory`);
}

/** The sorted, sharded slice of a packed listing. */
class PackedFileList implements FileList {
  readonly length: number;

  constructor(
    private readonly names: PackedNames,
    private readonly order: Uint32Array,
    /** `<dir>/` as bytes. */
    private readonly prefix: Buffer,
  ) {
    this.length = order.length;
  }

  at(index: number): FileEntry | undefined {
    if (index < 0 || index >= this.length) return undefined;
    return new LocalEntry(this.names.name(this.order[index]!), this.prefix);
  }
}

/**
 * A listed file. Its full path is made only when asked for: the synchronous reader opens files
 * through their directory (read.ts), so most runs never need it but for a message.
 */
class LocalEntry implements FileEntry {
  private path: Buffer | undefined;

  constructor(
    readonly rel: Buffer,
    /** `<dir>/` as bytes. */
    private readonly prefix: Buffer,
  ) {}

  get abs(): Buffer {
    if (this.path === undefined) {
      // set() copies without the view objects Buffer.concat makes per part.
      this.path = Buffer.allocUnsafe(this.prefix.length + this.rel.length);
      this.path.set(this.prefix, 0);
      this.path.set(this.rel, this.prefix.length);
    }
    return this.path;
  }
}

/** List, filter, order and shard the input files. */
export function discover(settings: Settings): Discovery {
  const patterns = compilePatterns(settings.patterns, settings.ignore);
  checkRoot(settings.dir);
  const root = realRoot(settings.dir);

  // The tool's own outputs are never inputs, even when they lie inside the input root. Compared
  // as real paths: the root or an output may be reached through a symbolic link.
  const exclude: Buffer[] = [];
  for (const p of [settings.output ?? stdoutPath(), settings.stats, settings.manifest]) {
    if (p === undefined) continue;
    const real = Buffer.from(canonical(p));
    if (real.length > root.length && real.subarray(0, root.length).equals(root)) exclude.push(real.subarray(root.length));
  }

  const listing = walk(settings.dir, {
    patterns,
    reportDirectories: settings.mode === 'json',
    mtimes: settings.sort === 'mtime',
    exclude,
  });
  const { files, mtimes, skipped, kinds } = listing;
  const { order, all, matched } = arrange(files, settings, mtimes);
  const dirPrefix = Buffer.from(settings.dir === '/' ? '/' : settings.dir + '/');
  return {
    files: new PackedFileList(files, order, dirPrefix),
    all: { names: files, order: all },
    skipped: skippedInOrder(skipped, (i) => KINDS[kinds[i]!]!),
    matched,
    root,
  };
}

/**
 * The run order of a packed listing: sorted as `--sort` says (ties in byte order), then the
 * shard taken (`all` is the order before it). `mtimes[i]` is name i's modification time (needed for 'mtime' only). Every
 * listing goes through here: the local walk and an S3 prefix order and shard alike.
 */
export function arrange(
  names: PackedNames,
  settings: Pick<Settings, 'sort' | 'shard'>,
  mtimes?: Float64Array,
): { order: Uint32Array; all: Uint32Array; matched: number } {
  let order: Uint32Array;
  switch (settings.sort) {
    case 'natural':
      order = names.sortedBy('natural');
      break;
    case 'name':
      order = names.sortedBy('bytes');
      break;
    case 'mtime':
      order = names.sorted(compareBytesAt, (a, b) => mtimes![a]! - mtimes![b]!);
      break;
    case 'none':
      order = names.sorted(undefined);
      break;
  }
  const matched = order.length;
  const all = order;
  if (settings.shard) order = order.subarray(...shardRange(order.length, settings.shard.index, settings.shard.count));
  return { order, all, matched };
}

/** Skipped names in byte order, each with `reasonOf(i)`. */
export function skippedInOrder(names: PackedNames, reasonOf: (i: number) => string): Iterable<SkippedFile> {
  const order = names.sortedBy('bytes');
  return {
    *[Symbol.iterator]() {
      for (const i of order) yield { path: Buffer.from(names.name(i)), reason: reasonOf(i) };
    },
  };
}

/** The real path of the input root, as bytes, with a trailing '/'. */
function realRoot(dir: string): Buffer {
  let real: Buffer;
  try {
    real = fs.realpathSync(dir, { encoding: 'buffer' });
  } catch (error) {
    throw new IoError('read input directory', dir, error);
  }
  return real.length === 1 ? real : Buffer.concat([real, Buffer.from('/')]);
}

/** The file stdout is redirected to (`aggregate dir > dir/out.json`), if any (Linux). */
function stdoutPath(): string | undefined {
  if (stdoutFile() === undefined) return undefined;
  try {
    return fs.readlinkSync('/proc/self/fd/1');
  } catch {
    return undefined;
  }
}

/** The real path of `p`, or of its directory when `p` does not exist yet. */
function canonical(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(p)), path.basename(p));
    } catch {
      return p;
    }
  }
}

/**
 * Shard `index` of `count` of `length` sorted items: a contiguous range, so that concatenating
 * shards 0..count-1 gives the unsharded order (what a tree reduce with --flatten needs).
 */
export function shardRange(length: number, index: number, count: number): [number, number] {
  return [Math.floor((index * length) / count), Math.floor(((index + 1) * length) / count)];
}
