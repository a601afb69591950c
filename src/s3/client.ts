/**
 * The S3 client: credentials and region from the SDK's default chain (environment, web identity
 * / IRSA, profile, container and instance roles); an endpoint from `--endpoint` or
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` switches to path-style addressing, which MinIO,
 * Ceph RGW and most S3-compatible stores need.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { endpointOf } from './url.js';

export interface ClientOptions {
  readonly endpoint: string | undefined;
  /** GETs in flight: the connection pool must hold them all. */
  readonly concurrency: number;
  /** Aborts every request in flight (a signal stops the run). */
  readonly signal: AbortSignal;
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
 * below 100 ms x 2^attempt, capped at 20 s.
 */
export function backoffMs(attempt: number): number {
  return Math.floor(Math.random() * Math.min(20_000, 100 * 2 ** attempt));
}

export function createClient(options: ClientOptions): S3Client {
  // The SDK warns on every run under Node < 22 about its releases of 2027: eight lines of stderr
  // in each collect step that its user cannot act on. Honour an explicit setting.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
  const endpoint = endpointOf(options.endpoint);
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
      connectionTimeout: 10_000,
      requestTimeout: 120_000,
      httpAgent: { keepAlive: true, maxSockets: sockets },
      httpsAgent: { keepAlive: true, maxSockets: sockets },
    },
  });
  const handler = client.config.requestHandler as { handle: (request: unknown, options?: object) => Promise<unknown> };
  const handle = handler.handle.bind(handler);
  handler.handle = (request, opts) => handle(request, { ...opts, abortSignal: options.signal });
  return client;
}
