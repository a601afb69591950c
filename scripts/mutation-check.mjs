/**
 * Compares the mutation scores of the last run (reports/mutation/<module>.json, written by
 * scripts/mutation.mjs) with the figures recorded in test/mutation/scores.json, and fails when a
 * module scores below its figure or a mutant survives that the record does not name.
 *
 *   node scripts/mutation-check.mjs [MODULE...]            check (default: every module with a report)
 *   node scripts/mutation-check.mjs --record [MODULE...]   write the run's figures and survivors
 *                                                          into scores.json (after reviewing them)
 *
 * Each survivor carries a reason: killed by a named test added after the run, or equivalent (no
 * observable difference) and why; --record keeps the reasons already written and marks new ones TODO.
 * A survivor is named by file, mutator, the text it replaces, its replacement and the source line
 * (not by
 * line number or Stryker's id, which move with every edit above it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { calculateMutationTestMetrics } from 'mutation-testing-metrics';

const root = new URL('..', import.meta.url).pathname;
const scoresFile = join(root, 'test/mutation/scores.json');
const reportFile = (name) => join(root, `reports/mutation/${name}.json`);

/** The figures of one Stryker JSON report. */
export function summarize(report) {
  const { metrics } = calculateMutationTestMetrics(report).systemUnderTestMetrics;
  const survivors = [];
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split('\n');
    for (const m of mutants) {
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      const { start, end } = m.location;
      const line = lines[start.line - 1];
      survivors.push({
        file,
        line: start.line,
        status: m.status,
        mutator: m.mutatorName,
        original: start.line === end.line ? line.slice(start.column - 1, end.column - 1) : undefined,
        replacement: m.replacement,
        source: line.trim(),
      });
    }
  }
  return {
    score: Math.floor(metrics.mutationScore * 100) / 100,
    killed: metrics.killed,
    timeout: metrics.timeout,
    survived: metrics.survived,
    noCoverage: metrics.noCoverage,
    compileErrors: metrics.compileErrors,
    survivors,
  };
}

const key = (s) => [s.file, s.mutator, s.original, s.replacement, s.source].join('\u0000');

const { values, positionals } = parseArgs({ allowPositionals: true, options: { record: { type: 'boolean' } } });
const recorded = existsSync(scoresFile) ? JSON.parse(readFileSync(scoresFile, 'utf8')) : { modules: {} };
const names = positionals.length ? positionals : Object.keys(recorded.modules).filter((n) => existsSync(reportFile(n)));

let failed = false;
for (const name of names) {
  if (!existsSync(reportFile(name))) {
    console.error(`mutation-check: no report for ${name} (run: node scripts/mutation.mjs ${name})`);
    failed = true;
    continue;
  }
  const now = summarize(JSON.parse(readFileSync(reportFile(name), 'utf8')));
  const was = recorded.modules[name];
  if (values.record) {
    const reasons = new Map((was?.survivors ?? []).map((s) => [key(s), s.reason]));
    const { tap } = JSON.parse(readFileSync(join(root, `reports/mutation/${name}.config.json`), 'utf8'));
    const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
    const survivors = now.survivors.map((s) => ({ ...s, reason: reasons.get(key(s)) ?? 'TODO' }));
    recorded.modules[name] = { ...now, measuredOn: commit, tests: tap.testFiles, survivors };
    console.log(`mutation-check: ${name}: recorded ${now.score}%`);
    continue;
  }
  if (!was) {
    console.error(`mutation-check: ${name} has no recorded score in test/mutation/scores.json`);
    failed = true;
    continue;
  }
  const known = new Set(was.survivors.map(key));
  const fresh = now.survivors.filter((s) => !known.has(key(s)));
  const lower = now.score < was.score;
  if (lower || fresh.length) failed = true;
  console.log(`mutation-check: ${name}: ${now.score}% (recorded ${was.score}%)${lower ? ' BELOW the record' : ''}`);
  for (const s of fresh) console.log(`  new survivor ${s.file}:${s.line} ${s.mutator}: ${s.source}  ->  ${s.replacement}`);
}
if (values.record) writeFileSync(scoresFile, JSON.stringify(recorded, null, 2) + '\n');
process.exit(failed ? 1 : 0);
