/**
 * Typed errors and the single mapping from errors to exit codes.
 *
 * Exit codes are part of the contract with Argo's `retryStrategy`: 1 means a retry may help
 * (I/O, internal), 3 means the data is bad and 4 that input files are missing or unexpected: a
 * retry of the collect step will not help with either. 64 and 65 are never used
 * because Argo's executor reserves them.
 */

import { quoteName } from './quote.js';

export const ExitCode = {
  ok: 0,
  /** I/O failure or internal error: a retry may help. */
  io: 1,
  /** Bad command line. */
  usage: 2,
  /** Invalid input data: a retry will not help. */
  invalidInput: 3,
  /** Incomplete input: the files found are not the ones `--expect`/`--expect-names` promised. */
  incomplete: 4,
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base for errors meant for users: the message is presentable, no stack is printed. */
export class AggregateError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

export class UsageError extends AggregateError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** Where in a fragment a problem is: 1-based line and column (bytes), 0-based byte offset. */
export interface Position {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** `line:column (byte offset N)`, as every message and report writes a position. */
export function formatPosition(position: Position): string {
  return `${position.line}:${position.column} (byte offset ${position.offset})`;
}

/**
 * What made a fragment invalid, as stats and manifests report it: `syntax` (not JSON, or not an
 * array under --flatten), `schema` (a value breaks --schema, or is too large to check against it),
 * `key` (--key-by path cannot key it).
 */
export type InvalidKind = 'syntax' | 'schema' | 'key';

/** Where a value breaks --schema: its index in the fragment, and for a failed keyword, where. */
export interface SchemaDetail {
  /** 0-based index of the value among those the fragment holds (with --flatten: array elements). */
  readonly value: number;
  /** JSON Pointer to the failing part of the value ('' = the value itself); absent for a value too large to check. */
  readonly pointer?: string;
  /** The schema keyword that failed, and where it is in the schema (`#/...`). */
  readonly keyword?: string;
  readonly schemaPath?: string;
}

export class InvalidInputError extends AggregateError {
  readonly file: string | Buffer;
  readonly position: Position | undefined;
  readonly reason: string;
  constructor(
    file: string | Buffer,
    reason: string,
    position?: Position,
    readonly kind: InvalidKind = 'syntax',
    readonly detail?: SchemaDetail,
  ) {
    super(`invalid input: ${quoteName(file)}${position ? ` at ${formatPosition(position)}` : ''}: ${reason}`, ExitCode.invalidInput);
    this.file = file;
    this.reason = reason;
    this.position = position;
  }
}

/** The input is not the set of files the run was told to expect (`--expect`, `--expect-names`). */
export class IncompleteInputError extends AggregateError {
  constructor(
    message: string,
    /** What was expected and found, for the stats of a failed run. */
    readonly report: unknown,
  ) {
    super(message, ExitCode.incomplete);
  }
}

/** More fragments were invalid than `--max-invalid` allows under `--on-invalid skip`. */
export class TooManyInvalidError extends AggregateError {
  constructor(message: string) {
    super(message, ExitCode.invalidInput);
  }
}

/** Longest list a message or `--stats` holds; the rest is counted ("and N more", skippedCount). */
export const LIST_CAP = 20;

/**
 * `--on-invalid fail` found invalid fragments: the whole input was still validated, so this
 * lists every one (up to LIST_CAP, then a count), and says how to go on.
 */
export class InvalidFilesError extends AggregateError {
  constructor(
    readonly listed: readonly InvalidInputError[],
    readonly count: number,
  ) {
    const advice = `fix the program that writes ${count === 1 ? 'this fragment' : 'these fragments'}, or pass --on-invalid skip to leave invalid fragments out (they are then listed in --stats and --manifest)`;
    const message =
      count === 1
        ? `${listed[0]!.message}\nnothing written; ${advice}`
        : `invalid input: ${count} invalid fragments, nothing written:\n${listed.map((e) => `  ${e.message.replace(/^invalid input: /, '')}`).join('\n')}${count > listed.length ? `\n  and ${count - listed.length} more` : ''}\n${advice}`;
    super(message, ExitCode.invalidInput);
  }
}

export class IoError extends AggregateError {
  readonly path: string;
  readonly code: string | undefined;
  constructor(action: string, path: string, cause: unknown, hint?: string) {
    const code = errnoCode(cause);
    const detail = describeErrno(cause);
    super(`cannot ${action} ${quoteName(path)}: ${detail}${hint ? ` (${hint})` : ''}`, ExitCode.io, { cause });
    this.path = path;
    this.code = code;
  }
}

/**
 * A remote store (S3) refused or failed a request. `retryable`: a retry may help (throttling,
 * a reset connection, an object that changed after listing: exit 1); otherwise the command line
 * or the credentials it runs with are wrong (no such bucket, access denied: exit 2).
 */
export class RemoteError extends AggregateError {
  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, retryable ? ExitCode.io : ExitCode.usage, options);
  }
}

/** Raised when SIGINT/SIGTERM stops a run; carries 130 or 143. */
export class InterruptedError extends AggregateError {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`, signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
    this.signal = signal;
  }
}

export function errnoCode(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

const errnoText: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ELOOP: 'too many levels of symbolic links',
  EPIPE: 'broken pipe',
  EBADF: 'bad file descriptor',
  EBUSY: 'device or resource busy',
  ENAMETOOLONG: 'file name too long',
  EXDEV: 'cross-device link',
};

function describeErrno(error: unknown): string {
  const code = errnoCode(error);
  if (code) return `${errnoText[code] ?? 'system error'} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/** The one place that turns any thrown value into an exit code. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof AggregateError) return error.exitCode;
  return ExitCode.io;
}

/** Message for stderr: presentable for our errors, with stack for anything else (a bug). */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError) return error.message;
  if (error instanceof Error) return `internal error: ${error.stack ?? error.message}`;
  return `internal error: ${String(error)}`;
}
