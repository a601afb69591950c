/**
 * Mutation testing (StrykerJS) of the modules that carry the promises, one Stryker run per module
 * with only the test files that exercise it, so that a run fits CI.
 *
 *   node scripts/mutation.mjs [MODULE...]          run these modules (default: every one below)
 *        --mutate src/x.ts:10-20 --tests a,b       ad hoc: one run over a range with these tests
 *
 * Each run writes reports/mutation/<module>.json (Stryker's JSON report) and its duration to
 * reports/mutation/times.json; then scripts/mutation-check.mjs compares the modules' scores with
 * the figures recorded in test/mutation/scores.json and fails when one is lower.
 *
 * How a mutant reaches what the tests execute: Stryker instruments src/<module>.ts in a sandbox
 * copy of the repository with every mutant behind a switch, then the base config's buildCommand
 * (npm run build) compiles dist/ and bundles bundle/ from it once. The switch is read at run time
 * from the environment variable __STRYKER_ACTIVE_MUTANT__, which the TAP runner sets for the test
 * process; the CLI tests spawn the bin with the test's environment (test/helpers/cli.js), so the
 * bin runs the same mutant. Stryker cannot see what runs in those child processes, hence
 * coverageAnalysis "off": every mutant runs the module's test files until one fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const strykerBin = join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js');

/**
 * Module → the test files that exercise it (unit tests first: they are fast and kill most
 * mutants, and Stryker stops at the first failing file).
 */
export const MODULES = {
  quote: { mutate: ['src/quote.ts'], tests: ['test/unit/quote.test.js', 'test/unit/quote-utf8.test.js', 'test/cli/contract-bytes.test.js'] },
  contract: { mutate: ['src/contract.ts'], tests: ['test/unit/contract.test.js', 'test/cli/contract.test.js', 'test/cli/contract-bytes.test.js'] },
  expected: { mutate: ['src/expected.ts'], tests: ['test/unit/expected.test.js', 'test/cli/contract.test.js', 'test/cli/contract-bytes.test.js'] },
  sort: { mutate: ['src/sort.ts'], tests: ['test/unit/sort.property.test.js', 'test/cli/sort-order.test.js'] },
  sink: { mutate: ['src/sink.ts'], tests: ['test/cli/outputs.test.js', 'test/cli/stdout-file.test.js', 'test/cli/reliability.test.js'] },
  options: { mutate: ['src/options.ts'], tests: ['test/cli/outputs.test.js', 'test/cli/json.test.js', 'test/cli/archive.test.js'] },
  walk: { mutate: ['src/walk.ts'], tests: ['test/unit/read-dirs.test.js', 'test/cli/discovery.test.js'] },
  scan: { mutate: ['src/json/scan.ts'], tests: ['test/unit/scan.test.js', 'test/unit/scan.property.test.js', 'test/unit/scan.cli.test.js'] },
  tar: { mutate: ['src/archive/tar.ts'], tests: ['test/unit/tar.test.js', 'test/cli/archive.test.js'] },
  zip: { mutate: ['src/archive/zip.ts'], tests: ['test/unit/zip.test.js', 'test/cli/archive.test.js'] },
};

function runStryker(name, mutate, tests) {
  const base = JSON.parse(readFileSync(join(root, 'stryker.config.json'), 'utf8'));
  delete base.$schema;
  const config = {
    ...base,
    mutate,
    tap: { ...base.tap, testFiles: tests },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
  };
  mkdirSync(join(root, 'reports/mutation'), { recursive: true });
  const file = join(root, `reports/mutation/${name}.config.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  const start = Date.now();
  // A mutant run ends a test file at its first failure (bail-reporter.mjs), before its after()
  // hooks remove its temporary directories: give the run a TMPDIR of its own and remove it after.
  const tmp = mkdtempSync(join(tmpdir(), `agg-mutation-${name}-`));
  const r = spawnSync(process.execPath, [strykerBin, 'run', file], { cwd: root, stdio: 'inherit', env: { ...process.env, TMPDIR: tmp } });
  rmSync(tmp, { recursive: true, force: true });
  const seconds = Math.round((Date.now() - start) / 1000);
  const timesFile = join(root, 'reports/mutation/times.json');
  let times = {};
  try {
    times = JSON.parse(readFileSync(timesFile, 'utf8'));
  } catch {}
  times[name] = seconds;
  writeFileSync(timesFile, JSON.stringify(times, null, 2) + '\n');
  console.log(`mutation: ${name} took ${seconds} s`);
  if (r.status !== 0) {
    console.error(`mutation: stryker failed on ${name} (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { mutate: { type: 'string' }, tests: { type: 'string' } } });
if (values.mutate) {
  runStryker(positionals[0] ?? 'adhoc', [values.mutate], (values.tests ?? '').split(',').filter(Boolean));
} else {
  const names = positionals.length ? positionals : Object.keys(MODULES);
  for (const name of names) {
    const m = MODULES[name];
    if (!m) {
      console.error(`mutation: no module ${name} (known: ${Object.keys(MODULES).join(', ')})`);
      process.exit(2);
    }
    runStryker(name, m.mutate, m.tests);
  }
  const check = spawnSync(process.execPath, [join(root, 'scripts/mutation-check.mjs'), ...names], { cwd: root, stdio: 'inherit' });
  process.exit(check.status ?? 1);
}
