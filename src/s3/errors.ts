/**
 * Turns AWS SDK failures into one-line errors with an exit code: 1 when a retry may help
 * (throttling past the SDK's retries, 5xx, a reset connection, an object that changed or
 * vanished after listing, expired temporary credentials), 2 when the command line or the
 * credentials it runs with are wrong (no such bucket, access denied, an unknown key id, a bad
 * signature, no credentials or region at all). Server messages are not repeated: they can quote
 * request details; no secret ever reaches a message.
 */
import { AggregateError, RemoteError } from '../errors.js';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/**
 * A request that made no progress for `--timeout` seconds. Named as the SDK names its own
 * timeouts, so its retry strategy retries it as it retries a reset connection.
 */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(seconds: number, stage: string) {
    super(`timed out after ${seconds} s without progress (${stage})`);
  }
}

const USAGE: Record<string, string> = {
  NoSuchBucket: 'no such bucket',
  AccessDenied: 'access denied: the credentials in use lack the permission (s3:ListBucket to list, s3:GetObject to read)',
  AllAccessDisabled: 'access to this bucket is disabled',
  InvalidAccessKeyId: 'credentials rejected: unknown access key id (check AWS_ACCESS_KEY_ID, the profile or the secret mounted as env)',
  SignatureDoesNotMatch: 'credentials rejected: the signature does not match (check AWS_SECRET_ACCESS_KEY)',
  InvalidToken: 'credentials rejected: invalid session token (check AWS_SESSION_TOKEN)',
  AuthorizationHeaderMalformed: 'request rejected: wrong region for this bucket (set AWS_REGION)',
  PermanentRedirect: 'the bucket is in another region or needs another endpoint (set AWS_REGION or --endpoint)',
  InvalidBucketName: 'invalid bucket name',
  CredentialsProviderError: 'no AWS credentials found (environment, web identity token, profile, container or instance role)',
};

const RETRYABLE: Record<string, string> = {
  NoSuchKey: 'it vanished after it was listed',
  PreconditionFailed: 'it changed after it was listed (ETag differs)',
  ExpiredToken: 'the temporary credentials expired',
  RequestTimeTooSkewed: "the machine's clock is off",
  SlowDown: 'throttled by the server (gave up after the retries)',
  Throttling: 'throttled by the server (gave up after the retries)',
  RequestTimeout: 'request timed out',
  TimeoutError: 'request timed out',
  InternalError: 'server error',
  ServiceUnavailable: 'service unavailable',
};

/**
 * `action` and `what` make the message: `cannot list s3://b/p/: no such bucket (NoSuchBucket)`.
 * Our own errors (interrupts, invalid input) pass through unchanged.
 */
export function s3Error(action: string, what: string, error: unknown): AggregateError {
  if (error instanceof AggregateError) return error;
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  let name = e.name && e.name !== 'Error' && e.name !== 'S3ServiceException' ? e.name : (e.code ?? 'Error');
  // HEAD-like answers carry no error body: name them by status.
  if (name === 'NotFound' || (name === 'UnknownError' && status === 404)) name = action === 'list' ? 'NoSuchBucket' : 'NoSuchKey';
  if (name === 'Forbidden' || (name === 'UnknownError' && status === 403)) name = 'AccessDenied';
  if (name === 'Unknown' && status === 412) name = 'PreconditionFailed';
  const tag = `(${name}${status ? `, HTTP ${status}` : ''})`;
  const usage = USAGE[name];
  if (usage !== undefined) return new RemoteError(`cannot ${action} ${what}: ${usage} ${tag}`, false, { cause: error });
  if (/region is missing|region not accepted/i.test(e.message ?? '')) {
    return new RemoteError(`cannot ${action} ${what}: no valid AWS region configured (set AWS_REGION) ${tag}`, false, { cause: error });
  }
  if (status === 403) return new RemoteError(`cannot ${action} ${what}: ${USAGE.AccessDenied} ${tag}`, false, { cause: error });
  const known = RETRYABLE[name];
  let detail = known ?? (e.code && e.code !== name ? `${e.code}` : firstLine(e.message) || 'request failed');
  // Ours (client.ts) say how long and what stalled.
  if (error instanceof TimeoutError) detail = `${error.message}, ${e.$metadata?.attempts ?? 1} attempts (gave up after the retries)`;
  return new RemoteError(`cannot ${action} ${what}: ${detail} ${tag}`, true, { cause: error });
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n', 1)[0]!.slice(0, 200);
}
