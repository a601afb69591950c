/**
 * The S3 client: credentials and region from the SDK's default chain (environment, web identity
 * / IRSA, profile, container and instance roles); an endpoint from `--endpoint` or
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` switches to path-style addressing, which MinIO,
 * Ceph RGW and most S3-compatible stores need.
 */
import type { IncomingMessage } from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { TimeoutError } from './errors.js';
import { endpointOf } from './url.js';

export interface ClientOptions {
  readonly endpoint: string | undefined;
  /** GETs in flight: the connection pool must hold them all. */
  readonly concurrency: number;
  /** Aborts every request in flight (a signal stops the run). */
  readonly signal: AbortSignal;
  /** Seconds a request may go without progress (connect, answer, next body bytes). */
  readonly timeout: number;
}

/** Attempts per request (first try included) unless AWS_MAX_ATTEMPTS says otherwise. */
const MAX_ATTEMPTS = 5;

/** The attempts the SDK makes per request; a body cut mid-stream gets as many (read.ts). */
export function maxAttempts(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(n) && n >= 1 ? n : MAX_ATTEMPTS;
}

/**
 * The SDK's backoff before retry `attempt` (1 = the first retry): "full jitter", a random wait
 * below 100 ms x 2^attempt (500 ms x 2^attempt when throttled), capped at 20 s.
 */
export function backoffMs(attempt: number, throttled = false): number {
  return Math.floor(Math.min(20_000, Math.random() * (throttled ? 500 : 100) * 2 ** attempt));
}

/** Where the SDK sent each client's last successful listing (lean.ts sends the GETs there). */
const listed = new WeakMap<S3Client, ListRequest>();

export interface ListRequest {
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number;
  readonly path: string;
  readonly headers: Record<string, string>;
}

export function listRequestOf(client: S3Client): ListRequest | undefined {
  return listed.get(client);
}

export function createClient(options: ClientOptions): S3Client {
  // The SDK warns on every run under Node < 22 about its releases of 2027: eight lines of stderr
  // in each collect step that its user cannot act on. Honour an explicit setting.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
  const endpoint = endpointOf(options.endpoint);
  const timeoutMs = Math.max(1, Math.round(options.timeout * 1000));
  const sockets = options.concurrency + 2;
  const client = new S3Client({
    ...(endpoint !== undefined && {
      endpoint,
      forcePathStyle: true,
      // S3-compatible stores ignore the region, but the signature needs one.
      ...(!process.env.AWS_REGION && { region: 'us-east-1' }),
    }),
    followRegionRedirects: true,
    // Build each command's middleware stack once, not on every request: with 2,000 small
    // objects that was ~10% of the run's CPU. The SDK caches only for `send` without options,
    // so the abort signal reaches the requests through the handler below instead. The cached
    // handler shares one context between concurrent requests of a command: what middleware
    // store there (endpoint, signing region, a region redirect) is the same for every GET of a
    // run, which reads one bucket.
    cacheMiddleware: true,
    // Objects are checked against their listed ETag and size; S3's optional CRC checksums would
    // cost a pass over every body in JS, and a ranged resume (read.ts) cannot check them anyway.
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    ...(!process.env.AWS_MAX_ATTEMPTS && { maxAttempts: MAX_ATTEMPTS }),
    requestHandler: {
      // Both reject with the SDK's TimeoutError, which it retries: a stalled connect or a
      // request never answered. (Without throwOnRequestTimeout the SDK only logs a warning.)
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: { keepAlive: true, maxSockets: sockets },
      httpsAgent: { keepAlive: true, maxSockets: sockets },
    },
  });
  const handler = client.config.requestHandler as { handle: (request: Request, options?: object) => Promise<{ response: Response }> };
  const handle = handler.handle.bind(handler);
  handler.handle = async (request, opts) => {
    let answer;
    try {
      answer = await handle(request, { ...opts, abortSignal: options.signal });
    } catch (error) {
      // The SDK's own timeouts, said in seconds and by what did not happen.
      const e = error as { name?: string; message?: string };
      if (e?.name !== 'TimeoutError' || options.signal.aborted) throw error;
      throw new TimeoutError(options.timeout, /establish a connection/.test(e.message ?? '') ? 'no connection' : 'no answer');
    }
    // The SDK reads every body but a GetObject's at once (listings, error answers): a body that
    // stalls on the way fails as a timeout. A GetObject's body is watched by its reader (read.ts),
    // only while it waits for bytes: a body parked in the read-ahead window is not stalled.
    const res = answer.response;
    const listing = 'list-type' in (request.query ?? {});
    if (listing && res.statusCode < 300) listed.set(client, request as unknown as ListRequest);
    if (!(request.method === 'GET' && !listing && res.statusCode < 300)) {
      watchBody(res.body as IncomingMessage, timeoutMs, () => new TimeoutError(options.timeout, 'the answer stopped'));
    }
    return answer;
  };
  return client;
}

interface Request {
  readonly method: string;
  readonly query?: Record<string, unknown>;
}

interface Response {
  readonly statusCode: number;
  readonly body: unknown;
}

/** Destroy `body` with `error()` once its connection is idle for `ms` before it ends. */
function watchBody(body: IncomingMessage, ms: number, error: () => Error): void {
  const socket = body?.socket;
  if (!socket || body.complete) return;
  const onTimeout = (): void => void body.destroy(error());
  const stop = (): void => {
    socket.setTimeout(0);
    socket.removeListener('timeout', onTimeout);
  };
  socket.setTimeout(ms);
  socket.on('timeout', onTimeout);
  body.once('end', stop);
  body.once('close', stop);
}
