/**
 * `--mode zip` through archiver's ZipArchive (deflate at --level; 0 stores).
 *
 * Deterministic: entries in the run's order, one fixed date (SOURCE_DATE_EPOCH, no earlier than
 * 1980-01-01, zip's epoch; written as UTC), Unix mode 0644/0755 in the external attributes, no
 * comment, no extra timestamp fields.
 *
 * Memory: a file read whole is appended as a copy of its bytes; a longer one is streamed through
 * a PassThrough with backpressure, and the next file waits until it is in. Buffers queued inside
 * archiver are bounded by count and bytes.
 */
import { PassThrough } from 'node:stream';
import { ZipArchive } from 'archiver';
import type { Settings } from '../options.js';
import type { OpenedFile } from '../read.js';
import type { Added, ChunkFeed, Handler } from '../run.js';
import type { OutputTarget } from '../sink.js';
import { copyExactly, entryMode, modeString } from './entry.js';
import { checkEntryName } from './tar.js';

/** 1980-01-01T00:00:00Z, the earliest time a zip entry can hold. */
const ZIP_EPOCH = 315532800;
const MAX_QUEUED_ENTRIES = 256;
const MAX_QUEUED_BYTES = 16 << 20;
const STREAM_HWM = 4 << 20;

interface Waiter {
  readonly until: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export function zipHandler(settings: Settings, out: OutputTarget, mtime: number): Handler {
  const date = new Date(Math.max(mtime, ZIP_EPOCH) * 1000);
  const zip = new ZipArchive({ zlib: { level: settings.level }, forceLocalTime: false, forceZip64: false });
  let error: unknown = undefined;
  let queued = 0;
  let queuedBytes = 0;
  const sizes: number[] = [];
  let waiter: Waiter | undefined;

  const check = (): void => {
    if (error !== undefined) throw error;
  };
  const fail = (e: unknown): void => {
    if (error !== undefined) return;
    error = e;
    const w = waiter;
    waiter = undefined;
    w?.reject(e);
  };
  const poke = (): void => {
    if (waiter?.until()) {
      const w = waiter;
      waiter = undefined;
      w.resolve();
    }
  };
  const wait = (until: () => boolean): Promise<void> | undefined => {
    check();
    if (until()) return undefined;
    return new Promise<void>((resolve, reject) => {
      waiter = { until, resolve, reject };
    });
  };

  zip.on('data', (chunk: Buffer) => {
    if (error !== undefined) return;
    try {
      out.write(chunk);
    } catch (e) {
      fail(e);
    }
  });
  zip.on('error', fail);
  zip.on('warning', fail);
  zip.on('entry', () => {
    queued--;
    queuedBytes -= sizes.shift() ?? 0;
    poke();
  });

  const roomInQueue = (): boolean => queued < MAX_QUEUED_ENTRIES && queuedBytes < MAX_QUEUED_BYTES;

  return {
    add(file: OpenedFile, feed: ChunkFeed): Added | Promise<Added> {
      check();
      const name = file.entry.rel;
      checkEntryName(name);
      const mode = entryMode(file.mode);
      const added: Added = { mode: modeString(mode) };
      const data = { name, date, mode };

      if (file.complete) {
        // The head lives in a reused buffer: archiver gets a copy of exactly `size` bytes.
        let copy: Buffer | undefined;
        const pending = copyExactly(
          file,
          feed,
          settings,
          (chunk, end) => {
            copy = Buffer.from(chunk.subarray(0, end));
          },
          () => undefined,
        );
        void pending; // a complete file is handled synchronously
        const body = copy ?? Buffer.alloc(0);
        queued++;
        queuedBytes += body.length;
        sizes.push(body.length);
        zip.append(body, data);
        const room = wait(roomInQueue);
        return room ? room.then(() => added) : added;
      }

      const pass = new PassThrough({ highWaterMark: STREAM_HWM });
      queued++;
      sizes.push(0);
      zip.append(pass, data);
      const write = (chunk: Buffer, end: number): Promise<void> | undefined => {
        check();
        if (pass.write(Buffer.from(chunk.subarray(0, end)))) return undefined;
        return new Promise<void>((resolve, reject) => {
          waiter = { until: () => true, resolve, reject };
          pass.once('drain', poke);
        });
      };
      const done = (): Promise<void> | undefined => {
        pass.end();
        return wait(() => queued === 0);
      };
      return (copyExactly(file, feed, settings, write, done) ?? Promise.resolve()).then(() => added);
    },
    async finish(): Promise<void> {
      check();
      await new Promise<void>((resolve, reject) => {
        waiter = { until: () => false, resolve: () => {}, reject };
        zip.once('end', () => {
          waiter = undefined;
          resolve();
        });
        zip.finalize().catch(() => {}); // errors arrive through 'error' too
      });
      check();
    },
  };
}
