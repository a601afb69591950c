/**
 * Lets Stryker see the mutants that run in child processes: the CLI tests spawn the built bin,
 * and Stryker's TAP runner collects coverage (which mutants a test file reaches) and hit counts
 * (its guard against endless loops) from the test process only. Without this, every mutant
 * reached only through the bin would be reported "NoCoverage" and never run.
 *
 * Loaded with -r in the test process (stryker.config.json, tap.nodeArgs, after Stryker's own
 * hook), it puts itself into NODE_OPTIONS, so every node child loads it too. A child writes its
 * coverage and hit count to a temp dir when it exits; the test process adds them to its own just
 * before Stryker's hook writes the file's result (an 'exit' listener put first).
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const NS = process.env.STRYKER_NAMESPACE ?? '__stryker__';
const DIR_VAR = 'AGGREGATE_STRYKER_CHILD_DIR';

if (process.env[DIR_VAR]) {
  // A child (the bin, or anything the tests spawn with node).
  const dir = process.env[DIR_VAR];
  const ns = (globalThis[NS] ??= {});
  // Stop an endless mutant here too: the instrumented code throws past hitLimit.
  if (process.env.STRYKER_HIT_LIMIT) {
    ns.hitLimit = Number(process.env.STRYKER_HIT_LIMIT);
    ns.hitCount = 0;
  }
  process.on('exit', () => {
    if (!ns.mutantCoverage && !ns.hitCount) return;
    try {
      fs.writeFileSync(path.join(dir, `child-${process.pid}.json`), JSON.stringify({ static: ns.mutantCoverage?.static ?? {}, hitCount: ns.hitCount ?? 0 }));
    } catch {
      // The test process already left (a test that abandons its child): nothing to report to.
    }
  });
} else {
  // The test process.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aggregate-stryker-'));
  process.env[DIR_VAR] = dir;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require "${__filename}"`.trim();
  process.prependListener('exit', () => {
    const ns = (globalThis[NS] ??= {});
    for (const f of fs.readdirSync(dir)) {
      let child;
      try {
        child = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      } catch {
        continue; // a child killed while writing
      }
      const cov = (ns.mutantCoverage ??= { static: {}, perTest: {} });
      for (const [id, n] of Object.entries(child.static)) cov.static[id] = (cov.static[id] ?? 0) + n;
      if (ns.hitCount !== undefined) ns.hitCount += child.hitCount;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
}
