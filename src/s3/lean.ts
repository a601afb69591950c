/**
 * The GetObject path without the SDK's per-request middleware stack, which cost ~60% of a run's
 * CPU on small objects (endpoint rules, serialisation, retry bookkeeping, ~0.3 ms a GET). What
 * S3 sees is what the SDK sends: the host, path style and signing region the SDK itself chose for
 * the run's successful listing of the same bucket (s3/client.ts records it, region redirects
 * included), signed with SigV4 (sigv4.ts) with the credentials of the SDK's provider chain
 * (refreshed as the SDK refreshes them), on a keep-alive agent. Retries follow the SDK's standard
 * strategy: transient errors (resets, timeouts, 5xx) and throttling (503 SlowDown, 429), full
 * jitter backoff, AWS_MAX_ATTEMPTS attempts; a skewed clock is corrected from the server's Date.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { backoffMs, maxAttempts, type ListRequest } from './client.js';
import { TimeoutError } from './errors.js';
import { GetSigner, type Credentials } from './sigv4.js';

/** Where the SDK sent the run's listing: object requests go to the same place. */
export interface Route {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  /** The bucket's path: '' (virtual-hosted) or '/bucket' (path style). */
  readonly base: string;
  readonly region: string;
}

/** An answer to a GET, as the reader needs it. */
export interface ObjectAnswer {
  readonly body: Readable;
  readonly etag: string | undefined;
  readonly length: number | undefined;
  readonly range: string | undefined;
}

/**
 * The route of a listing request the SDK signed, or undefined when it is not a plain SigV4 one
 * (then every GET stays on the SDK).
 */
export function routeOf(request: ListRequest, bucket: string): Route | undefined {
  const auth = request.headers.authorization ?? request.headers.Authorization ?? '';
  const region = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/([^/]+)\/s3\/aws4_request,/.exec(auth)?.[1];
  if (region === undefined) return undefined;
  const path = request.path.replace(/\/$/, '');
  if (path !== '' && path !== `/${bucket}`) return undefined;
  return { protocol: request.protocol, hostname: request.hostname, port: request.port, base: path, region };
}

/** The SDK's key encoding: each segment as encodeURIComponent, and !'()* escaped too. */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

const THROTTLING = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
]);
const TRANSIENT = new Set(['RequestTimeout', 'RequestTimeoutException', 'InternalError', 'ServiceUnavailable']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** An error answer, shaped as the SDK's service errors are (s3/errors.ts reads them so). */
class ServiceError extends Error {
  constructor(
    override readonly name: string,
    readonly $metadata: { httpStatusCode: number; attempts: number },
    readonly serverDate: string | undefined,
  ) {
    super(name);
  }
}

export class LeanGet {
  private readonly agent: http.Agent;
  private readonly signer: GetSigner;
  private readonly credentials: () => Promise<Credentials>;
  private readonly host: string;
  private readonly attempts = maxAttempts();
  /** Server time minus ours, learnt from a RequestTimeTooSkewed answer (as the SDK does). */
  private clockOffset: number;

  constructor(
    client: S3Client,
    private readonly route: Route,
    private readonly options: { readonly concurrency: number; readonly timeout: number; readonly signal: AbortSignal },
  ) {
    // The SDK's resolved provider chain, memoised: it refreshes credentials before they expire.
    const config = client.config as unknown as { credentials: () => Promise<Credentials>; systemClockOffset?: number };
    this.credentials = config.credentials;
    this.signer = new GetSigner(route.region);
    this.clockOffset = config.systemClockOffset ?? 0;
    const secure = route.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.concurrency + 2 };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    const defaultPort = secure ? 443 : 80;
    this.host = route.port && route.port !== defaultPort ? `${route.hostname}:${route.port}` : route.hostname;
    // A signal ends the requests in flight by closing their sockets: one listener, not one per GET.
    options.signal.addEventListener('abort', () => this.agent.destroy(), { once: true });
  }

  /** GET `key` from byte `from` on (0: all of it), with If-Match `etag` when known; retried. */
  async get(key: string, etag: string | undefined, from: number): Promise<ObjectAnswer> {
    const path = `${this.route.base}/${encodeKey(key)}`;
    for (let attempt = 1; ; attempt++) {
      let error: unknown;
      try {
        return await this.once(path, etag, from);
      } catch (e) {
        error = e;
      }
      const { signal } = this.options;
      if (signal.aborted) throw signal.reason;
      const kind = retryKind(error);
      if (kind === undefined || attempt >= this.attempts) {
        if (error instanceof ServiceError || error instanceof TimeoutError)
          Object.assign(error, { $metadata: { ...(error as ServiceError).$metadata, attempts: attempt } });
        throw error;
      }
      if (error instanceof ServiceError && error.name === 'RequestTimeTooSkewed' && error.serverDate) {
        const server = Date.parse(error.serverDate);
        if (Number.isFinite(server)) this.clockOffset = server - Date.now();
      }
      await sleep(backoffMs(attempt, kind === 'throttling'), undefined, { signal }).catch(() => {
        throw signal.reason;
      });
    }
  }

  private async once(path: string, etag: string | undefined, from: number): Promise<ObjectAnswer> {
    const headers: Record<string, string> = { host: this.host };
    if (etag) headers['if-match'] = `"${etag}"`;
    if (from > 0) headers.range = `bytes=${from}-`;
    this.signer.sign(await this.credentials(), path, headers, new Date(Date.now() + this.clockOffset));
    const { timeout } = this.options;
    return new Promise<ObjectAnswer>((resolve, reject) => {
      const req = (this.route.protocol === 'https:' ? https : http).request({
        hostname: this.route.hostname,
        port: this.route.port,
        path,
        method: 'GET',
        headers,
        agent: this.agent,
      });
      // Idle for `timeout` before the answer's head (connecting, or waiting for it): retried as
      // the SDK retries its own timeouts. The body is watched by its reader (read.ts).
      req.setTimeout(timeout * 1000, () => req.destroy(new TimeoutError(timeout, req.socket?.connecting === false ? 'no answer' : 'no connection')));
      req.on('error', reject);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status === 200 || status === 206) {
          req.setTimeout(0);
          const length = res.headers['content-length'];
          resolve({
            body: res,
            etag: res.headers.etag?.replace(/^"|"$/g, ''),
            length: length === undefined ? undefined : Number(length),
            range: res.headers['content-range'],
          });
          return;
        }
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const xml = Buffer.concat(parts).toString();
          const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1] ?? codeOf(status);
          reject(new ServiceError(code, { httpStatusCode: status, attempts: 1 }, res.headers.date));
        });
      });
      req.end();
    });
  }

  destroy(): void {
    this.agent.destroy();
  }
}

/** A GET error answer without a body, named as S3 names it. */
function codeOf(status: number): string {
  return status === 404 ? 'NoSuchKey' : status === 412 ? 'PreconditionFailed' : status === 403 ? 'AccessDenied' : status === 503 ? 'SlowDown' : 'UnknownError';
}

/** How the SDK's standard strategy would retry `error`, if at all. */
function retryKind(error: unknown): 'throttling' | 'transient' | undefined {
  if (error instanceof ServiceError) {
    const status = error.$metadata.httpStatusCode;
    if (THROTTLING.has(error.name) || status === 429) return 'throttling';
    if (TRANSIENT.has(error.name) || error.name === 'RequestTimeTooSkewed' || [500, 502, 503, 504].includes(status)) return 'transient';
    return undefined;
  }
  if (error instanceof TimeoutError) return 'transient';
  const code = (error as { code?: string } | undefined)?.code;
  return code !== undefined && NETWORK.has(code) ? 'transient' : undefined;
}
