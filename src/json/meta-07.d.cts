// dist/json/meta-07.cjs, written by scripts/meta-schemas.mjs: the draft-07 meta-schema's validator.
import type { ValidateFunction } from 'ajv';
export declare const meta07: ValidateFunction;
