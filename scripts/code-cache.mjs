/**
 * Writes bundle/main.cjs.v8cache (see scripts/launcher.cjs): runs the built bin on a few made-up
 * fragments, as users run it, so the cache holds the code the runs compile, not only the bundle's
 * top level. One JSON run, then one tar.gz run that starts from the JSON run's cache and adds
 * what it compiled (a cache grows this way: ~2% per mode). The cache fits only the Node (V8) that ran this: npm run build makes
 * one for the build machine's Node; the Dockerfile makes one with the image's own node.
 *
 *   node scripts/code-cache.mjs [BUNDLE_DIR]     (default: bundle/ of this repository)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? new URL('../bundle', import.meta.url).pathname);
const work = mkdtempSync(join(tmpdir(), 'aggregate-code-cache-'));
try {
  for (let d = 0; d < 3; d++) {
    mkdirSync(join(work, 'in', `d${d}`), { recursive: true });
    for (let f = 0; f < 5; f++) {
      const value = { id: `${d}-${f}`, ok: f % 2 === 0, n: d * 10 + f + 0.5, tags: ['a', 'b\u00e9'], nested: { x: null } };
      writeFileSync(join(work, 'in', `d${d}`, `f${f}.json`), JSON.stringify(value, null, f % 2 ? 2 : 0));
    }
  }
  const runs = [
    ['--mode', 'json', join(work, 'in'), '-o', join(work, 'out.json'), '--stats', join(work, 'stats.json'), '--quiet'],
    ['--mode', 'tar', join(work, 'in'), '-o', join(work, 'out.tar.gz'), '--quiet'],
  ];
  for (const args of runs) {
    execFileSync(process.execPath, [join(dir, 'aggregate.cjs'), ...args], {
      env: { ...process.env, AGGREGATE_WRITE_CODE_CACHE: join(dir, 'main.cjs.v8cache') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
