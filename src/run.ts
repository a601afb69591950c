/**
 * The pipeline every mode shares: discover, open the output, read the files in order, hand each
 * to the mode's handler, then commit output, stats and manifest together (or none of them).
 */
import { createHash, type Hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { InvalidBudget, checkExpectation, contractManifest, contractStats } from './contract.js';
import { discover, type FileEntry, type SkippedFile } from './discover.js';
import { InterruptedError, InvalidInputError, formatPosition } from './errors.js';
import type { Mode, Settings } from './options.js';
import { FileReader, type OpenedFile, type ReadMode } from './read.js';
import { quoteName } from './quote.js';
import { openOutput, type OutputTarget } from './sink.js';

export interface Stats {
  readonly mode: Mode;
  /** Files read into the output. */
  readonly files: number;
  /** Files that matched the patterns (before sharding and skipping). */
  readonly matched: number;
  /** JSON values written (json mode). */
  readonly values: number;
  /** Files that held no value (json mode) or no byte (archive modes). */
  readonly emptyFiles: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Files left out, with the reason: not regular files, and invalid ones under `skip`. */
  readonly skipped: readonly SkippedFile[];
  readonly elapsedMs: number;
  /** The output file, or null for stdout. */
  readonly output: string | null;
  readonly shard: string | null;
  /** Files --expect/--expect-names asked for (null without them); the rest: see contractStats. */
  readonly expected: number | null;
  readonly missing: number;
  readonly extra: number;
  readonly missingFiles: readonly { path: string; pathBase64?: string }[];
  readonly extraFiles: readonly { path: string; pathBase64?: string }[];
  /** Fragments left out as invalid (under --on-invalid skip). */
  readonly invalid: number;
  /** Nothing missing and nothing left out as invalid. */
  readonly complete: boolean;
}

export interface ManifestEntry {
  path: string;
  size: number;
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
    private readonly hashing: boolean,
  ) {}

  /**
   * Calls `fn` on every chunk of `file`, head first. A file read whole is handled without a
   * promise (returns undefined); a longer one pauses between chunks for signals and progress.
   */
  each(file: OpenedFile, fn: (chunk: Buffer) => void | Promise<void>): Promise<void> | undefined {
    this.hash = this.hashing ? createHash('sha256') : undefined;
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
      chunk = file.readNext();
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

/** Internal knob for tests: force the read strategy (see read.ts). */
function readMode(): ReadMode {
  const v = process.env.AGGREGATE_READ_MODE;
  return v === 'sync' || v === 'async' ? v : 'auto';
}

export async function runPipeline(
  settings: Settings,
  makeHandler: (out: OutputTarget, files: readonly FileEntry[]) => Handler,
): Promise<Stats> {
  const started = performance.now();
  const found = discover(settings);
  const skipped: SkippedFile[] = [];
  const skip = (path: string, reason: string, message = `${path}: ${reason}`): void => {
    skipped.push({ path, reason });
    settings.onWarning(`skipped ${message}`);
  };
  for (const s of found.skipped) skip(s.path, s.reason);
  // Before anything is read or created: an incomplete input fails fast.
  const contract = checkExpectation(settings, settings.dir, found.all);
  const invalid = new InvalidBudget(settings.maxInvalid, found.files.length);

  const pacer = new Pacer(settings, found.files.length);
  pacer.check();
  const out = openOutput(settings.output);
  const side: OutputTarget[] = [];
  let cleanup = (): void => {};
  try {
    const handler = makeHandler(out, found.files);
    const feed = new ChunkFeed(pacer, settings.manifest !== undefined);
    const entries: ManifestEntry[] = [];
    let values = 0;
    let emptyFiles = 0;
    let files = 0;

    const reader = new FileReader(found.files, { concurrency: settings.concurrency, stat: settings.mode !== 'json', mode: readMode() });
    cleanup = () => reader.dispose();
    for (;;) {
      let r = reader.next();
      if (r === undefined) break;
      if (r instanceof Promise) r = await r;
      if (r.kind === 'skipped') {
        skip(r.entry.rel, r.reason);
        continue;
      }
      const file = r.file;
      try {
        let added = handler.add(file, feed);
        if (added instanceof Promise) added = await added;
        if (added.skipped !== undefined) {
          skip(file.entry.rel, added.skipped, `${quoteName(file.entry.rel)}: ${added.skipped}`);
          continue;
        }
        files++;
        pacer.bytesIn += file.bytesRead;
        values += added.values ?? 0;
        if ((settings.mode === 'json' && added.values === 0) || (settings.mode !== 'json' && file.bytesRead === 0)) emptyFiles++;
        if (settings.manifest !== undefined) {
          entries.push({ path: file.entry.rel, size: file.bytesRead, sha256: feed.digest()!, ...added });
        }
      } catch (error) {
        if (error instanceof InvalidInputError && settings.onInvalid === 'skip') {
          pacer.bytesIn += file.bytesRead;
          const reason = error.reason + (error.position ? ` at ${formatPosition(error.position)}` : '');
          skip(file.entry.rel, reason, error.message);
          invalid.add(file.entry.rel, reason);
        } else {
          throw error;
        }
      } finally {
        file.close();
      }
      pacer.files++;
      if (pacer.due()) await pacer.pause();
    }
    await handler.finish();
    pacer.check();

    const stats: Stats = {
      mode: settings.mode,
      files,
      matched: found.matched,
      values,
      emptyFiles,
      bytesIn: pacer.bytesIn,
      bytesOut: out.length,
      skipped,
      elapsedMs: Math.round(performance.now() - started),
      output: settings.output ?? null,
      shard: settings.shard ? `${settings.shard.index}/${settings.shard.count}` : null,
      ...contractStats(contract),
      invalid: invalid.count,
      complete: contract.missing === 0 && invalid.count === 0,
    };
    if (settings.manifest !== undefined) {
      side.push(writeJson(settings.manifest, { version: 1, mode: settings.mode, entries, skipped, ...contractManifest(contract) }));
    }
    if (settings.stats !== undefined) side.push(writeJson(settings.stats, stats));
    out.commit();
    for (const s of side) s.commit();
    return stats;
  } catch (error) {
    cleanup();
    out.abort();
    for (const s of side) s.abort();
    throw error;
  }
}

function writeJson(file: string, value: unknown): OutputTarget {
  const target = openOutput(file);
  target.write(Buffer.from(JSON.stringify(value, null, 2) + '\n'));
  return target;
}
