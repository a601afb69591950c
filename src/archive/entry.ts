/**
 * What every archive entry shares: fixed time, mode from the exec bit, exact-size copying.
 */
import { IoError, UsageError } from '../errors.js';
import { quoteName } from '../quote.js';
import type { Settings } from '../options.js';
import type { OpenedFile } from '../read.js';
import type { ChunkFeed } from '../run.js';

/**
 * The fixed entry time in seconds: SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else 0.
 * A malformed value is an error, as the specification asks.
 */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return 0;
  if (!/^\d{1,15}$/.test(v.trim())) {
    throw new UsageError(`invalid SOURCE_DATE_EPOCH '${v}': expected a non-negative integer (seconds since 1970)`);
  }
  return Number(v.trim());
}

/** 0755 when any execute bit is set, else 0644. */
export function entryMode(stMode: number): 0o644 | 0o755 {
  return (stMode & 0o111) !== 0 ? 0o755 : 0o644;
}

export function modeString(mode: number): string {
  return '0' + mode.toString(8);
}

export function shrank(file: OpenedFile): IoError {
  return new IoError('read', quoteName(file.entry.abs), new Error(`file shrank while being read (expected ${file.size} bytes)`));
}

export function warnGrew(settings: Settings, file: OpenedFile): void {
  settings.onWarning(`${quoteName(file.entry.rel)}: file changed as we read it (archived its first ${file.size} bytes)`);
}

/**
 * Writes exactly `file.size` bytes of `file` through `write`: fails when the file turns out
 * shorter, warns when longer. Returns undefined when done synchronously.
 */
export function copyExactly(
  file: OpenedFile,
  feed: ChunkFeed,
  settings: Settings,
  write: (chunk: Buffer, end: number) => Promise<void> | void | undefined,
  after: () => Promise<void> | void | undefined,
): Promise<void> | undefined {
  if (file.complete && file.head.length < file.size) throw shrank(file);
  let left = file.size;
  let grew = false;
  const fn = (chunk: Buffer): Promise<void> | void | undefined => {
    const n = Math.min(chunk.length, left);
    left -= n;
    if (n < chunk.length) grew = true;
    return n > 0 ? write(chunk, n) : undefined;
  };
  const done = (): Promise<void> | void | undefined => {
    if (left > 0) throw shrank(file);
    if (grew) warnGrew(settings, file);
    return after();
  };
  const pending = feed.each(file, fn);
  if (pending) return pending.then(done);
  return done() || undefined;
}
