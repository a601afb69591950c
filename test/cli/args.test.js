// The command line as typed: every name reaches the program as the exact argument (no number
// coercion), numeric flags parsed strictly, misspelt flags answered with the nearest one, output
// names that say another format than the run writes, and archive bytes never sent to a terminal.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, run, tempTrees } from '../helpers/cli.js';

const mk = tempTrees('agg-args-');

/** Names a number parser would change: each a directory holding a fragment that is its own name. */
const NUMBER_LIKE = [
  '1.0',
  '1',
  '0x10',
  '16',
  '1e3',
  '1000',
  '2.50',
  '2.5',
  '.5',
  '0.5',
  '1.',
  '-0',
  '0',
  '+1',
  '007',
  '7',
  '1_000',
  'Infinity',
  'NaN',
  '0b1',
  '0o7',
  '1e400',
  '-1',
  '99999999999999999999999',
  '123456789.123456789123',
];

function numberLikeTree() {
  const files = {};
  for (const name of NUMBER_LIKE) files[`${name}/a.json`] = JSON.stringify(name);
  return mk(files);
}

async function ok(args, options) {
  const r = await run(args, options);
  assert.equal(r.code, 0, `aggregate ${args.join(' ')}: ${r.stderr}`);
  return r;
}

/** Exit 2, nothing on stdout, one line on stderr matching `pattern`. */
async function usage(args, pattern, options) {
  const r = await run(args, options);
  assert.equal(r.code, 2, `aggregate ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  assert.equal(r.stdout.length, 0, `aggregate ${args.join(' ')} wrote to stdout`);
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.match(r.stderr.replace(/\n$/, ''), pattern, `aggregate ${args.join(' ')}`);
  return r;
}

describe('<dir> and every value reach the program as typed', () => {
  test('a number-like <dir> reads that directory, also after --', async () => {
    const d = numberLikeTree();
    const runs = await Promise.all(
      NUMBER_LIKE.flatMap((name) => [
        run(['-q', name], { cwd: d }).then((r) => ({ name, r, how: name })),
        run(['-q', '--', name], { cwd: d }).then((r) => ({ name, r, how: `-- ${name}` })),
      ]),
    );
    for (const { name, r, how } of runs) {
      assert.equal(r.code, 0, `aggregate ${how}: ${r.stderr}`);
      assert.equal(r.stdout.toString(), `[${JSON.stringify(name)}]\n`, `aggregate ${how}`);
    }
  });

  test('a <dir> named help is read, not taken for a request for help (yargs pops a last `help`), and so is a value help', async () => {
    const d = mk({ 'help/a.json': '"a"', 'help/help.json': '"h"', 'x/help.json': '1' });
    for (const args of [['help'], ['--', 'help'], ['help', '-q'], ['-q', '--', 'help'], ['help', '--sort', 'name']]) {
      const r = await ok(args, { cwd: d });
      assert.equal(r.stdout.toString(), '["a","h"]\n', `aggregate ${args.join(' ')}`);
    }
    await ok(['-q', 'x', '-p', 'help.json', '-o', 'out/help'], { cwd: d });
    assert.equal(fs.readFileSync(path.join(d, 'out', 'help'), 'utf8'), '[1]\n');
    await usage(['x', '--mode', 'help'], /^aggregate: invalid --mode 'help': expected one of json, tar, zip$/, { cwd: d });
    await usage(['help', 'help'], /^aggregate: expected one input directory, got 2: help help; /, { cwd: d });
    const help = await ok(['--help'], { cwd: d });
    assert.match(help.stdout.toString(), /^aggregate \[--mode json\|tar\|zip\] <dir> \[options\]/);
  });

  test('a number-like <dir> that does not exist is named as typed', async () => {
    const d = mk({ '1/a.json': '1', '16/a.json': '16' });
    for (const name of ['1.0', '0x10', '1e0']) {
      await usage(['-q', name], new RegExp(`${path.join(d, name).replace(/\./g, '\\.')} does not exist`), { cwd: d });
    }
  });

  test('--pattern, -p, --ignore (repeated), --flag=value: globs as typed', async () => {
    const d = numberLikeTree();
    let r = await ok(['-q', '.', '-p', '1.0/*.json', '--pattern', '0x10/*.json', '--pattern=1e3/*.json', '-p=2.50/*.json'], { cwd: d });
    assert.deepEqual(JSON.parse(r.stdout), ['0x10', '1.0', '1e3', '2.50']);
    r = await ok(['-q', '.', '--ignore', '1.0/**', '--ignore=0x10/**', '--ignore', '1e3/**', '--ignore', '1/**', '-p', '{1,1.0,0x10,1e3,1000,16}/a.json'], {
      cwd: d,
    });
    assert.deepEqual(JSON.parse(r.stdout), ['16', '1000']);
  });

  test('-o, --output=, --stats, --manifest and --expect-names: files named as typed', async () => {
    const d = numberLikeTree();
    const out = mk();
    const list = path.join(out, '2.50');
    fs.writeFileSync(list, '1.0/a.json\n');
    await ok(['-q', '1.0', '-o', path.join(out, '1e3'), '--stats', path.join(out, '0x10'), '--manifest', path.join(out, '1.0')], { cwd: d });
    assert.deepEqual(fs.readdirSync(out).sort(), ['0x10', '1.0', '1e3', '2.50']);
    assert.equal(fs.readFileSync(path.join(out, '1e3'), 'utf8'), '["1.0"]\n');
    await ok(['-q', '.', '-p', '1.0/*', `--output=${path.join(out, '16.0')}`, '--expect-names', list], { cwd: d });
    assert.equal(fs.readFileSync(path.join(out, '16.0'), 'utf8'), '["1.0"]\n');
  });

  test('--endpoint and --shard are quoted as typed in their messages', async () => {
    const d = mk({ 'a.json': '1' });
    await usage(['s3://bucket/p/', '--endpoint', '1e3'], /1e3/);
    await usage([d, '--endpoint', '0x10'], /--endpoint applies to an s3:\/\/ input only/);
    await usage([d, '--shard', '0x1/2'], /invalid --shard '0x1\/2'/);
  });
});

describe('numeric flags: plain decimal digits only', () => {
  const bad = [
    ['--level', '0x5'],
    ['--level', '1e0'],
    ['--level', '05'],
    ['--level', '+1'],
    ['--level', '-0'],
    ['--level', '5.0'],
    ['--level', '0b1'],
    ['--level', ''],
    ['--level', '10'],
    ['--concurrency', '08'],
    ['--concurrency', '1e1'],
    ['--concurrency', '0x10'],
    ['--concurrency', '1_0'],
    ['--concurrency', 'Infinity'],
    ['--concurrency', 'NaN'],
    ['--concurrency', '4.0'],
    ['--concurrency', '99999999999999999999'],
    ['--expect', '010'],
    ['--expect', '1e0'],
    ['--expect', '0x1'],
    ['--shard', '01/2'],
    ['--shard', '0/02'],
    ['--shard', '0/1e1'],
  ];
  for (const [flag, value] of bad) {
    test(`${flag} '${value}' (and ${flag}=${value}): exit 2 naming the flag, the value and the form`, async () => {
      const d = mk({ 'a.json': '1' });
      const named = new RegExp(`^aggregate: invalid ${flag} '${value.replace(/[.+]/g, '\\$&')}': expected .*(decimal digits without a leading zero|e\\.g\\.)`);
      await usage([d, flag, value, '-z', '-o', path.join(d, 'out.json.gz')], named);
      await usage([d, `${flag}=${value}`, '-z', '-o', path.join(d, 'out.json.gz')], named);
    });
  }
  test('--max-missing and --max-invalid: a count or a percentage in plain decimal', async () => {
    const d = mk({ 'a.json': '1' });
    for (const v of ['01', '1e0', '0x1', '05%', '1e1%', '+1']) {
      await usage(
        [d, '--expect', '1', '--max-missing', v],
        new RegExp(
          `invalid --max-missing '${v.replace('+', '\\+')}': expected a count of files \\(e\\.g\\. 2\\) or a percentage from 0% to 100% \\(e\\.g\\. 5%\\), in plain decimal digits without a leading zero$`,
        ),
      );
      await usage([d, '--on-invalid', 'skip', '--max-invalid', v], new RegExp(`invalid --max-invalid '${v.replace('+', '\\+')}'`));
    }
    await ok([d, '-q', '--expect', '1', '--max-missing', '0.5%']);
    await ok([d, '-q', '--expect', '1', '--max-missing', '0']);
  });
  test('accepted: plain integers in range, surrounding spaces ignored', async () => {
    const d = mk({ 'a.json': '1', 'b.json': '2' });
    const out = mk();
    for (const args of [
      ['--level', '0'],
      ['--level', '9'],
      ['--level=1'],
      ['--concurrency', '1'],
      ['--concurrency', '1024'],
      ['--concurrency', ' 8 '],
      ['--expect', '2'],
      ['--expect', '2\n'],
      ['--shard', '0/1'],
      ['--shard', '1/2'],
    ]) {
      await ok([d, '-q', '-o', path.join(out, 'r.json.gz'), ...args]);
    }
  });
});

describe('--shard i/N messages say which shards exist', () => {
  const cases = [
    ['4/4', /^aggregate: invalid --shard '4\/4': need 0 <= i < N \(i is 0-based\): the 4 shards are 0\/4 to 3\/4$/m],
    ['5/4', /^aggregate: invalid --shard '5\/4': need 0 <= i < N \(i is 0-based\): the 4 shards are 0\/4 to 3\/4$/m],
    ['1/1', /^aggregate: invalid --shard '1\/1': need 0 <= i < N \(i is 0-based\): the 1 shard is 0\/1$/m],
    ['0/0', /^aggregate: invalid --shard '0\/0': need 0 <= i < N, and N is the number of shards, at least 1 \(0\/1 is the whole input\)$/m],
    [
      '-1/2',
      /^aggregate: invalid --shard '-1\/2': expected i\/N in plain decimal digits without a leading zero, e\.g\. 0\/4 for the first of 4 shards \(i is 0-based\)$/m,
    ],
    ['1/2/3', /^aggregate: invalid --shard '1\/2\/3': expected i\/N/m],
  ];
  for (const [value, pattern] of cases) {
    test(`--shard ${value}`, async () => {
      await usage([mk({ 'a.json': '1' }), '--shard', value], pattern);
    });
  }
});

describe('a misspelt flag: the nearest one, and --help', () => {
  const cases = [
    [['--ouput', 'x.json'], /^aggregate: unknown option --ouput: did you mean --output\? See aggregate --help for every option$/],
    [['--exepct', '3'], /^aggregate: unknown option --exepct: did you mean --expect\? See aggregate --help/],
    [['--on-invaild', 'skip'], /^aggregate: unknown option --on-invaild: did you mean --on-invalid\? /],
    [['-O', 'x.json'], /^aggregate: unknown option -O: did you mean -o \(--output\)\? /],
    [['-qO', 'x.json'], /^aggregate: unknown option -O: did you mean -o \(--output\)\? /],
    [['--OUTPUT', 'x.json'], /^aggregate: unknown option --OUTPUT: did you mean --output\? /],
    [['--ouput=x.json'], /^aggregate: unknown option --ouput: did you mean --output\? /],
    [['--no-gzipp'], /^aggregate: unknown option --no-gzipp: did you mean --no-gzip\? /],
    [['--expect-name', 'x'], /^aggregate: unknown option --expect-name: did you mean --expect-names\? /],
    [['--exp', '3'], /^aggregate: unknown option --exp: did you mean --expect or --expect-names\? /],
    [['--max_missing', '1'], /^aggregate: unknown option --max_missing: did you mean --max-missing\? /],
    [['--concurency', '3'], /^aggregate: unknown option --concurency: did you mean --concurrency\? /],
    [['--bogus'], /^aggregate: unknown option --bogus; see aggregate --help for every option$/],
    [['-x'], /^aggregate: unknown option -x; see aggregate --help for every option$/],
    [
      ['--ouput', 'x.json', '--exepct=3', '--bogus'],
      /^aggregate: unknown options --ouput \(did you mean --output\?\), --exepct \(did you mean --expect\?\) and --bogus; see aggregate --help for every option$/,
    ],
  ];
  for (const [args, pattern] of cases) {
    test(args.join(' '), async () => {
      const d = mk({ 'a.json': '1' });
      await usage([d, ...args], pattern, { cwd: d });
      // The flag after <dir> or before it: the same message.
      await usage([...args, d], pattern, { cwd: d });
    });
  }
  test('no dot notation: --pattern.x and --output.x are unknown, never an object', async () => {
    const d = mk({ 'a.json': '1' });
    await usage([d, '--pattern.x', 'y'], /^aggregate: unknown option --pattern\.x: did you mean --pattern\? /);
    await usage([d, '--output.x', 'y'], /^aggregate: unknown option --output\.x: did you mean --output\? /);
    await usage([d, '--=x'], /^aggregate: unknown option --=x; see aggregate --help for every option$/);
  });
  test('a short flag with its value attached, as getopt reads it: -ofile, -qzofile, -p1.0/*', async () => {
    const d = numberLikeTree();
    const out = mk();
    await ok(['1.0', `-o${path.join(out, '1e3')}`], { cwd: d });
    await ok(['1.0', `-qzo${path.join(out, 'z.json.gz')}`], { cwd: d });
    assert.deepEqual(fs.readdirSync(out).sort(), ['1e3', 'z.json.gz']);
    assert.equal(fs.readFileSync(path.join(out, '1e3'), 'utf8'), '["1.0"]\n');
    const r = await ok(['-q', '.', '-p1.0/a.json', '-p0x10/*'], { cwd: d });
    assert.equal(r.stdout.toString(), '["0x10","1.0"]\n');
    await usage(['-q', '.', '-mzip', '-o', path.join(out, 'x.tar')], /names a tar archive, but --mode zip writes a zip archive/, { cwd: d });
  });
  test('after --, a flag-like word is a name, not a flag', async () => {
    const d = mk({ '--ouput/a.json': '"x"' });
    const r = await ok(['-q', '--', '--ouput'], { cwd: d });
    assert.equal(r.stdout.toString(), '["x"]\n');
  });
  test('--no-FLAG for a flag that takes a value is refused (no silent "false")', async () => {
    const d = mk({ 'a.json': '1' });
    for (const [typed, flag] of [
      ['--no-output', 'output'],
      ['--no-o', 'output'],
      ['--no-pattern', 'pattern'],
      ['--no-level', 'level'],
      ['--no-shard', 'shard'],
      ['--no-stats', 'stats'],
    ]) {
      await usage([d, typed], new RegExp(`^aggregate: ${typed} is not an option: --${flag} takes a value; leave it out for the default$`));
    }
    await ok([d, '-q', '--no-gzip', '--no-flatten']);
  });
});

describe('on/off flags take no value; arguments that are not UTF-8 are refused', () => {
  test('--gzip=yes, --quiet=1, -q=1, -qz=x, --no-gzip=1, --flatten=x: exit 2 (yargs read them as false)', async () => {
    const d = mk({ 'a.json': '[1]' });
    for (const [arg, flag, off] of [
      ['--gzip=yes', 'gzip', true],
      ['--gzip=1', 'gzip', true],
      ['--gzip=TRUE', 'gzip', true],
      ['--gzip=', 'gzip', true],
      ['-z=true', 'gzip', true],
      ['--quiet=1', 'quiet', true],
      ['-q=1', 'quiet', true],
      ['-qz=x', 'gzip', true],
      ['--no-gzip=1', 'gzip', true],
      ['--no-gzip=false', 'gzip', true],
      ['--flatten=x', 'flatten', true],
      ['--z=1', 'gzip', true],
      ['--help=1', 'help', false],
    ]) {
      const shown = arg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      await usage([d, '-o', '/dev/null', arg], new RegExp(`^aggregate: ${shown}: --${flag} takes no value: write --${flag}${off ? ` or --no-${flag}` : ''}$`));
    }
    // The exact =true / =false a template writes keep working, and mean what they say.
    assert.equal((await ok([d, '-q', '--flatten=true'])).stdout.toString(), '[1]\n');
    assert.equal((await ok([d, '-q', '--flatten=false', '--gzip=false'])).stdout.toString(), '[[1]]\n');
    assert.equal((await ok([d, '-q', '--gzip=true'])).stdout[0], 0x1f);
    // After --, `--gzip=x` is the input directory.
    const e = mk({ '--gzip=x/a.json': '2' });
    assert.equal((await ok(['-q', '--', '--gzip=x'], { cwd: e })).stdout.toString(), '[2]\n');
  });

  test('a value flag given twice with different values is refused (the first never read); the same value twice is one', async () => {
    const d = mk({ 'a.json': '1', 'b.json': '2' });
    const list = path.join(mk({ 'l.txt': 'a.json\nb.json\n' }), 'l.txt');
    for (const [args, flag, values] of [
      [['--expect', '1', '--expect', '2'], 'expect', '1, 2'],
      [['--expect-names', 'missing.txt', '--expect-names', list], 'expect-names', `missing.txt, ${list}`],
      [['-m', 'json', '--mode=tar'], 'mode', 'json, tar'],
      [['-o', '/dev/null', '--output', '-'], 'output', '/dev/null, -'],
      [['--level', '1', '--level=9'], 'level', '1, 9'],
      [['--shard', '0/2', '--shard', '1/2'], 'shard', '0/2, 1/2'],
    ]) {
      await usage(
        [d, ...args],
        new RegExp(`^aggregate: --${flag} given 2 times with different values \\(${values.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): give it once$`),
      );
    }
    assert.equal((await ok([d, '-q', '--expect', '2', '--expect', '2', '-p', '*.json', '-p', 'a.json'])).stdout.toString(), '[1,2]\n');
  });
  test('---flag is an unknown option (yargs read ---output as --output); spaces inside i/N are refused', async () => {
    const d = mk({ 'a.json': '1' });
    const out = mk();
    await usage(
      [d, '---output', path.join(out, 'x.json')],
      /^aggregate: unknown option ---output: did you mean --output\? See aggregate --help for every option$/,
    );
    await usage([d, `---ouput=${path.join(out, 'x.json')}`], /^aggregate: unknown option ---ouput: did you mean --output\?/);
    assert.deepEqual(fs.readdirSync(out), []);
    for (const shard of ['0 /2', '0/ 2']) await usage([d, '--shard', shard], /^aggregate: invalid --shard '0\s?\/\s?2': expected i\/N/);
    // A control byte in a typed value is shown escaped, as names are, never raw on the terminal.
    await usage([d, '--shard', '0\t/2'], /^aggregate: invalid --shard \$'0\\t\/2': expected i\/N/);
    await usage([d, '--mode', 'x\x1b[2J'], /^aggregate: invalid --mode \$'x\\x1b\[2J': expected one of/);
    await usage([d, '--pattern', '../\x07*.json'], /^aggregate: pattern \$'\.\.\/\\x07\*\.json' points outside/);
    await usage(['s3://Bad\x1b/p/'], /^aggregate: invalid bucket name \$'Bad\\x1b'/);
    await ok([d, '-q', '--shard', ' 0/1\n']);
  });

  /** Run the CLI through bash, so that `args` may hold $'\xff' (node cannot pass such bytes). */
  function inBash(args, cwd) {
    const r = spawnSync('bash', ['-c', `exec "$0" "$1" ${args}`, process.execPath, BIN], { cwd, input: '' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
  }
  test('an argument that is not UTF-8 is refused by flag, quoted, never read as U+FFFD', () => {
    // The directories a lossy decoding would read: U+FFFD stands for the byte.
    const d = mk({ '\ufffd/a.json': '"lossy"', 'ok/a.json': '1', 'ok/\ufffd.json': '"lossy"' });
    fs.mkdirSync(path.join(d, 'x'));
    for (const [args, what] of [
      [`$'\\xff'`, `the input directory \\$'\\\\xff'`],
      [`-- $'\\xff'`, `the input directory \\$'\\\\xff'`],
      [`-q $'\\xff'`, `the input directory \\$'\\\\xff'`],
      [`ok -o $'\\xff.json'`, `the value of -o \\$'\\\\xff\\.json'`],
      [`ok -o$'\\xff.json'`, `the value of -o \\$'\\\\xff\\.json'`],
      [`ok -qo$'\\xff.json'`, `the value of -o \\$'\\\\xff\\.json'`],
      [`ok --output=x/$'\\xff'.json`, `the value of --output \\$'x/\\\\xff\\.json'`],
      [`ok --stats $'\\xfe'`, `the value of --stats \\$'\\\\xfe'`],
      [`ok --pattern $'*\\xff.json'`, `the value of --pattern \\$'\\*\\\\xff\\.json'`],
      [`ok --ignore=$'\\xff.json'`, `the value of --ignore \\$'\\\\xff\\.json'`],
      [`ok --expect-names $'\\xc0\\xaf'`, `the value of --expect-names \\$'\\\\xc0\\\\xaf'`],
    ]) {
      const r = inBash(args, d);
      assert.equal(r.code, 2, `${args}: ${r.stderr}`);
      assert.equal(r.stdout.length, 0, args);
      assert.match(
        r.stderr,
        new RegExp(
          `^aggregate: ${what} is not valid UTF-8, and node reads such bytes as U\\+FFFD \\(another name\\): give a UTF-8 name for it \\(a symbolic link: ln -s\\), or in a --pattern/--ignore glob a wildcard \\(\\?\\) for those bytes\n$`,
        ),
        args,
      );
    }
    assert.deepEqual(fs.readdirSync(path.join(d, 'x')), []);
    assert.ok(!fs.existsSync(path.join(d, '\ufffd.json')));
    // The way out the message gives: a wildcard matches the byte.
    const e = mk({ 'b.json': '2' });
    fs.writeFileSync(Buffer.from(`${e}/a\xff.json`, 'latin1'), '1');
    assert.equal(inBash(`. -q -p 'a?.json'`, e).stdout.toString(), '[1]\n');
  });
});

describe('an output name that says another format than the run writes', () => {
  const refused = [
    [
      [],
      'x.tar.gz',
      /names a gzipped tar archive, but json mode \(the default\) writes gzipped JSON: add --mode tar to archive the files, or name the output \S*x\.json\.gz$/,
    ],
    [[], 'x.tgz', /names a gzipped tar archive, but json mode \(the default\) writes gzipped JSON: add --mode tar .* \S*x\.json\.gz$/],
    [[], 'X.TAR', /names a tar archive, but json mode \(the default\) writes JSON: add --mode tar to archive the files, or name the output \S*X\.json$/],
    [[], 'x.zip', /names a zip archive, but json mode \(the default\) writes JSON: add --mode zip to archive the files, or name the output \S*x\.json$/],
    [['--mode', 'json'], 'x.Zip', /names a zip archive, but --mode json writes JSON: use --mode zip instead of --mode json/],
    [
      ['--mode', 'tar'],
      'x.zip',
      /names a zip archive, but --mode tar writes a tar archive: use --mode zip instead of --mode tar to archive the files, or name the output \S*x\.tar$/,
    ],
    [['--mode', 'zip'], 'x.tar', /names a tar archive, but --mode zip writes a zip archive: use --mode tar instead of --mode zip .* \S*x\.zip$/],
    [['--mode', 'zip'], 'x.tar.gz', /names a gzipped tar archive, but --mode zip writes a zip archive: use --mode tar/],
    [['--mode', 'zip'], 'x.TGZ', /names a gzipped tar archive, but --mode zip writes a zip archive/],
    [
      ['--mode', 'tar'],
      'x.json',
      /names JSON, but --mode tar writes a tar archive: use --mode json instead of --mode tar to merge JSON fragments, or name the output \S*x\.tar$/,
    ],
    [['--mode', 'tar'], 'x.json.gz', /names gzipped JSON, but --mode tar writes a gzipped tar archive: .* \S*x\.tar\.gz$/],
    [['-m', 'zip'], 'x.json.gz', /names gzipped JSON, but --mode zip writes a zip archive/],
    [['--mode', 'tar'], 'x.ndjson', /names JSON, but --mode tar writes a tar archive/],
    [['--mode', 'zip'], 'x.JSONL', /names JSON, but --mode zip writes a zip archive/],
    [[], 'x.json.xz', /names xz-compressed JSON, but aggregate compresses with gzip only: name the output \S*x\.json\.gz, or pipe standard output through xz$/],
    [['--mode', 'tar'], 'x.tar.zst', /names a zstd-compressed tar archive, but aggregate compresses with gzip only: name the output \S*x\.tar\.gz/],
    [['--mode', 'tar'], 'x.txz', /names an xz-compressed tar archive/],
    [['--mode', 'zip'], 'x.zip.gz', /ends in \.gz or \.tgz, which means gzip, .* name the output \S*x\.zip$/],
    [[], 'x.tar.Z', /names an LZW-compressed \(compress\) tar archive, but json mode \(the default\) writes JSON: add --mode tar/],
    [
      ['--mode', 'tar'],
      'x.tar.Z',
      /names an LZW-compressed \(compress\) tar archive, but aggregate compresses with gzip only: name the output \S*x\.tar\.gz, or pipe standard output through compress$/,
    ],
    [['--mode', 'tar'], 'x.TAZ', /names an LZW-compressed \(compress\) tar archive, but aggregate compresses with gzip only: name the output \S*x\.tar\.gz/],
    [[], 'x.json.Z', /names LZW-compressed \(compress\) JSON, but aggregate compresses with gzip only: name the output \S*x\.json\.gz/],
    [['--mode', 'tar'], 'x.tar.lzo', /names an lzop-compressed tar archive, but aggregate compresses with gzip only/],
  ];
  for (const [flags, name, pattern] of refused) {
    test(`${flags.join(' ') || 'json mode (the default)'} -o ${name}: exit 2, nothing written`, async () => {
      const d = mk({ 'a.json': '1' });
      const out = mk();
      await usage(
        [d, ...flags, '-o', path.join(out, name)],
        new RegExp(`^aggregate: --output ${path.join(out, name).replace(/\./g, '\\.')} ${pattern.source}`),
      );
      await usage([d, ...flags, `--output=${path.join(out, 'sub', name)}`], pattern);
      assert.deepEqual(fs.readdirSync(out), []);
    });
  }
  test('names without a known extension, and the matching ones, keep working', async () => {
    const d = mk({ 'a.json': '1' });
    const out = mk();
    for (const [flags, name] of [
      [[], 'out'],
      [[], 'out.bin'],
      [[], 'out.JSON'],
      [[], 'out.json.gz'],
      [[], 'out.ndjson'],
      [[], 'out.gz'],
      [[], 'out.tar.json'],
      [['--mode', 'tar'], 'out.tar'],
      [['--mode', 'tar'], 'out.TAR.GZ'],
      [['--mode', 'tar'], 'out.tgz'],
      [['--mode', 'tar'], 'out'],
      [['--mode', 'tar'], 'out.gz'],
      [['--mode', 'zip'], 'out.zip'],
      [['--mode', 'zip'], 'out.bin'],
      [['--mode', 'tar'], 'json.tar.d'],
    ]) {
      await ok([d, '-q', ...flags, '-o', path.join(out, name)]);
      assert.ok(fs.existsSync(path.join(out, name)), name);
    }
    await ok([d, '-q', '--mode', 'tar', '-o', '/dev/null']);
    const r = await ok([d, '-q', '--mode', 'tar', '-o', '/dev/stdout']);
    assert.equal(r.stdout.length % 512, 0);
  });
  test('--gzip and --no-gzip say what the bytes are, whatever the name', async () => {
    const d = mk({ 'a.json': '1' });
    const out = mk();
    await ok([d, '-q', '--mode', 'tar', '-z', '-o', path.join(out, 'd.tar')]);
    assert.equal(fs.readFileSync(path.join(out, 'd.tar'))[0], 0x1f);
    await ok([d, '-q', '--no-gzip', '-o', path.join(out, 'plain.json.gz')]);
    assert.equal(fs.readFileSync(path.join(out, 'plain.json.gz'), 'utf8'), '[1]\n');
  });
  test('--stats and --manifest are plain JSON: an archive or compressed name is refused', async () => {
    const d = mk({ 'a.json': '1' });
    const out = mk();
    await usage([d, '--stats', path.join(out, 's.json.gz')], /--stats \S*s\.json\.gz names gzipped JSON, but --stats writes plain JSON: name it \S*s\.json$/);
    await usage([d, '--manifest', path.join(out, 'm.tar')], /--manifest \S*m\.tar names a tar archive, but --manifest writes plain JSON: name it \S*m\.json$/);
    await usage([d, '--mode', 'zip', '-o', path.join(out, 'o.zip'), '--manifest', path.join(out, 'm.zip')], /--manifest \S*m\.zip names a zip archive/);
    assert.deepEqual(fs.readdirSync(out), []);
    await ok([d, '-q', '--stats', path.join(out, 's.txt'), '--manifest', path.join(out, 'm.ndjson')]);
  });
});

/** Run the CLI with stdout and stderr on a pseudo-terminal; resolves to { code, text }. */
function inTerminal(args, cwd) {
  const py = 'import os, pty, sys\nstatus = pty.spawn(sys.argv[1:])\nsys.exit(os.waitstatus_to_exitcode(status))';
  const r = spawnSync('python3', ['-c', py, process.execPath, BIN, ...args], { cwd, encoding: 'utf8', input: '' });
  return { code: r.status, text: r.stdout.replace(/\r\n/g, '\n') };
}

describe('archive and gzip bytes are never written to a terminal', () => {
  const refused = [
    [
      ['--mode', 'tar'],
      /refusing to write a tar archive to a terminal \(standard output\): give -o FILE \(e\.g\. -o out\.tar\) or redirect standard output \(> out\.tar\)/,
    ],
    [['--mode', 'tar', '-z'], /refusing to write a gzipped tar archive to a terminal \(standard output\): give -o FILE \(e\.g\. -o out\.tar\.gz\)/],
    [['--mode', 'zip'], /refusing to write a zip archive to a terminal \(standard output\): give -o FILE \(e\.g\. -o out\.zip\)/],
    [['--gzip'], /refusing to write gzipped JSON to a terminal \(standard output\): give -o FILE \(e\.g\. -o out\.json\.gz\)/],
    [['--mode', 'tar', '-o', '-'], /refusing to write a tar archive to a terminal \(standard output\)/],
    [['--mode', 'tar', '-o', '/dev/stdout'], /refusing to write a tar archive to a terminal \(standard output\)/],
    [['--mode', 'zip', '-o', '/dev/stderr'], /refusing to write a zip archive to a terminal \(--output \/dev\/stderr\)/],
    [['--mode', 'tar', '-o', '/dev/tty'], /refusing to write a tar archive to a terminal \(--output \/dev\/tty\)/],
  ];
  for (const [flags, pattern] of refused) {
    test(`${flags.join(' ')} on a terminal: exit 2`, (t) => {
      const d = mk({ 'a.json': '1' });
      const r = inTerminal([d, ...flags]);
      if (r.code === null) return t.skip('no python3 pty');
      assert.equal(r.code, 2, r.text);
      assert.match(r.text, pattern);
      assert.equal(r.text.split('\n').filter(Boolean).length, 1, r.text);
    });
  }
  test('plain JSON and NDJSON to a terminal stay allowed; archives to a file from a terminal too', (t) => {
    const d = mk({ 'a.json': '1' });
    const out = mk();
    let r = inTerminal([d, '-q']);
    if (r.code === null) return t.skip('no python3 pty');
    assert.equal(r.code, 0, r.text);
    assert.equal(r.text, '[1]\n');
    r = inTerminal([d, '-q', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.text);
    assert.equal(r.text, '1\n');
    r = inTerminal([d, '-q', '--mode', 'tar', '-o', path.join(out, 'o.tar'), '--stats', '/dev/stdout']);
    assert.equal(r.code, 0, r.text);
    assert.equal(JSON.parse(r.text).files, 1);
  });
});

describe('the library: names are strings, never numbers', () => {
  const lib = path.join(ROOT, 'dist/index.js');
  /** Call aggregate(options) in a child (options as JS source); resolves to its message or 'ok'. */
  function call(source, cwd) {
    const script = `import { aggregate } from ${JSON.stringify(lib)};\naggregate(${source}).then(() => console.log('ok'), (e) => console.log(e.name + ': ' + e.message));`;
    return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' }).stdout.trim();
  }
  test('dir, output, patterns given as numbers or the wrong type are refused, not converted', () => {
    const d = numberLikeTree();
    assert.match(call('{ dir: 1.0 }', d), /^UsageError: invalid dir: expected a string, got the number 1; pass the name as text/);
    assert.match(call("{ dir: '1.0', output: 1e3 }", d), /^UsageError: invalid --output: expected a string, got the number 1000/);
    assert.match(call("{ dir: '1.0', patterns: '*.json' }", d), /^UsageError: invalid patterns: expected an array of strings/);
    assert.match(call("{ dir: '1.0', gzip: 'false' }", d), /^UsageError: invalid gzip: expected true or false/);
    assert.match(call("{ dir: '1.0', level: '0x5' }", d), /^UsageError: invalid --level '0x5'/);
    assert.match(
      call("{ dir: '1.0', shard: { index: 4, count: 4 } }", d),
      /^UsageError: invalid shard 4\/4: need 0 <= i < N \(i is 0-based\): the 4 shards are 0\/4 to 3\/4/,
    );
    assert.equal(call("{ dir: '1.0', output: '/dev/null', concurrency: 8, level: '3', shard: '0/1', expect: 1 }", d), 'ok');
  });
  test('every option of the wrong type is refused by name (UsageError), never String()-converted nor a TypeError', () => {
    const d = numberLikeTree();
    const base = "dir: '1.0', output: '/dev/null'";
    for (const [extra, pattern] of [
      ['maxMissing: [1], expect: 1', /^UsageError: invalid --max-missing: expected a number .*, got an array$/],
      ['maxInvalid: [1], onInvalid: "skip"', /^UsageError: invalid --max-invalid: expected a number .*, got an array$/],
      ['expect: [1]', /^UsageError: invalid --expect: expected a number .*, got an array$/],
      ['expect: 1n', /^UsageError: invalid --expect: expected a number .*, got the bigint 1n$/],
      ['expect: null', /^UsageError: invalid --expect: expected a number .*, got null$/],
      ['concurrency: [8]', /^UsageError: invalid --concurrency: expected a number .*, got an array$/],
      ['level: true', /^UsageError: invalid --level: expected a number .*, got true$/],
      ["mode: ['json']", /^UsageError: invalid mode: expected one of json, tar, zip \(a string\), got an array$/],
      ['sort: null', /^UsageError: invalid sort: expected one of natural, name, mtime, none \(a string\), got null$/],
      ['shard: null', /^UsageError: invalid shard: expected the text 'i\/N' or \{ index, count \}, got null$/],
      ['shard: [0, 1]', /^UsageError: invalid shard: .*, got an array$/],
      ['schema: 1', /^UsageError: invalid --schema: expected a string, got the number 1/],
      ["schema: Buffer.from('s.json')", /^UsageError: invalid --schema: expected a string, got a Buffer/],
      ["stats: ['s.json']", /^UsageError: invalid --stats: expected a string, got an array/],
      ["signal: 'x'", /^UsageError: invalid signal: expected an AbortSignal/],
      ["onWarning: 'x'", /^UsageError: invalid onWarning: expected a function, got 'x'$/],
      ['onProgress: 1', /^UsageError: invalid onProgress: expected a function, got the number 1$/],
    ]) {
      assert.match(call(`{ ${base}, ${extra} }`, d), pattern, extra);
    }
    for (const whole of ['null', 'undefined', "['1.0']"])
      assert.match(call(whole, d), /^UsageError: invalid options: expected an object such as \{ dir: '\/mnt' \}/, whole);
    assert.equal(call(`{ ${base}, signal: new AbortController().signal, onWarning() {}, onProgress() {}, expect: 1, maxMissing: 0 }`, d), 'ok');
  });
});
