/**
 * aggregate: fan-in for Argo Workflows. Library entry point.
 *
 *   import { aggregate } from 'argo-aggregate';
 *   const stats = await aggregate({ dir: '/mnt', output: '/tmp/out.json' });
 */
import { archiveHandler } from './archive/mode.js';
import { zipNameProblem } from './archive/zip.js';
import { jsonHandler } from './json/mode.js';
import { resolveSettings, type Options } from './options.js';
import { runPipeline, type Stats } from './run.js';

export async function aggregate(options: Options): Promise<Stats> {
  const settings = resolveSettings(options);
  // ajv loads only for a run given --schema; a bad schema is a usage error before any input is read.
  const check =
    settings.schema !== undefined ? await (await import('./json/schema.js')).loadSchema(settings.schema, settings.onWarning, settings.signal) : undefined;
  return runPipeline(
    settings,
    (out, files) => (settings.mode === 'json' ? jsonHandler(settings, out, check) : archiveHandler(settings, out, files)),
    settings.mode === 'zip' ? zipNameProblem : undefined,
  );
}

export { resolveSettings, parseShard } from './options.js';
export type { Options, Settings, Mode, SortOrder, OnInvalid, JsonFormat, KeyBy, Progress } from './options.js';
export type { Tolerance } from './contract.js';
export type { Stats, ManifestEntry, NameFields } from './run.js';
export type { SkippedFile, FileEntry } from './discover.js';
export type { InvalidKind, SchemaDetail } from './errors.js';
export {
  ExitCode,
  AggregateError,
  UsageError,
  InvalidInputError,
  InvalidFilesError,
  IncompleteInputError,
  TooManyInvalidError,
  IoError,
  InterruptedError,
  exitCodeOf,
  messageOf,
} from './errors.js';
export { JsonScanner, JsonSyntaxError, type ValueSink } from './json/scan.js';
export { compareNatural, compareBytes } from './sort.js';
