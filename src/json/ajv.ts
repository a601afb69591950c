/**
 * The JSON Schema validator's classes, in one module: the bundle makes this module its own file
 * (bundle/ajv.cjs, scripts/bundle.mjs), required only by a run given --schema.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv as AjvDraft07, MissingRefError } from 'ajv';
import formats from 'ajv-formats';
import { meta07 } from './meta-07.cjs';
import { meta2020 } from './meta-2020.cjs';

/** ajv-formats' plugin (its CommonJS export is the function, with itself as `default`). */
export const addFormats = formats.default;
export { Ajv2020, AjvDraft07, MissingRefError };
/** The meta-schemas' validators, compiled at build time (scripts/meta-schemas.mjs). */
export const metaValidators = { '2020-12': meta2020, '07': meta07 };
