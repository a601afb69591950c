/**
 * Bundles the CLI with esbuild into bundle/:
 *
 *   aggregate.cjs     the bin: a small CommonJS launcher (scripts/launcher.cjs) that runs
 *                     main.cjs with V8's code cache when one fits this Node
 *   aggregate.mjs     the former bin, a shim that requires aggregate.cjs (scripts/launcher-shim.mjs)
 *   main.cjs          the CLI and its dependencies, one CommonJS file (vm.Script takes a cache
 *                     for a classic script, not for an ES module)
 *   main.cjs.v8cache  written by scripts/code-cache.mjs (npm run build), not here
 *   aws-sdk.cjs       the AWS SDK's S3 client, required by main.cjs only for an s3:// input
 *                     (1.4 MB of JavaScript a local run never parses)
 *   ajv.cjs           ajv and ajv-formats (dist/json/ajv.js), required by main.cjs only for a
 *                     run given --schema
 *
 * An optional heavy dependency stays out of main.cjs by being its own entry point (a second
 * CommonJS file under bundle/, built by another build() call here with the same options) that
 * the code loads with require() only when it is needed; not with import(): a vm.Script without
 * importModuleDynamically cannot import() on Node 20.
 *
 * One plugin: string-width (pulled in by yargs' help layout) builds an Intl.Segmenter and
 * Unicode-property regexes at import, ~20 ms of every start, although only --help needs them.
 * Its importers get a shim that loads it on first use (esbuild turns a require() of an ES module
 * into a lazily initialised one).
 */
import { build } from 'esbuild';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const SHIM = 'aggregate-lazy:string-width';

const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) => (args.importer === SHIM ? undefined : { path: SHIM, namespace: 'aggregate-lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'aggregate-lazy' }, () => ({
      contents: `let impl;
export default function stringWidth(text, options) {
  impl ??= require('string-width').default;
  return impl(text, options);
}`,
      resolveDir: new URL('..', import.meta.url).pathname,
      loader: 'js',
    }));
  },
};

/**
 * `@aws-sdk/client-s3` becomes a require() of ./aws-sdk.cjs: the s3 modules inside main.cjs are
 * reached through import() only, which esbuild turns into a lazily initialised module, so the
 * require runs on the first s3:// run, never on a local one. Only the SDK lives there: our own
 * modules must exist once (errors are told apart with instanceof).
 */
const AWS_SDK = './aws-sdk.cjs';
const externalSdk = {
  name: 'external-aws-sdk',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/client-s3$/ }, () => ({ path: AWS_SDK, external: true }));
  },
};

/**
 * Our module dist/json/ajv.js (ajv's classes) becomes a require() of ./ajv.cjs, the same module
 * bundled alone: dist/json/schema.js, its only importer, is reached through import() (a lazily
 * initialised module in main.cjs), so ajv is read on the first --schema run only.
 */
const AJV = './ajv.cjs';
const externalAjv = {
  name: 'external-ajv',
  setup(b) {
    b.onResolve({ filter: /^\.\/ajv\.js$/ }, (args) => (args.importer.endsWith('/dist/json/schema.js') ? { path: AJV, external: true } : undefined));
  },
};

// A cache made for the previous main.cjs would only be rejected: remove it with the bundle.
rmSync('bundle/main.cjs.v8cache', { force: true });
await build({
  entryPoints: ['dist/cli.js'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'bundle/main.cjs',
  logLevel: 'warning',
  // The ES modules inside (yargs, the CLI) read import.meta.url; in CommonJS it is this file.
  define: { __AGGREGATE_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__aggregate_import_meta_url' },
  banner: { js: "'use strict';var __aggregate_import_meta_url=require('url').pathToFileURL(__filename).href;" },
  plugins: [lazyStringWidth, externalSdk, externalAjv],
});
await build({
  entryPoints: ['dist/json/ajv.js'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'bundle/ajv.cjs',
  logLevel: 'warning',
});
await build({
  stdin: { contents: "export { S3Client, ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';", resolveDir: '.', loader: 'js' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'bundle/aws-sdk.cjs',
  logLevel: 'warning',
});
// The launcher wraps main.cjs in a function: a '#!' line (from dist/cli.js) cannot stay first.
writeFileSync('bundle/main.cjs', readFileSync('bundle/main.cjs', 'utf8').replace(/^#![^\n]*\n/, ''));
copyFileSync('scripts/launcher.cjs', 'bundle/aggregate.cjs');
copyFileSync('scripts/launcher-shim.mjs', 'bundle/aggregate.mjs');
chmodSync('bundle/aggregate.cjs', 0o755);
chmodSync('bundle/aggregate.mjs', 0o755);
