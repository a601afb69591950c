/**
 * First step of `npm run build` (and so of `prepare`): the build needs the dev dependencies
 * (assemblyscript, typescript, esbuild). They are missing when npm runs `prepare` in a directory
 * that was never `npm ci`'d, as `npm install /path/to/clone` (a path install) does: say so and
 * what to do, instead of a stack trace about assemblyscript/bin/asc.js. Run from the package root.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = process.cwd();
const require = createRequire(join(root, 'package.json'));
const missing = ['assemblyscript/bin/asc.js', 'typescript', 'esbuild'].filter((id) => {
  try {
    require.resolve(id);
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  const names = missing.map((id) => id.split('/')[0]).join(', ');
  process.stderr.write(
    `argo-aggregate: cannot build in ${root}: its dev dependencies (${names}) are not installed.\n` +
      `Run \`npm ci\` in ${root} first (it builds dist/ and bundle/). A path install\n` +
      '(`npm install /path/to/clone`, `npm install -g .`) links to the directory and does not install them; the tarball\n' +
      '(`npm pack`, then `npm install ./argo-aggregate-VERSION.tgz`) or a git URL needs no `npm ci`.\n',
  );
  process.exit(1);
}
