/**
 * The pipeline every mode shares: discover, open the output, read the files in order, hand each
 * to the mode's handler, then commit output, stats and manifest together (or none of them).
 */
import type { Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { InvalidBudget, checkExpectation, contractManifest, contractStats, type ContractStats, type LeftOut } from './contract.js';
import { discover, type FileList, type SkippedFile } from './discover.js';
import {
  IncompleteInputError,
  InterruptedError,
  InvalidFilesError,
  InvalidInputError,
  LIST_CAP,
  exitCodeOf,
  formatPosition,
  messageOf,
  type InvalidKind,
  type Position,
  type SchemaDetail,
} from './errors.js';
import type { Mode, Settings } from './options.js';
import type { PackedNames } from './names.js';
import { nameFields, quoteName } from './quote.js';
import { FileReader, type OpenedFile, type ReadAheadStats, type ReadMode, type Reader, type Source } from './read.js';
import { isS3Url } from './s3/url.js';
import { commitAll, openOutput, type OutputTarget } from './sink.js';
import type { WalkMode, WalkStats } from './walk.js';

/** A file name as stats and manifests write it (see quote.ts). */
export type NameFields = ReturnType<typeof nameFields>;

/**
 * The `--stats` report: written on every run that got past option parsing, success or not, and
 * kept small (an Argo output parameter): the lists are capped, the full list is in --manifest.
 */
export interface Stats {
  /** The run succeeded and its outputs are in place. */
  readonly ok: boolean;
  /** The process's exit code. */
  readonly exitCode: number;
  /** The error message when the run failed, else null. */
  readonly error: string | null;
  readonly mode: Mode;
  /** Files read into the output. */
  readonly files: number;
  /** Files that matched the patterns (before sharding and skipping). */
  readonly matched: number;
  /** JSON values written (json mode); null in tar and zip mode. */
  readonly values: number | null;
  /** Files that held no value (json mode) or no byte (archive modes). */
  readonly emptyFiles: number;
  readonly bytesIn: number;
  /** Bytes written to the output; 0 when the run failed (nothing was written). */
  readonly bytesOut: number;
  /** Files left out: not regular files, and invalid ones under `skip`. */
  readonly skippedCount: number;
  /**
   * The first LIST_CAP of them, with the reason; `position` (as in `invalid`) for an invalid
   * fragment left out under `skip`, null for any other file; `kind` for an invalid fragment.
   */
  readonly skipped: readonly (NameFields & {
    readonly reason: string;
    readonly position: Position | null;
    readonly kind?: InvalidKind;
    readonly matched?: true;
  })[];
  /**
   * Invalid fragments found: under `--on-invalid fail` the run then fails (exit 3); under `skip`
   * they are left out (and also in `skipped`), and more than `--max-invalid` fails the run (exit 3).
   */
  readonly invalidCount: number;
  /** How many of them were of each kind: not JSON, against --schema, not keyable by --key-by. */
  readonly invalidKinds: Readonly<Record<InvalidKind, number>>;
  /**
   * The first LIST_CAP of them: a syntax error's position; a schema failure's value index,
   * instance pointer, keyword and schema path (SchemaDetail).
   */
  readonly invalid: readonly (NameFields & {
    readonly reason: string;
    readonly kind: InvalidKind;
    readonly position: Position | null;
  } & Partial<SchemaDetail>)[];
  readonly elapsedMs: number;
  /** The output file, or null for stdout. */
  readonly output: string | null;
  readonly shard: string | null;
  /** How the input directories were listed (null for S3 input, or when the run stopped before). */
  readonly walk: WalkStats | null;
  /** How the files were read (null when the run stopped before reading). */
  readonly readAhead: ReadAheadStats | null;
  /** Files --expect/--expect-names asked for (null without them). */
  readonly expected: ContractStats['expected'];
  /** Expected files not found (tolerated up to --max-missing), and found files not expected. */
  readonly missing: number;
  readonly extra: number;
  /** The first names of each with --expect-names; null without (a count names no file). The full lists are in --manifest. */
  readonly missingFiles: ContractStats['missingFiles'];
  readonly extraFiles: ContractStats['extraFiles'];
  /** The run succeeded with nothing missing and nothing left out as invalid. */
  readonly complete: boolean;
}

export interface ManifestEntry extends NameFields {
  size: number;
  /** The object's ETag (S3 input). */
  etag?: string;
  sha256?: string;
  values?: number;
  mode?: string;
}

/** What a mode returns for one file. */
export interface Added {
  /** JSON values the file contributed. */
  readonly values?: number;
  /** Permission bits written (archive modes), e.g. "0644". */
  readonly mode?: string;
  /** Set when the mode declined the file (e.g. a name zip cannot carry): why. */
  readonly skipped?: string;
}

export interface Handler {
  /** Add one file; throw InvalidInputError to reject it. Synchronous when it can be. */
  add(file: OpenedFile, feed: ChunkFeed): Added | Promise<Added>;
  /** Write what follows the last entry (array close, archive trailer). */
  finish(): Promise<void>;
}

/** Hands out a file's chunks in order, hashing them for the manifest and pausing for signals. */
export class ChunkFeed {
  private hash: Hash | undefined;

  constructor(
    private readonly pacer: Pacer,
    /** node:crypto's createHash when the manifest wants digests (loaded only then: ~4 ms). */
    private readonly createHash: ((algorithm: string) => Hash) | undefined,
  ) {}

  /**
   * Calls `fn` on every chunk of `file`, head first. A file read whole is handled without a
   * promise (returns undefined); a longer one pauses between chunks for signals and progress.
   */
  each(file: OpenedFile, fn: (chunk: Buffer) => void | Promise<void>): Promise<void> | undefined {
    this.hash = this.createHash?.('sha256');
    if (file.complete) {
      this.hash?.update(file.head);
      const r = fn(file.head);
      return r || undefined;
    }
    return this.eachChunk(file, fn);
  }

  private async eachChunk(file: OpenedFile, fn: (chunk: Buffer) => void | Promise<void>): Promise<void> {
    let chunk: Buffer | null = file.head;
    while (chunk !== null) {
      this.hash?.update(chunk);
      const r = fn(chunk);
      if (r) await r;
      if (this.pacer.due()) await this.pacer.pause();
      const next = file.readNext();
      chunk = next instanceof Promise ? await next : next;
    }
  }

  digest(): string | undefined {
    return this.hash?.digest('hex');
  }
}

/**
 * Lets the event loop run now and then during long synchronous stretches, so that signals are
 * handled and progress is shown; throws once the run is aborted.
 */
export class Pacer {
  private last = performance.now();
  files = 0;
  bytesIn = 0;

  constructor(
    private readonly settings: Settings,
    private readonly totalFiles: number,
  ) {}

  due(): boolean {
    return performance.now() - this.last > 50;
  }

  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
    this.check();
    this.settings.onProgress?.({ files: this.files, totalFiles: this.totalFiles, bytesIn: this.bytesIn });
  }

  check(): void {
    const signal = this.settings.signal;
    if (signal?.aborted) {
      const reason: unknown = signal.reason;
      throw reason instanceof InterruptedError ? reason : new InterruptedError('SIGTERM');
    }
  }
}

/**
 * node:crypto, loaded on first use: only a manifest needs it, and loading it cost ~4 ms of every
 * start. A require, not import(): the bin runs the bundle in a vm.Script, which cannot import().
 */
function loadCrypto(): typeof import('node:crypto') {
  return createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
}

/** Internal knob for tests: force the read strategy (see read.ts). */
function readMode(): ReadMode {
  const v = process.env.AGGREGATE_READ_MODE;
  return v === 'sync' || v === 'async' ? v : 'auto';
}

/** Internal knob for tests: force the walk's strategy (see walk.ts). */
function walkMode(): WalkMode {
  const v = process.env.AGGREGATE_WALK_MODE;
  return v === 'sync' || v === 'async' ? v : 'auto';
}

/**
 * `nameProblem`: why the mode's artifact cannot hold a file under its name (zip), checked on
 * every matched name before the contract, so that the contract is judged on what the artifact
 * will hold.
 */
export async function runPipeline(
  settings: Settings,
  makeHandler: (out: OutputTarget, files: FileList) => Handler,
  nameProblem?: (rel: Buffer) => string | undefined,
): Promise<Stats> {
  const started = performance.now();
  const tally = new Tally(settings);
  let out: OutputTarget | undefined;
  let manifest: ManifestWriter | undefined;
  let statsOut: OutputTarget | undefined;
  let source: Source | undefined;
  try {
    // The S3 reader (and the AWS SDK) load only for an s3:// input.
    source = isS3Url(settings.dir) ? await (await import('./s3/source.js')).s3Source(settings) : await localSource(settings);
    const found = source.found;
    tally.matched = found.matched;
    tally.walk = found.walk;
    if (found.matched === 0) settings.onWarning(noMatch(settings));
    for (const s of found.skipped) tally.skip(s.path, s.reason);
    // Before anything is read or created: an incomplete input fails fast.
    const unnamable = nameProblem ? leftOutByName(found.all.names, nameProblem) : [];
    let contract = checkExpectation(settings, settings.dir, found.all, unnamable);
    tally.contract = contractStats(contract);
    tally.unnamable = new Set(unnamable.map((l) => l.name.toString('latin1')));
    const budget = new InvalidBudget(settings.maxInvalid, found.files.length);

    const pacer = new Pacer(settings, found.files.length);
    pacer.check();
    // Every output opened before any input is read: an unwritable one fails at once.
    out = openOutput(settings.output);
    manifest = settings.manifest !== undefined ? new ManifestWriter(openOutput(settings.manifest), settings.mode) : undefined;
    statsOut = settings.stats !== undefined ? openOutput(settings.stats) : undefined;
    const handler = makeHandler(out, found.files);
    const feed = new ChunkFeed(pacer, manifest !== undefined ? loadCrypto().createHash : undefined);
    const invalid: InvalidInputError[] = [];

    const reader = source.reader;
    tally.reader = reader;
    for (;;) {
      let r = reader.next();
      if (r === undefined) break;
      if (r instanceof Promise) r = await r;
      if (r.kind === 'skipped') {
        tally.leave(r.entry.rel, r.reason);
        continue;
      }
      const file = r.file;
      try {
        let added = handler.add(file, feed);
        if (added instanceof Promise) added = await added;
        if (added.skipped !== undefined) {
          tally.leave(file.entry.rel, added.skipped);
          continue;
        }
        tally.files++;
        pacer.bytesIn += file.bytesRead;
        tally.values += added.values ?? 0;
        if ((settings.mode === 'json' && added.values === 0) || (settings.mode !== 'json' && file.bytesRead === 0)) tally.emptyFiles++;
        const etag = file.entry.etag;
        manifest?.add({ ...nameFields(file.entry.rel), size: file.bytesRead, ...(etag !== undefined && { etag }), sha256: feed.digest()!, ...added });
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        pacer.bytesIn += file.bytesRead;
        tally.invalid(file.entry.rel, error);
        if (settings.onInvalid === 'skip') {
          tally.skip(file.entry.rel, error.reason, true, error.message, error.kind, error.position);
          // past --max-invalid: exit 3, nothing written
          budget.add(file.entry.rel, error.reason + (error.position ? ` at ${formatPosition(error.position)}` : ''));
        } else {
          // Nothing will be written: drop the output now, and go on validating to the end so
          // that the report lists every invalid fragment, not just the first.
          out.abort();
          manifest?.abort();
          if (invalid.length < LIST_CAP) invalid.push(error);
        }
      } finally {
        file.close();
      }
      pacer.files++;
      if (pacer.due()) await pacer.pause();
    }
    await handler.finish();
    pacer.check();
    tally.bytesIn = pacer.bytesIn;
    if (settings.onInvalid === 'fail' && tally.invalidCount > 0) throw new InvalidFilesError(invalid, tally.invalidCount);

    if (tally.late.length > 0) {
      // Matched files that did not reach the output after the contract was checked (gone or
      // unreadable by the time they were read): judged again, as missing.
      contract = checkExpectation(settings, settings.dir, found.all, [...unnamable, ...tally.late]);
      tally.contract = contractStats(contract);
    }
    tally.bytesOut = out.length;
    const stats = tally.report(started, undefined);
    // The contract's full lists, only when the run had one (a plain manifest keeps its layout).
    const expectation = settings.expect !== undefined || settings.expectNames !== undefined;
    manifest?.finish(tally.allSkipped, expectation ? contractManifest(contract) : {});
    if (statsOut) writeJson(statsOut, stats);
    await commitAll([out, ...(manifest ? [manifest.target] : []), ...(statsOut ? [statsOut] : [])], settings.signal);
    return stats;
  } catch (error) {
    out?.abort();
    manifest?.abort();
    statsOut?.abort();
    tally.bytesOut = 0;
    await writeFailureStats(settings, tally.report(started, error));
    throw error;
  } finally {
    // Closes what was read ahead (a run stopped early) and an S3 client's connections.
    source?.reader.dispose();
  }
}

/** The matched names the artifact cannot hold, with the reason. */
function leftOutByName(names: PackedNames, problem: (rel: Buffer) => string | undefined): LeftOut[] {
  const out: LeftOut[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names.name(i);
    const reason = problem(name);
    if (reason !== undefined) out.push({ name: Buffer.from(name), reason });
  }
  return out;
}

async function localSource(settings: Settings): Promise<Source> {
  const found = await discover(settings, walkMode());
  // Directory opens found slow (walk.ts) mean a slow volume: its files are read ahead from the
  // first, without the reader timing its own opens one at a time (32 x 20 ms on a FUSE mount).
  const mode = readMode() === 'auto' && found.walk?.mode === 'async' ? 'async' : readMode();
  const reader = new FileReader(found.files, { concurrency: settings.concurrency, stat: settings.mode !== 'json', mode, root: found.root });
  return { found, reader };
}

/** The report of a failed run, written alone; a failure here must not hide the run's own error. */
async function writeFailureStats(settings: Settings, stats: Stats): Promise<void> {
  if (settings.stats === undefined) return;
  try {
    const target = openOutput(settings.stats);
    writeJson(target, stats);
    // A descriptor whose reader stopped must not hold an interrupted run: the signal ends this too.
    await target.commit(settings.signal);
  } catch (error) {
    settings.onWarning(`could not write the stats of the failed run: ${messageOf(error)}`);
  }
}

function noMatch(settings: Settings): string {
  const quoted = settings.patterns.map((p) => `'${p}'`).join(', ');
  const ignored = settings.ignore.length > 0 ? ` (leaving out ${settings.ignore.map((p) => `'${p}'`).join(', ')})` : '';
  return `no file under ${quoteName(settings.dir)} matched ${settings.patterns.length > 1 ? 'any of ' : ''}${quoted}${ignored}; the result is empty`;
}

/** Counts and capped lists of a run, for the summary and `--stats`. */
class Tally {
  files = 0;
  matched = 0;
  values = 0;
  emptyFiles = 0;
  bytesIn = 0;
  bytesOut = 0;
  invalidCount = 0;
  readonly invalidKinds: Record<InvalidKind, number> = { syntax: 0, schema: 0, key: 0 };
  reader: Reader | undefined;
  walk: WalkStats | undefined;
  /** Matched files this run left out of its output (invalid ones included). */
  leftOut = 0;
  /** Names the contract already counted as left out (`nameProblem`). */
  unnamable = new Set<string>();
  /** Matched files left out that the contract has not counted yet. */
  readonly late: LeftOut[] = [];
  /** Every skipped file (names made printable only when listed): the manifest lists them all. */
  readonly allSkipped: Skipped[] = [];
  private readonly invalidList: Stats['invalid'][number][] = [];
  /** What the expectation found; until it is checked, only what was expected. */
  contract: ContractStats;

  constructor(private readonly settings: Settings) {
    const names = settings.expectNames !== undefined ? [] : null;
    this.contract = contractStats({
      expected: settings.expect ?? settings.expectNames?.length ?? null,
      found: 0,
      missing: 0,
      extra: 0,
      missingNames: names,
      extraNames: names,
    });
  }

  /**
   * A file not in the output. `matched`: one the run matched (so --expect-names counts it), not
   * one discovery passed over (a symlink, a directory). `kind`, `position`: an invalid fragment's.
   */
  skip(path: SkippedFile['path'], reason: string, matched = false, message = `${quoteName(path)}: ${reason}`, kind?: InvalidKind, position?: Position): void {
    this.allSkipped.push({ path, reason, position, ...(kind !== undefined && { kind }), ...(matched && { matched }) });
    if (matched) this.leftOut++;
    this.settings.onWarning(`skipped ${message}`);
  }

  /** A matched file that did not reach the output, for a reason other than its content. */
  leave(path: SkippedFile['path'], reason: string): void {
    this.skip(path, reason, true);
    const name = typeof path === 'string' ? Buffer.from(path) : path;
    if (!this.unnamable.has(name.toString('latin1'))) this.late.push({ name: Buffer.from(name), reason });
  }

  invalid(path: SkippedFile['path'], error: InvalidInputError): void {
    this.invalidCount++;
    this.invalidKinds[error.kind]++;
    if (this.invalidList.length < LIST_CAP) {
      const p = error.position;
      this.invalidList.push({
        ...nameFields(path),
        reason: error.reason,
        kind: error.kind,
        position: p ? { line: p.line, column: p.column, offset: p.offset } : null,
        ...error.detail,
      });
    }
  }

  report(started: number, error: unknown): Stats {
    const { settings } = this;
    const failed = error !== undefined;
    // An incomplete input fails before this.contract is set: its report is on the error.
    const contract = error instanceof IncompleteInputError ? (error.report as ContractStats) : this.contract;
    return {
      ok: !failed,
      exitCode: failed ? exitCodeOf(error) : 0,
      error: failed ? messageOf(error) : null,
      mode: settings.mode,
      files: this.files,
      matched: this.matched,
      values: settings.mode === 'json' ? this.values : null,
      emptyFiles: this.emptyFiles,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      skippedCount: this.allSkipped.length,
      skipped: this.allSkipped.slice(0, LIST_CAP).map(skippedFields),
      invalidCount: this.invalidCount,
      invalidKinds: { ...this.invalidKinds },
      invalid: this.invalidList,
      elapsedMs: Math.round(performance.now() - started),
      output: settings.output ?? null,
      shard: settings.shard ? `${settings.shard.index}/${settings.shard.count}` : null,
      walk: this.walk ?? null,
      readAhead: this.reader?.readAhead() ?? null,
      ...contract,
      complete: !failed && contract.missing === 0 && this.invalidCount === 0 && this.leftOut === 0,
    };
  }
}

/**
 * `--manifest`, streamed: each entry goes into the manifest's temp file as its file is added
 * (no list of a million entries in memory). The layout is exactly `JSON.stringify(manifest,
 * null, 2)` of `{ version: 1, mode, entries, skipped }`, then with --expect(-names)
 * `expected`, `missing`, `extra`.
 */
class ManifestWriter {
  private entries = 0;

  constructor(
    readonly target: OutputTarget,
    mode: Mode,
  ) {
    target.write(Buffer.from(`{\n  "version": 1,\n  "mode": ${JSON.stringify(mode)},\n  "entries": [`));
  }

  add(entry: ManifestEntry): void {
    this.target.write(Buffer.from((this.entries++ === 0 ? '\n' : ',\n') + indent(JSON.stringify(entry, null, 2), '    ')));
  }

  finish(skipped: readonly Skipped[], contract: object): void {
    const list = skipped.map(skippedFields);
    let tail = `${this.entries > 0 ? '\n  ' : ''}],\n  "skipped": ${indent(JSON.stringify(list, null, 2), '  ').trimStart()}`;
    for (const [key, value] of Object.entries(contract)) tail += `,\n  ${JSON.stringify(key)}: ${indent(JSON.stringify(value, null, 2), '  ').trimStart()}`;
    this.target.write(Buffer.from(`${tail}\n}\n`));
  }

  abort(): void {
    this.target.abort();
  }
}

type Skipped = SkippedFile & { readonly position?: Position | undefined };

/**
 * A skipped file as stats and manifests list it: the shape of an `invalid` entry (`position` null
 * for a file that is not an invalid fragment); `matched` marks a file the run matched.
 */
function skippedFields(s: Skipped): Stats['skipped'][number] {
  const p = s.position;
  return {
    ...nameFields(s.path),
    reason: s.reason,
    position: p ? { line: p.line, column: p.column, offset: p.offset } : null,
    ...(s.kind !== undefined && { kind: s.kind }),
    ...(s.matched === true && { matched: true as const }),
  };
}

function indent(text: string, by: string): string {
  return by + text.replace(/\n/g, '\n' + by);
}

function writeJson(target: OutputTarget, value: unknown): void {
  target.write(Buffer.from(JSON.stringify(value, null, 2) + '\n'));
}
