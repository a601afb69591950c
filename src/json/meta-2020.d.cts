// dist/json/meta-2020.cjs, written by scripts/meta-schemas.mjs: the draft 2020-12 meta-schema's validator.
import type { ValidateFunction } from 'ajv';
export declare const meta2020: ValidateFunction;
