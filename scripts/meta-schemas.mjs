/**
 * Writes dist/json/meta-2020.cjs and dist/json/meta-07.cjs: the validators of the draft 2020-12
 * and draft-07 meta-schemas, compiled to JavaScript now by ajv's standalone code generation.
 *
 * Why: --schema checks the user's schema against its meta-schema before compiling it, and ajv
 * compiling the 2020-12 meta-schema at run time cost ~90 ms of CPU per run (more than everything
 * else --schema adds to a run of 10k small fragments). Compiled here, checking is a call.
 * The options are the run's (json/schema.ts) where they matter to a meta-schema: first error only.
 *
 *   node scripts/meta-schemas.mjs      (npm run build runs it after tsc)
 */
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { Ajv2020 } = require('ajv/dist/2020');
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;

const options = { code: { source: true }, allErrors: false, strictSchema: false };
for (const [file, Class, name, id] of [
  ['meta-2020.cjs', Ajv2020, 'meta2020', 'https://json-schema.org/draft/2020-12/schema'],
  ['meta-07.cjs', Ajv, 'meta07', 'http://json-schema.org/draft-07/schema'],
]) {
  const ajv = new Class(options);
  if (!ajv.getSchema(id)) throw new Error(`ajv has no meta-schema ${id}`);
  writeFileSync(new URL(`../dist/json/${file}`, import.meta.url), standaloneCode(ajv, { [name]: id }));
}
