#!/usr/bin/env node
/**
 * The command line: yargs -> Options, one call into the library, one exit point.
 * This is the only module that touches process.* (argv, exit code, signals, stderr).
 */
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import yargs, { type Options as Flag } from 'yargs';
import { aggregate } from './index.js';
import { ExitCode, InterruptedError, UsageError, exitCodeOf, messageOf } from './errors.js';
import { typedUnknownFlags, unknownFlagsMessage, type KnownFlag } from './did-you-mean.js';
import { JSON_FORMATS, KEY_BY, MODES, ON_INVALID, SORT_ORDERS, requestedConcurrency, type Options, type Progress } from './options.js';
import { quoteName, quoteValue } from './quote.js';
import { removePendingTempFiles } from './sink.js';
import type { Stats } from './run.js';

const NAME = 'aggregate';

/** Set by the bundler; the unbundled build reads package.json. */
declare const __AGGREGATE_VERSION__: string | undefined;

function version(): string {
  if (typeof __AGGREGATE_VERSION__ === 'string') return __AGGREGATE_VERSION__;
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const EPILOG = `Exit codes:
  0    success
  1    I/O or internal failure (a retry may help)
  2    usage error (bad flag, missing or non-directory input; s3://: no such bucket,
       access denied, credentials rejected)
  3    invalid input data, e.g. a malformed JSON fragment, or more than --max-invalid
       (a retry will not help)
  4    incomplete input: fewer or other files than --expect/--expect-names promised
       (nothing written; a retry will not help)
  130  interrupted by SIGINT, 143 terminated by SIGTERM (output target left untouched)

Examples:
  aggregate /mnt                                  JSON fragments -> one array on stdout
  aggregate --mode json /mnt -o /tmp/all.json     written atomically
  aggregate /mnt --format ndjson --on-invalid skip --stats /tmp/stats.json
  aggregate --mode tar /mnt -o /tmp/out.tar.gz    binaries -> reproducible archive
  aggregate /mnt --shard 0/4 -o part-0.json       tree reduce: shard 0 of 4 (0-based)
  aggregate /mnt --expect 100 -o all.json.gz      exit 4 unless exactly 100 fragments; gzipped
  aggregate /mnt --key-by path -o by-part.json    {"part-0": ..., "part-1": ...}
  aggregate s3://bucket/run-1/fragments/ -o /tmp/out/all.json   straight from S3

Refused (exit 2): --key-by with --format ndjson, --flatten or --mode tar|zip; --expect with
--expect-names; --max-missing without one of them; --max-invalid without --on-invalid skip;
--gzip with --mode zip; --schema with --mode tar|zip; an -o name that says another format
than the mode writes (-o x.tar.gz in json mode: add --mode tar); archive or gzip bytes to a
terminal. Numbers are plain decimal digits (no sign, exponent, 0x or leading zero). A misspelt
flag: the nearest one is suggested.`;

/**
 * Every flag but the booleans; each takes exactly one value per occurrence (see parser), always
 * as the text typed: numbers too (--concurrency, --level), which options.ts parses strictly.
 */
const VALUE_FLAGS: Record<string, Flag> = {
  mode: { alias: 'm', choices: MODES, describe: 'json: merge JSON values into one array; tar/zip: archive the files [default: json]' },
  output: { alias: 'o', type: 'string', describe: 'Output file, written atomically; - or absent: stdout' },
  pattern: { alias: 'p', type: 'string', describe: 'Glob relative to <dir>, repeatable [default: **/*.json in json mode, **/* in tar/zip]' },
  ignore: { type: 'string', describe: 'Glob relative to <dir> to leave out, repeatable' },
  sort: { choices: SORT_ORDERS, default: 'natural', describe: 'Input order: natural (part-2 before part-10), name (bytes), mtime, none' },
  'on-invalid': { choices: ON_INVALID, default: 'fail', describe: 'fail: exit 3, no output; skip: leave the fragment out and report it' },
  format: { choices: JSON_FORMATS, describe: 'JSON output: one array, or one value per line [default: array]' },
  stats: { type: 'string', describe: 'Write a JSON summary to this file (failed runs too)' },
  manifest: { type: 'string', describe: 'Write a JSON list of entries (path, size, sha256) and skipped files' },
  concurrency: { describe: 'Files read ahead (and directories listed at once) when opens are slow (network volumes) [default: 32]' },
  shard: { type: 'string', describe: 'Only shard i of N of the sorted files, as i/N with 0 <= i < N' },
  'key-by': { choices: KEY_BY, describe: "One JSON object keyed by each fragment's path without its extension (exactly one value per fragment)" },
  schema: {
    type: 'string',
    describe:
      'JSON Schema file (draft 2020-12, or draft-07 by its $schema) every value must match; a value that does not makes its fragment invalid (json mode)',
  },
  expect: { type: 'string', describe: 'Number of files that must match (whole set, before --shard); otherwise exit 4, nothing written' },
  'expect-names': {
    type: 'string',
    describe: 'File of the relative paths that must match (JSON array, a --manifest as is, or one per line; - = stdin); otherwise exit 4',
  },
  'max-missing': { type: 'string', describe: 'With --expect(-names): tolerate N missing files, or P% of the expected count' },
  'max-invalid': { type: 'string', describe: 'With --on-invalid skip: tolerate N invalid fragments, or P% of the files read; past it exit 3' },
  level: { describe: 'Compression level 0-9 (--gzip in json and tar, zip) [default: 6]' },
  endpoint: {
    type: 'string',
    describe: 's3:// input: URL of an S3-compatible store (MinIO, Ceph); path-style [default: $AWS_ENDPOINT_URL_S3, else $AWS_ENDPOINT_URL]',
  },
  timeout: {
    type: 'string',
    describe: 's3:// input: seconds a request may go without progress (connect, answer, next bytes) before it is retried [default: 30]',
  },
};

const BOOLEAN_FLAGS: Record<string, Flag> = {
  flatten: { type: 'boolean', describe: 'Splice the elements of array fragments (tree reduce); a non-array is invalid' },
  gzip: { alias: 'z', type: 'boolean', describe: 'gzip the output (json, tar) [default: when -o ends in .gz or .tgz]' },
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'No summary or progress on stderr (warnings still print)' },
};

const shorts = (flags: Record<string, Flag>) =>
  Object.entries(flags)
    .filter(([, f]) => typeof f.alias === 'string')
    .map(([name, f]) => [f.alias as string, name] as const);
const SHORT_VALUE_FLAGS = new Map(shorts(VALUE_FLAGS));
const SHORT_BOOLEANS = new Set([...shorts(BOOLEAN_FLAGS).map(([letter]) => letter), 'h', 'V']);

/** Every flag yargs knows, for suggestions when one is misspelt. */
const KNOWN_FLAGS: readonly KnownFlag[] = [
  ...Object.entries(VALUE_FLAGS).map(([name, f]) => ({ name, short: f.alias as string | undefined })),
  ...Object.entries(BOOLEAN_FLAGS).map(([name, f]) => ({ name, short: f.alias as string | undefined, boolean: true })),
  { name: 'help', short: 'h' },
  { name: 'version', short: 'V' },
];

/**
 * yargs negates any flag (`--no-output` sets output to false): for a flag that takes a value
 * that is never meant, so it is refused before yargs turns it into a value.
 */
function checkNegations(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    // yargs reads `---output x` as --output: a typo that would pass unseen.
    if (arg.startsWith('---')) throw new UsageError(unknownFlagsMessage([quoteName(arg.split('=')[0]!)], KNOWN_FLAGS, `${NAME} --help`));
    const m = /^--no-([^=]+)/.exec(arg);
    const name = m && Object.keys(VALUE_FLAGS).find((n) => n === m[1] || VALUE_FLAGS[n]!.alias === m[1]);
    if (name) throw new UsageError(`${arg.split('=')[0]} is not an option: --${name} takes a value; leave it out for the default`);
  }
}

/**
 * yargs reads `--gzip=yes`, `--quiet=1` and `-q=1` as false, and `--no-gzip=1` as an unknown
 * flag: an on/off flag takes no value, except the exact `=true`/`=false` a template may write.
 */
function checkBooleanValues(argv: readonly string[]): void {
  const names = new Map<string, string>([
    ...Object.entries(BOOLEAN_FLAGS).flatMap(
      ([name, f]) =>
        [
          [name, name],
          [f.alias as string, name],
        ] as [string, string][],
    ),
    ['help', 'help'],
    ['h', 'help'],
    ['version', 'version'],
    ['V', 'version'],
  ]);
  for (const arg of argv) {
    if (arg === '--') return;
    const long = /^--(no-)?([^=]+)=/s.exec(arg);
    const name = long
      ? names.get(long[2]!)
      : /^-[A-Za-z]+=/.test(arg) && [...arg.slice(1, arg.indexOf('='))].every((l) => SHORT_BOOLEANS.has(l))
        ? names.get(arg[arg.indexOf('=') - 1]!)
        : undefined;
    if (name === undefined) continue;
    const value = arg.slice(arg.indexOf('=') + 1);
    if (long && !long[1] && (value === 'true' || value === 'false')) continue;
    const off = name === 'help' || name === 'version' ? '' : ` or --no-${name}`;
    throw new UsageError(`${quoteName(arg)}: --${name} takes no value: write --${name}${off}`);
  }
}

/**
 * Node decodes the command line as UTF-8 and puts U+FFFD for bytes that are not: `aggregate
 * $'\xff'` would read the directory named U+FFFD, `-o $'\xff.json'` write another file. The
 * bytes as typed are in /proc/self/cmdline; an argument that is not UTF-8 is refused, by flag.
 */
function checkUtf8Arguments(argv: readonly string[]): void {
  let raw: Buffer[];
  try {
    const parts = fs.readFileSync('/proc/self/cmdline');
    raw = [];
    for (let start = 0; start < parts.length;) {
      const end = parts.indexOf(0, start);
      raw.push(parts.subarray(start, end < 0 ? parts.length : end));
      start = end < 0 ? parts.length : end + 1;
    }
  } catch {
    return; // no /proc: nothing to compare with
  }
  const typed = raw.slice(raw.length - argv.length);
  // Only when the tail of the command line is these arguments (node's own flags come before).
  if (typed.length !== argv.length || typed.some((b, i) => b.toString('utf8') !== argv[i])) return;
  const afterDashes = argv.indexOf('--');
  for (let i = 0; i < argv.length; i++) {
    if (isUtf8(typed[i]!)) continue;
    const arg = argv[i]!;
    const asFlag = afterDashes < 0 || i < afterDashes ? flagTaking(arg) : undefined;
    const previous = i > 0 && (afterDashes < 0 || i <= afterDashes) ? flagTaking(argv[i - 1]!) : undefined;
    // The value alone: after `--flag=` or `-o` in the same argument, else the whole argument.
    const value = asFlag?.inline !== undefined ? typed[i]!.subarray(Buffer.byteLength(arg.slice(0, asFlag.inline))) : typed[i]!;
    const what =
      asFlag?.inline !== undefined
        ? `the value of ${asFlag.flag}`
        : previous && previous.inline === undefined
          ? `the value of ${previous.flag}`
          : /^-/.test(arg) && asFlag === undefined && (afterDashes < 0 || i < afterDashes)
            ? 'the argument'
            : 'the input directory';
    throw new UsageError(
      `${what} ${quoteName(value)} is not valid UTF-8, and node reads such bytes as U+FFFD (another name): ` +
        'give a UTF-8 name for it (a symbolic link: ln -s), or in a --pattern/--ignore glob a wildcard (?) for those bytes',
    );
  }
}

/**
 * The flag `arg` is, when it takes a value: `inline` is where its value starts in `arg` itself
 * (`--output=x`, `-ox`, `-qox`), undefined when the value is the next argument.
 */
function flagTaking(arg: string): { flag: string; inline: number | undefined } | undefined {
  const long = /^--([^=]+)(=?)/.exec(arg);
  if (long) {
    const name = Object.keys(VALUE_FLAGS).find((n) => n === long[1] || VALUE_FLAGS[n]!.alias === long[1]);
    return name === undefined && long[2] === '' ? undefined : { flag: `--${long[1]}`, inline: long[2] ? long[0].length : undefined };
  }
  const short = /^-([A-Za-z]+)/.exec(arg);
  const at = short ? [...short[1]!].findIndex((letter) => SHORT_VALUE_FLAGS.has(letter)) : -1;
  if (at < 0) return undefined;
  const start = 2 + at + (arg[2 + at] === '=' ? 1 : 0);
  return { flag: `-${arg[1 + at]}`, inline: start < arg.length ? start : undefined };
}

/**
 * A short flag's value written in the same argument, as getopt reads it (`-ofile.json`,
 * `-p*.json`, `-qzo-x`): yargs would take each letter for a flag. Rewritten to `--long=value`,
 * the on/off letters before it kept.
 */
function attachedValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return out.concat(argv.slice(i));
    const m = /^-([A-Za-z]+)/.exec(arg);
    const at = m ? [...m[1]!].findIndex((letter) => SHORT_VALUE_FLAGS.has(letter)) : -1;
    const rest = at < 0 ? '' : arg.slice(2 + at);
    if (at < 0 || rest === '' || rest.startsWith('=') || ![...arg.slice(1, 1 + at)].every((l) => SHORT_BOOLEANS.has(l))) {
      out.push(arg);
      continue;
    }
    if (at > 0) out.push(arg.slice(0, 1 + at));
    out.push(`--${SHORT_VALUE_FLAGS.get(arg[1 + at]!)}=${rest}`);
  }
  return out;
}

/**
 * yargs takes a last positional `help` as a request for help (it printed the help, then the run
 * failed for want of a <dir>), so `aggregate help` could not read the directory `help`. It sees
 * each argument `help` as this instead, which `unmask` turns back into `help` in what it returns.
 * A NUL byte cannot come from exec(): the mask is never a real argument.
 */
const HELP_MASK = '\0help';
const unmask = (value: string): string => value.replaceAll(HELP_MASK, 'help');

function parser(argv: readonly string[]) {
  const y = yargs(attachedValues(argv).map((arg) => (arg === 'help' ? HELP_MASK : arg)))
    // Every value and <dir> reach the program as typed: `1.0`, `0x10` and `1e3` are names, not
    // numbers (yargs would read the directory `1.0` as 1). Numbers are parsed in options.ts.
    // No dot notation either: `--pattern.x y` would make the pattern an object.
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false, 'dot-notation': false })
    .scriptName(NAME)
    .usage(
      `$0 [--mode json|tar|zip] <dir> [options]\n\nMerge the fragment files under <dir> into one JSON array or one archive.\n<dir> may be s3://bucket/prefix/: the objects under the prefix, read straight from S3.`,
    );
  // One value per occurrence (nargs 1, never a greedy array), for every value flag in one place:
  // `--ignore x.json <dir>` leaves <dir> positional; the next argument is the value even when it
  // is `-` (`--output -`, `--expect-names -`, `-o -`) or looks like a negative number
  // (`--shard -1/2`, `--expect -1`: then options.ts names the flag and the accepted form).
  for (const [name, flag] of Object.entries(VALUE_FLAGS)) y.option(name, { ...flag, nargs: 1 });
  for (const [name, flag] of Object.entries(BOOLEAN_FLAGS)) y.option(name, flag);
  return y
    .epilog(EPILOG)
    .version(version())
    .alias('version', 'V')
    .help()
    .alias('help', 'h')
    .strictOptions()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .showHelpOnFail(false)
    .fail((msg: string | undefined, err: Error | undefined) => {
      // yargs puts line breaks in some messages ("Invalid values:\n  Argument: ..."): one line.
      if (err instanceof UsageError) throw err;
      const unknown = /^Unknown arguments?: (.*)$/.exec(msg ?? '');
      if (unknown) {
        const names = unknown[1]!.split(', ');
        const typed = typedUnknownFlags(argv, new Set(names));
        // A name not found as typed (`--=x`): as yargs read it.
        const shown = typed.length > 0 ? typed : names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
        throw new UsageError(unknownFlagsMessage(shown, KNOWN_FLAGS, `${NAME} --help`));
      }
      throw new UsageError(reword(unmask(msg ?? err?.message ?? 'invalid arguments').replace(/:?\s*\n\s*/g, ': ')));
    });
}

/**
 * yargs's "Not enough arguments following: o" says neither the flag as typed nor the way out;
 * its "Invalid values: Argument: key-by, Given: -1, Choices: ..." is said as options.ts says it.
 */
function reword(message: string): string {
  const choice = /^Invalid values: Argument: (\S+), Given: (".*"|.*?), Choices: (.*)$/.exec(message);
  if (choice) {
    // yargs shows a string value JSON-quoted: read it back, then quote it as every value is.
    const given = unmask(choice[2]!.startsWith('"') ? (JSON.parse(choice[2]!) as string) : choice[2]!);
    return `invalid --${choice[1]} ${quoteValue(given)}: expected one of ${choice[3]!.replace(/"/g, '')}`;
  }
  const m = /^Not enough arguments following: (\S+)$/.exec(message);
  if (!m) return message;
  const long = Object.keys(VALUE_FLAGS).find((name) => VALUE_FLAGS[name]!.alias === m[1]) ?? m[1]!;
  const flag = m[1]!.length === 1 ? `-${m[1]}` : `--${m[1]}`;
  return `${flag} needs a value (for a value that starts with '-', write --${long}=VALUE)`;
}

function all(value: unknown): string[] | undefined {
  return value === undefined ? undefined : ([] as unknown[]).concat(value).map(String);
}

/**
 * The value of a flag given once. Given again with the same value it is the same run; with
 * another (`--expect 1 --expect 2`, a template and a default both setting it) one of them is a
 * mistake, and taking the last would hide it (an --expect-names file never read).
 */
function one<T>(flag: string, value: T | T[] | undefined): T | undefined {
  if (!Array.isArray(value)) return value;
  const distinct = [...new Set(value)];
  if (distinct.length > 1) {
    throw new UsageError(`--${flag} given ${value.length} times with different values (${distinct.map((v) => quoteName(String(v))).join(', ')}): give it once`);
  }
  return distinct[0];
}

/** The parsed flags as Options: every value the text typed; options.ts checks and resolves them. */
function toOptions(args: Record<string, unknown>, signal: AbortSignal, quiet: boolean): Options {
  const positional = (args._ as unknown[]).map(String);
  if (positional.length === 0) throw new UsageError('missing input directory: aggregate [--mode json] <dir> [options]');
  if (positional.length > 1) {
    throw new UsageError(
      `expected one input directory, got ${positional.length}: ${positional.map(quoteName).join(' ')}; ` +
        `quote a --pattern or --ignore glob ('*.json') so that the shell does not expand it, and give each glob its own flag`,
    );
  }
  return {
    dir: positional[0]!,
    mode: one('mode', args.mode as Options['mode']),
    output: one('output', args.output as string | undefined),
    patterns: all(args.pattern),
    ignore: all(args.ignore),
    sort: one('sort', args.sort as Options['sort']),
    onInvalid: one('on-invalid', args['on-invalid'] as Options['onInvalid']),
    format: one('format', args.format as Options['format']),
    flatten: one('flatten', args.flatten as boolean | undefined),
    stats: one('stats', args.stats as string | undefined),
    manifest: one('manifest', args.manifest as string | undefined),
    concurrency: one('concurrency', args.concurrency as string | undefined),
    shard: one('shard', args.shard as string | undefined),
    keyBy: one('key-by', args['key-by'] as Options['keyBy']),
    schema: one('schema', args.schema as string | undefined),
    expect: one('expect', args.expect as string | undefined),
    expectNames: one('expect-names', args['expect-names'] as string | undefined),
    maxMissing: one('max-missing', args['max-missing'] as string | undefined),
    maxInvalid: one('max-invalid', args['max-invalid'] as string | undefined),
    gzip: one('gzip', args.gzip as boolean | undefined),
    level: one('level', args.level as string | undefined),
    endpoint: one('endpoint', args.endpoint as string | undefined),
    timeout: one('timeout', args.timeout as string | undefined),
    signal,
    onWarning: (message) => process.stderr.write(`${NAME}: ${message}\n`),
    onProgress: quiet ? undefined : progressLine(),
  } satisfies Options;
}

/** A progress line on a TTY, shown only for runs longer than about a second. */
function progressLine(): ((p: Progress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  const start = Date.now();
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - start < 1000 || now - last < 250) return;
    last = now;
    process.stderr.write(`\r${NAME}: ${p.files}/${p.totalFiles} files, ${formatBytes(p.bytesIn)} read\x1b[K`);
  };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function summary(s: Stats): string {
  const parts = [`${s.files} files`];
  if (s.values !== null) parts.push(`${s.values} values`);
  parts.push(`${formatBytes(s.bytesIn)} in`, `${formatBytes(s.bytesOut)} out`);
  if (s.skippedCount > 0) parts.push(`${s.skippedCount} skipped`);
  parts.push(`${(s.elapsedMs / 1000).toFixed(2)} s`);
  return `${NAME}: ${parts.join(', ')} -> ${s.output === null ? 'stdout' : quoteName(s.output)}`;
}

/** The parsed arguments with every masked `help` (see HELP_MASK) turned back into `help`. */
function unmaskArgs(args: Record<string, unknown>): Record<string, unknown> {
  const back = (v: unknown): unknown => (typeof v === 'string' ? unmask(v) : Array.isArray(v) ? v.map(back) : v);
  return Object.fromEntries(Object.entries(args).map(([key, value]) => [key, back(value)]));
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    // First signal: stop at the next checkpoint and clean up. Second: leave at once.
    if (++signals > 1) {
      removePendingTempFiles();
      process.exit(signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
    }
    controller.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let progressShown = false;
  try {
    checkUtf8Arguments(argv);
    checkNegations(argv);
    checkBooleanValues(argv);
    const args = unmaskArgs(await parser(argv).parseAsync());
    if (args.help || args.version) return ExitCode.ok;
    const quiet = args.quiet === true;
    const options = toOptions(args, controller.signal, quiet);
    // Concurrent reads run on libuv's thread pool: size it before its first use. (Node 20's ES
    // module loader starts it while loading an ES module entry: hence the bin is CommonJS.)
    process.env.UV_THREADPOOL_SIZE ??= String(Math.min(Math.max(requestedConcurrency(options), 4), 128));
    const onProgress = options.onProgress;
    const stats = await aggregate({
      ...options,
      onProgress:
        onProgress &&
        ((p) => {
          progressShown = true;
          onProgress(p);
        }),
    });
    if (progressShown) process.stderr.write('\r\x1b[K');
    if (!quiet) process.stderr.write(summary(stats) + '\n');
    return ExitCode.ok;
  } catch (error) {
    if (progressShown) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${NAME}: ${messageOf(error)}\n`);
    return exitCodeOf(error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Interrupted: leave now, not when a write a stopped reader will never take has drained.
    if (code === ExitCode.sigint || code === ExitCode.sigterm) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`${NAME}: ${messageOf(error)}\n`);
    process.exitCode = ExitCode.io;
  },
);
