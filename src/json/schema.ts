/**
 * `--schema FILE`: reads a JSON Schema once, before any fragment, compiles it with ajv, and
 * returns the check every emitted value goes through (json/validate.ts hands it the value's text).
 *
 * Loaded with import() by a run given --schema only (ajv is ~1 MB of JavaScript).
 *
 * Decisions (docs/schema.md):
 * - draft 2020-12 unless the root's `$schema` names draft-07; any other `$schema` is refused.
 * - `format` asserts (ajv-formats' formats); an unknown format name is a usage error.
 * - unknown keywords are ignored, as the specification says, with a warning (a typo such as
 *   `requried` is worth seeing).
 * - no `$ref` leaves the file: a collect step has no network, and a reference to another file
 *   would make the check depend on what sits next to the schema.
 * - numbers: see json/numbers.ts.
 */
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import { UsageError, errnoCode } from '../errors.js';
import { firstInvalidUtf8 } from '../expected.js';
import { quoteName } from '../quote.js';
import { Ajv2020, AjvDraft07, MissingRefError, addFormats, metaValidators } from './ajv.js';
import { parseForSchema } from './numbers.js';

/** The first keyword a value failed, as json/validate.ts reports it. */
export interface SchemaFailure {
  /** JSON Pointer into the value ('' = the value itself). */
  readonly pointer: string;
  readonly keyword: string;
  /** ajv's message ("must be number"), with the offending property name when it has one. */
  readonly message: string;
  readonly schemaPath: string;
}

/** Checks the text of one JSON value (compact, valid JSON: the scanner checked it). */
export type ValueCheck = (text: string) => SchemaFailure | undefined;

const DRAFTS = {
  '2020-12': { id: 'https://json-schema.org/draft/2020-12/schema', pattern: /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/ },
  '07': { id: 'http://json-schema.org/draft-07/schema#', pattern: /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/ },
} as const;

/**
 * Read, check and compile the schema in `file`; every problem is a UsageError naming the file.
 * Read off the main thread: a FIFO no one writes to waits as `cat` would, and a signal (`signal`)
 * still ends the run.
 */
export async function loadSchema(file: string, onWarning: (message: string) => void, signal?: AbortSignal): Promise<ValueCheck> {
  const where = `--schema ${quoteName(file)}`;
  let bytes: Buffer;
  try {
    bytes = await abortable(fs.promises.readFile(file), signal, () => unblockFifo(file));
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const code = errnoCode(error);
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, expected a JSON Schema file'
          : code === 'EACCES'
            ? 'permission denied'
            : `cannot read it (${code ?? String(error)})`;
    throw new UsageError(`${where}: ${why}`);
  }
  // JSON text is UTF-8: a stray byte would otherwise become U+FFFD in a "const" or "pattern".
  if (!isUtf8(bytes)) throw new UsageError(`${where}: not valid UTF-8 at byte ${firstInvalidUtf8(bytes)} (JSON text is UTF-8)`);
  const text = bytes.toString('utf8');
  let schema: unknown;
  try {
    schema = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new UsageError(`${where}: not JSON (${(error as Error).message})`);
  }
  if (typeof schema !== 'boolean' && (schema === null || typeof schema !== 'object' || Array.isArray(schema))) {
    throw new UsageError(
      `${where}: not a JSON Schema: a schema is an object or a boolean, this file holds ${Array.isArray(schema) ? 'an array' : schema === null ? 'null' : `a ${typeof schema}`}`,
    );
  }
  const draft = draftOf(schema, where);
  const options = {
    // Every value is checked to its first failure: a failing fragment is reported, not every error.
    allErrors: false,
    // 1E400 is a JSON number (read as Infinity: json/numbers.ts), not an error of the data.
    strictNumbers: false,
    // Unknown keywords: ignored with a warning. Style checks of the schema (missing `type` next
    // to `properties`, tuples) are not the data's problem: off.
    strictSchema: 'log' as const,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    // The schema is checked against its meta-schema first, by a validator compiled at build time
    // (compiling the meta-schema here cost more than the rest of --schema on 10k small files).
    meta: false,
    validateSchema: false,
    logger: {
      log: () => {},
      warn: (m: unknown) => onWarning(`${where}: ${strictWarning(String(m))}`),
      error: (m: unknown) => onWarning(`${where}: ${String(m)}`),
    },
  };
  const ajv = draft === '07' ? new AjvDraft07(options) : new Ajv2020(options);
  const meta = metaValidators[draft];
  if (!meta(schema)) {
    throw new UsageError(`${where}: not a valid JSON Schema (draft ${draft}): ${ajv.errorsText(meta.errors, { dataVar: '#' })}`);
  }
  addFormats(ajv);
  let validate;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new UsageError(`${where}: ${compileProblem(error, schema, draft)}`);
  }
  // A $ref that leads back to itself without going into the value ({"$ref": "#"}) recurses
  // until the stack overflows on any value: found here on the simplest values, before any
  // fragment is read, and below on a value that is not deep (a loop taken only for some shapes).
  for (const probe of [null, true, 0, '', {}, []]) {
    try {
      validate(probe);
    } catch (error) {
      if (error instanceof RangeError) throw schemaLoop(where);
      throw error;
    }
  }
  return (value) => {
    const parsed = parseForSchema(value);
    try {
      if (validate(parsed)) return undefined;
    } catch (error) {
      // ajv recurses with the schema ($ref to an enclosing schema): a deep enough value (the
      // scanner takes any depth) overflows the stack. The data's doing, not a reason to retry.
      if (!(error instanceof RangeError)) throw error;
      if (depthBelow(parsed, LOOP_DEPTH)) throw schemaLoop(where);
      return {
        pointer: '',
        keyword: '$ref',
        message: 'is nested too deeply to check: the recursion of the schema went past the JavaScript stack',
        schemaPath: '#',
      };
    }
    const errors = validate.errors!;
    // The last error is the one that decided (anyOf, oneOf, if/then come after their branches').
    const e = errors[errors.length - 1]!;
    const params = e.params as Record<string, unknown>;
    const prop = params.additionalProperty ?? params.unevaluatedProperty ?? params.propertyName;
    const message = (e.message ?? 'fails') + (typeof prop === 'string' ? ` (property ${quoteName(prop)})` : '');
    return { pointer: e.instancePath, keyword: e.keyword, message, schemaPath: e.schemaPath };
  };
}

/**
 * A value nested less than this cannot overflow the stack through a schema that follows the
 * value down (ajv takes a few frames a level; the stack holds thousands): the schema loops.
 */
const LOOP_DEPTH = 200;

function schemaLoop(where: string): UsageError {
  return new UsageError(
    `${where}: a $ref loops: it leads back to itself without going deeper into the value (as {"$ref": "#"} does), so no value can be checked`,
  );
}

/** Whether `value` nests fewer than `limit` arrays and objects deep (iterative: any depth). */
function depthBelow(value: unknown, limit: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth >= limit) return false;
    const next: unknown[] = [];
    for (const v of level) {
      // A loop, not push(...values): a spread of a million-element array overflows the stack.
      if (v !== null && typeof v === 'object') for (const child of Object.values(v as Record<string, unknown>)) next.push(child);
    }
    level = next;
  }
  return true;
}

/** `promise`, or the abort's reason as soon as `signal` aborts (then `onAbort` runs). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, stop: () => void): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      stop();
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Our own open of the FIFO `file`, waiting for a writer in a libuv thread, would hold the
 * process at exit (Node joins its threads): open it once as a writer, which lets it return.
 */
function unblockFifo(file: string): void {
  try {
    if (!fs.statSync(file).isFIFO()) return;
    fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
  } catch {
    // ENXIO: no reader waits (the open had returned); anything else: nothing to unblock.
  }
}

/** The draft the root's `$schema` names (2020-12 when it names none). */
function draftOf(schema: unknown, where: string): keyof typeof DRAFTS {
  if (typeof schema !== 'object' || schema === null || !('$schema' in schema)) return '2020-12';
  const named = schema.$schema;
  if (typeof named !== 'string') throw new UsageError(`${where}: not a valid JSON Schema: "$schema" must be a string (a draft's URI)`);
  for (const [draft, { id, pattern }] of Object.entries(DRAFTS) as [keyof typeof DRAFTS, (typeof DRAFTS)[keyof typeof DRAFTS]][]) {
    if (pattern.test(named)) {
      (schema as { $schema: string }).$schema = id; // http or https, with or without '#': one meta-schema
      return draft;
    }
  }
  throw new UsageError(
    `${where}: unsupported "$schema" ${quoteName(named)}: the drafts supported are 2020-12 (${DRAFTS['2020-12'].id}, the default) and draft-07 (${DRAFTS['07'].id})`,
  );
}

/** ajv's "strict mode: unknown keyword: "x"", said as what happens. */
function strictWarning(message: string): string {
  const m = /^strict mode: unknown keyword: (.*)$/.exec(message);
  return m ? `unknown keyword ${m[1]} ignored (a typo?)` : message;
}

/** What is wrong with a schema ajv would not compile. */
function compileProblem(error: unknown, schema: unknown, draft: string): string {
  if (error instanceof MissingRefError) {
    const root =
      typeof schema === 'object' && schema !== null && typeof (schema as { $id?: unknown }).$id === 'string'
        ? (schema as { $id: string }).$id.replace(/#.*$/, '')
        : '';
    const target = error.missingSchema;
    if (target !== '' && target !== root) {
      return `$ref ${quoteName(error.missingRef)} points outside the schema file, which --schema does not follow (a collect step has no network): copy the definition under "$defs" and refer to it as "#/$defs/NAME"`;
    }
    return `$ref ${quoteName(error.missingRef)} does not resolve to anything in the schema`;
  }
  if (error instanceof RangeError)
    return 'a $ref loops (its definitions refer to each other without end), or the schema nests too deeply: ajv ran out of stack compiling it';
  const message = error instanceof Error ? error.message : String(error);
  if (/^unknown format /.test(message))
    return `${message.replace(/ ignored in schema/, ' in schema')}; the formats known are those of ajv-formats (date, date-time, email, uri, uuid, ...)`;
  return `not a usable JSON Schema (draft ${draft}): ${message}`;
}
