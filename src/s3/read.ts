/**
 * Ordered reading of listed S3 objects: a read-ahead window of `concurrency` GETs, each holding
 * at most its first HEAD_BYTES until its turn (the rest waits in the connection, under TCP flow
 * control), so memory stays bounded whatever the object sizes. Every GET carries If-Match with
 * the listed ETag, and the answer's ETag and length are checked too (not every S3-compatible
 * store honours If-Match): an object that changed or vanished after listing fails the run.
 */
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RemoteError } from '../errors.js';
import type { FileList } from '../discover.js';
import { quoteName } from '../quote.js';
import { OpenedFile, ReadAhead, type ReadAheadStats, type ReadResult, type Reader } from '../read.js';
import { s3Error } from './errors.js';
import type { S3Entry } from './list.js';
import type { S3Location } from './url.js';

/** Bytes of each object read ahead in the window: the local reader's prefetch bound. */
const HEAD_BYTES = 256 << 10;

function changed(entry: S3Entry, what: string): RemoteError {
  return new RemoteError(`cannot read ${quoteName(entry.abs)}: it changed after it was listed (${what})`, true);
}

const noBuffer = (): Buffer => {
  throw new Error('an S3 object has no read buffer');
};

/** An object whose GET answered, with its first bytes read; the rest streams on `readNext`. */
class S3File extends OpenedFile {
  private finished: boolean;

  constructor(
    private readonly object: S3Entry,
    head: Buffer,
    complete: boolean,
    private readonly chunks: AsyncIterator<Buffer>,
    private readonly body: Readable,
  ) {
    super(object, -1, object.size, 0o100644, head, complete, noBuffer);
    this.finished = complete;
  }

  override readNext(): Promise<Buffer | null> | null {
    if (this.finished) return null;
    return this.chunks.next().then(
      (r) => {
        if (r.done) {
          this.finished = true;
          if (this.bytesRead !== this.object.size) throw changed(this.object, `${this.bytesRead} bytes, listed as ${this.object.size}`);
          return null;
        }
        this.bytesRead += r.value.length;
        if (this.bytesRead > this.object.size) throw changed(this.object, `more than the ${this.object.size} bytes listed`);
        return r.value;
      },
      (error: unknown) => {
        throw s3Error('read', quoteName(this.object.abs), error);
      },
    );
  }

  override close(): void {
    this.finished = true;
    this.body.destroy();
  }
}

async function fetch(client: S3Client, where: S3Location, entry: S3Entry, signal: AbortSignal): Promise<ReadResult> {
  let body: Readable;
  try {
    const res = await client.send(
      new GetObjectCommand({ Bucket: where.bucket, Key: entry.key, ...(entry.etag && { IfMatch: `"${entry.etag}"` }) }),
      { abortSignal: signal },
    );
    body = res.Body as Readable;
    const etag = res.ETag?.replace(/^"|"$/g, '');
    if (entry.etag && etag !== undefined && etag !== entry.etag) {
      body.destroy();
      throw changed(entry, `ETag ${etag}, listed as ${entry.etag}`);
    }
    if (res.ContentLength !== undefined && res.ContentLength !== entry.size) {
      body.destroy();
      throw changed(entry, `${res.ContentLength} bytes, listed as ${entry.size}`);
    }
  } catch (error) {
    throw s3Error('read', quoteName(entry.abs), signal.aborted ? signal.reason : error);
  }
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const parts: Buffer[] = [];
  let n = 0;
  let complete = false;
  try {
    while (n < HEAD_BYTES) {
      const r = await chunks.next();
      if (r.done) {
        complete = true;
        break;
      }
      parts.push(r.value);
      n += r.value.length;
    }
  } catch (error) {
    body.destroy();
    throw s3Error('read', quoteName(entry.abs), signal.aborted ? signal.reason : error);
  }
  if (complete ? n !== entry.size : n > entry.size) {
    body.destroy();
    throw changed(entry, `${n} bytes, listed as ${entry.size}`);
  }
  const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  return { kind: 'file', file: new S3File(entry, head, complete, chunks, body) };
}

/** Hands out the objects in list order; the consumer finishes (and closes) one before the next. */
export class S3Reader implements Reader {
  private readonly ahead: ReadAhead<S3Entry>;

  constructor(
    private readonly client: S3Client,
    where: S3Location,
    entries: FileList<S3Entry>,
    private readonly concurrency: number,
    private readonly controller: AbortController,
  ) {
    this.ahead = new ReadAhead(entries, 0, concurrency, (entry) => fetch(client, where, entry, controller.signal));
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
    this.client.destroy();
  }
}
