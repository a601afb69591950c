/**
 * An `s3://bucket/prefix/` input: the listing and the reader the pipeline uses in place of the
 * local walk and file reader. Loaded (with the AWS SDK) only for S3 inputs.
 */
import { setMaxListeners } from 'node:events';
import type { Settings } from '../options.js';
import type { Source } from '../read.js';
import { createClient } from './client.js';
import { listS3 } from './list.js';
import { S3Reader } from './read.js';
import { parseS3Url } from './url.js';

export async function s3Source(settings: Settings): Promise<Source> {
  const where = parseS3Url(settings.dir);
  // A signal aborts the requests in flight: the run stops without waiting for them.
  const controller = new AbortController();
  const client = createClient({ endpoint: settings.endpoint, concurrency: settings.concurrency, signal: controller.signal, timeout: settings.timeout });
  // Every request in flight listens to it: more than Node's default warning threshold of 10.
  setMaxListeners(settings.concurrency + 16, controller.signal);
  const onAbort = (): void => controller.abort(settings.signal?.reason);
  settings.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const found = await listS3(client, where, settings, controller.signal);
    return { found, reader: new S3Reader(client, where, found.files, settings.concurrency, controller, settings.timeout) };
  } catch (error) {
    client.destroy();
    throw error;
  }
}
