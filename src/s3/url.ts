/**
 * `s3://bucket[/prefix]` input URLs. Kept free of the AWS SDK: the pipeline imports this module
 * on every run to tell an S3 input from a directory; the SDK loads only for an S3 input.
 */
import { UsageError } from '../errors.js';
import { quoteValue } from '../quote.js';

export interface S3Location {
  readonly bucket: string;
  /**
   * Key prefix of the input "directory": '' (whole bucket) or ending in '/'. `s3://b/pre` and
   * `s3://b/pre/` both mean the keys under `pre/`, as `/mnt` and `/mnt/` name one directory;
   * `pre-other.json` is never part of it.
   */
  readonly prefix: string;
}

export function isS3Url(input: string): boolean {
  return /^s3:\/\//i.test(input);
}

/** S3's bucket naming rules (lowercase, digits, '.', '-'; 3-63), with a clear usage error. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseS3Url(input: string): S3Location {
  const rest = input.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  let prefix = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket === '') throw new UsageError(`invalid input ${quoteValue(input)}: expected s3://bucket or s3://bucket/prefix/`);
  if (!BUCKET.test(bucket)) {
    throw new UsageError(`invalid bucket name ${quoteValue(bucket)} in ${quoteValue(input)}: 3-63 lowercase letters, digits, '.' or '-'`);
  }
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  if (
    prefix.startsWith('/') ||
    prefix
      .split('/')
      .slice(0, -1)
      .some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new UsageError(`invalid prefix in ${quoteValue(input)}: empty, '.' or '..' path segments are not allowed`);
  }
  return { bucket, prefix };
}

/** `s3://bucket/prefix/` for messages; `key` appended when given. */
export function s3Url(location: S3Location, key = location.prefix): string {
  return `s3://${location.bucket}/${key}`;
}

/**
 * The endpoint of an S3-compatible store: `--endpoint`, else `AWS_ENDPOINT_URL_S3`, else
 * `AWS_ENDPOINT_URL` (the SDK's own variables); undefined for AWS itself.
 */
export function endpointOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const [value, source] =
    flag !== undefined
      ? [flag, '--endpoint']
      : env.AWS_ENDPOINT_URL_S3
        ? [env.AWS_ENDPOINT_URL_S3, 'AWS_ENDPOINT_URL_S3']
        : env.AWS_ENDPOINT_URL
          ? [env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL']
          : [undefined, ''];
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`invalid ${source} ${quoteValue(value)}: expected a URL such as http://minio:9000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid ${source} ${quoteValue(value)}: expected an http:// or https:// URL`);
  }
  if (url.username || url.password) throw new UsageError(`invalid ${source}: credentials do not belong in the endpoint URL`);
  return value;
}
