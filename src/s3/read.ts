/**
 * Ordered reading of listed S3 objects: a read-ahead window of `concurrency` GETs, each holding
 * at most its first HEAD_BYTES until its turn (the rest waits in the connection, under TCP flow
 * control), so memory stays bounded whatever the object sizes. Every GET carries If-Match with
 * the listed ETag, and the answer's ETag and length are checked too (not every S3-compatible
 * store honours If-Match): an object that changed or vanished after listing fails the run.
 *
 * A body cut mid-stream (connection reset, a premature end) is resumed where it stopped: a new
 * GET for `Range: bytes=N-` with the same If-Match, after the SDK's backoff, as many times as the
 * SDK tries a request. Bytes already handed to the scanner or archive are never handed out again.
 */
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RemoteError, errnoCode } from '../errors.js';
import type { FileList } from '../discover.js';
import { quoteName } from '../quote.js';
import { CHUNK_SIZE, OpenedFile, type ChunkBuffers, ReadAhead, type ReadAheadStats, type ReadResult, type Reader } from '../read.js';
import { backoffMs, listRequestOf, maxAttempts } from './client.js';
import { TimeoutError, s3Error } from './errors.js';
import { LeanGet, routeOf, type ObjectAnswer } from './lean.js';
import type { S3Entry } from './list.js';
import type { S3Location } from './url.js';

/** Bytes of each object read ahead in the window: the local reader's prefetch bound. */
const HEAD_BYTES = 256 << 10;

function changed(entry: S3Entry, what: string): RemoteError {
  return new RemoteError(`cannot read ${quoteName(entry.abs)}: it changed after it was listed (${what})`, true);
}

const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^"|"$/g, '');

/** What the reader shares between objects. */
interface Context {
  readonly client: S3Client;
  readonly where: S3Location;
  readonly signal: AbortSignal;
  /** GETs per cut-free stretch of a body (first GET included). */
  readonly attempts: number;
  /** Seconds a body may wait for its next bytes before it counts as cut (`--timeout`). */
  readonly timeout: number;
  /** GETs without the SDK's middleware stack (lean.ts), when the listing's route allows. */
  readonly lean: LeanGet | undefined;
}

/**
 * One object's body as a sequence of chunks, resumed with a ranged GET when the connection is
 * cut. `received` counts the bytes handed out; a resume asks for the bytes from there on.
 */
class ObjectBody {
  private chunks: AsyncIterator<Buffer>;
  private received = 0;
  /** GETs made since the body last made CHUNK_SIZE of progress. */
  private attempts = 1;
  private progress = 0;
  /** Bytes of a 200 answer to a ranged GET (a store that ignores Range) still to drop. */
  private skip = 0;
  /** Cuts the body when it stalls; armed only while a read waits (a parked body is not stalled). */
  private stall: NodeJS.Timeout | undefined;
  private waiting = false;

  /**
   * The ETag of the version being read (listed, else the first answer's): a resume must show it,
   * or its bytes could belong to a version written since (a store may ignore If-Match).
   */
  private readonly version: string | undefined;

  constructor(
    private readonly cx: Context,
    private readonly entry: S3Entry,
    first: ObjectAnswer,
  ) {
    this.body = first.body;
    this.version = entry.etag || first.etag || undefined;
    this.chunks = this.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private body: Readable;

  /** The next chunk, or null once exactly the listed size was read. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.watched(this.chunks.next());
      } catch (error) {
        if (this.cx.signal.aborted) throw this.cx.signal.reason;
        await this.resume(error);
        continue;
      }
      const size = this.entry.size;
      if (r.done) {
        if (this.received === size) return null;
        await this.resume(undefined);
        continue;
      }
      let chunk = r.value;
      if (this.skip > 0) {
        const drop = Math.min(this.skip, chunk.length);
        this.skip -= drop;
        if (drop === chunk.length) continue;
        chunk = chunk.subarray(drop);
      }
      if (this.received + chunk.length > size) throw changed(this.entry, `more than the ${size} bytes listed`);
      this.received += chunk.length;
      this.progress += chunk.length;
      return chunk;
    }
  }

  private watched<T>(read: Promise<T>): Promise<T> {
    // One timer per body, re-armed per read (a cleared timer cannot be re-armed): it fires
    // while no read waits too, and then does nothing.
    this.waiting = true;
    if (this.stall === undefined) {
      this.stall = setTimeout(() => {
        if (this.waiting) this.body.destroy(new TimeoutError(this.cx.timeout, 'the body stopped'));
      }, this.cx.timeout * 1000).unref();
    } else {
      this.stall.refresh();
    }
    return read.finally(() => {
      this.waiting = false;
    });
  }

  /** A new GET for the rest of the body, after the connection was cut (`cause`: its error, if any). */
  private async resume(cause: unknown): Promise<void> {
    this.body.destroy();
    if (this.progress >= CHUNK_SIZE) this.attempts = 1;
    this.progress = 0;
    const { entry, cx } = this;
    if (this.attempts >= cx.attempts) {
      const times = `${this.attempts} times in a row (gave up after the retries)`;
      if (cause instanceof TimeoutError) {
        throw new RemoteError(`cannot read ${quoteName(entry.abs)}: ${cause.message} after ${this.received} of ${entry.size} bytes, ${times}`, true, { cause });
      }
      const code = errnoCode(cause) ?? (cause instanceof Error && cause.message ? cause.message : 'premature end');
      throw new RemoteError(
        `cannot read ${quoteName(entry.abs)}: the connection was cut after ${this.received} of ${entry.size} bytes, ${times} (${code})`,
        true,
        { cause },
      );
    }
    await sleep(backoffMs(this.attempts), undefined, { signal: cx.signal }).catch(() => {
      throw cx.signal.reason;
    });
    this.attempts++;
    const res = await get(cx, entry, this.received, this.version);
    if (!res.etag || res.etag !== this.version) {
      res.body.destroy();
      throw changed(
        entry,
        this.version
          ? `the resumed answer has ${res.etag ? `ETag ${res.etag}` : 'no ETag'}, the first had ${this.version}`
          : 'no ETag to show that the resumed answer is the same version',
      );
    }
    this.body = res.body;
    this.chunks = this.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.range ?? '');
    if (range) {
      if (Number(range[1]) !== this.received || Number(range[3]) !== entry.size) {
        this.body.destroy();
        throw changed(entry, `answered ${res.range} for bytes ${this.received}- of ${entry.size}`);
      }
    } else {
      // The store ignored Range and sent the whole object again: drop what was handed out.
      this.skip = this.received;
    }
  }

  destroy(): void {
    clearTimeout(this.stall);
    this.body.destroy();
  }
}

/** GET `entry` (from byte `from` on when > 0, If-Match `version`), checked against the listing. */
async function get(cx: Context, entry: S3Entry, from: number, version = entry.etag): Promise<ObjectAnswer> {
  try {
    const res = cx.lean ? await cx.lean.get(entry.key, version, from) : await sdkGet(cx, entry, from, version);
    const etag = res.etag;
    if (entry.etag && etag !== undefined && etag !== entry.etag) {
      res.body.destroy();
      throw changed(entry, `ETag ${etag}, listed as ${entry.etag}`);
    }
    const expected = res.range ? entry.size - from : entry.size;
    if (res.length !== undefined && res.length !== expected) {
      res.body.destroy();
      throw changed(entry, `${res.length} bytes, listed as ${entry.size}`);
    }
    return res;
  } catch (error) {
    throw s3Error('read', quoteName(entry.abs), cx.signal.aborted ? cx.signal.reason : error);
  }
}

async function sdkGet(cx: Context, entry: S3Entry, from: number, version: string | undefined): Promise<ObjectAnswer> {
  const res = await cx.client.send(
    new GetObjectCommand({
      Bucket: cx.where.bucket,
      Key: entry.key,
      ...(version && { IfMatch: `"${version}"` }),
      ...(from > 0 && { Range: `bytes=${from}-` }),
    }),
  );
  return { body: res.Body as Readable, etag: unquote(res.ETag), length: res.ContentLength, range: res.ContentRange };
}

const noBuffer: ChunkBuffers = {
  pair: () => {
    throw new Error('an S3 object has no read buffer');
  },
  drop: () => {},
};

/** An object whose GET answered, with its first bytes read; the rest streams on `readNext`. */
class S3File extends OpenedFile {
  private finished: boolean;

  constructor(
    object: S3Entry,
    head: Buffer,
    complete: boolean,
    private readonly body: ObjectBody,
  ) {
    super(object, -1, object.size, 0o100644, head, complete, noBuffer);
    this.finished = complete;
  }

  override readNext(): Promise<Buffer | null> | null {
    if (this.finished) return null;
    return this.body.next().then(
      (chunk) => {
        if (chunk === null) this.finished = true;
        else this.bytesRead += chunk.length;
        return chunk;
      },
      (error: unknown) => {
        throw s3Error('read', quoteName(this.entry.abs), error);
      },
    );
  }

  override close(): void {
    this.finished = true;
    this.body.destroy();
  }
}

async function fetch(cx: Context, entry: S3Entry): Promise<ReadResult> {
  const res = await get(cx, entry, 0);
  const body = new ObjectBody(cx, entry, res);
  const parts: Buffer[] = [];
  let n = 0;
  let complete = false;
  try {
    while (n < HEAD_BYTES) {
      const chunk = await body.next();
      if (chunk === null) {
        complete = true;
        break;
      }
      parts.push(chunk);
      n += chunk.length;
    }
  } catch (error) {
    body.destroy();
    throw s3Error('read', quoteName(entry.abs), cx.signal.aborted ? cx.signal.reason : error);
  }
  const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  return { kind: 'file', file: new S3File(entry, head, complete, body) };
}

/** Hands out the objects in list order; the consumer finishes (and closes) one before the next. */
export class S3Reader implements Reader {
  private readonly ahead: ReadAhead<S3Entry>;
  private readonly lean: LeanGet | undefined;

  constructor(
    private readonly client: S3Client,
    where: S3Location,
    entries: FileList<S3Entry>,
    private readonly concurrency: number,
    private readonly controller: AbortController,
    timeout: number,
  ) {
    this.lean = leanGet(client, where, { concurrency, timeout, signal: controller.signal });
    const cx: Context = { client, where, signal: controller.signal, attempts: maxAttempts(), timeout, lean: this.lean };
    this.ahead = new ReadAhead(entries, 0, concurrency, (entry) => fetch(cx, entry));
  }

  next(): Promise<ReadResult> | undefined {
    return this.ahead.next();
  }

  readAhead(): ReadAheadStats {
    return { mode: 'async', window: this.concurrency, maxInFlight: this.ahead.maxInFlight };
  }

  /** Abort what is in flight, drop what was read ahead, close the connections. */
  dispose(): void {
    if (!this.controller.signal.aborted) this.controller.abort();
    this.ahead.dispose();
    this.lean?.destroy();
    this.client.destroy();
  }
}

/**
 * The lean GET path on the listing's route; the SDK's own GetObject when there is none (an
 * unusual signer), for S3 Express directory buckets (session auth), or when
 * AGGREGATE_S3_GET=sdk (an internal knob: the bench compares both paths).
 */
function leanGet(client: S3Client, where: S3Location, options: ConstructorParameters<typeof LeanGet>[2]): LeanGet | undefined {
  if (process.env.AGGREGATE_S3_GET === 'sdk' || where.bucket.endsWith('--x-s3')) return undefined;
  const listed = listRequestOf(client);
  const route = listed && routeOf(listed, where.bucket);
  return route && new LeanGet(client, route, options);
}
