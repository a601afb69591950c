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
}

/** Attempts per request (first try included) unless AWS_MAX_ATTEMPTS says otherwise. */
const MAX_ATTEMPTS = 5;

export function createClient(options: ClientOptions): S3Client {
  // The SDK warns on every run under Node < 22 about its releases of 2027: eight lines of stderr
  // in each collect step that its user cannot act on. Honour an explicit setting.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
  const endpoint = endpointOf(options.endpoint);
  const sockets = options.concurrency + 2;
  return new S3Client({
    ...(endpoint !== undefined && {
      endpoint,
      forcePathStyle: true,
      // S3-compatible stores ignore the region, but the signature needs one.
      ...(!process.env.AWS_REGION && { region: 'us-east-1' }),
    }),
    followRegionRedirects: true,
    ...(!process.env.AWS_MAX_ATTEMPTS && { maxAttempts: MAX_ATTEMPTS }),
    requestHandler: {
      connectionTimeout: 10_000,
      requestTimeout: 120_000,
      httpAgent: { keepAlive: true, maxSockets: sockets },
      httpsAgent: { keepAlive: true, maxSockets: sockets },
    },
  });
}
