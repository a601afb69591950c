/**
 * `--mode tar|zip`: placeholder until the archive writers land.
 */
import type { FileEntry } from '../discover.js';
import { UsageError } from '../errors.js';
import type { Settings } from '../options.js';
import type { Handler } from '../run.js';
import type { OutputTarget } from '../sink.js';

export function archiveHandler(settings: Settings, _out: OutputTarget, _files: readonly FileEntry[]): Handler {
  throw new UsageError(`--mode ${settings.mode} is not implemented yet`);
}
