// The JSON Schemas of the `--schema` rows: what a user would write for the bench's records
// (bench/generate.mjs `record`): a dozen properties, required fields, types, formats, `$ref`s.

const record = {
  type: 'object',
  required: ['id', 'name', 'ok', 'score', 'tags', 'nested'],
  properties: {
    id: { type: 'integer', minimum: 0 },
    name: { type: 'string', pattern: '^[a-z]+-[0-9]+$', maxLength: 64 },
    ok: { type: 'boolean' },
    score: { type: 'number', minimum: 0, maximum: 1_000_000 },
    tags: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 8 },
    nested: { type: 'array', items: { type: 'array', items: { anyOf: [{ $ref: '#/$defs/count' }, { type: 'null' }] } } },
    big: { type: 'integer' },
    note: { type: 'string', maxLength: 1024 },
    host: { type: 'string', format: 'hostname' },
    attempt: { $ref: '#/$defs/count' },
    startedAt: { type: 'string', format: 'date-time' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
  },
  additionalProperties: false,
};
const defs = { count: { type: 'integer', minimum: 0 }, record };

/** The schema every fragment of `profile` matches (small: one record; medium: a part of rows). */
export function benchSchema(profile) {
  const root = { $schema: 'https://json-schema.org/draft/2020-12/schema', $defs: defs };
  if (profile === 'medium') {
    return {
      ...root,
      type: 'object',
      required: ['part', 'rows'],
      additionalProperties: false,
      properties: { part: { type: 'integer', minimum: 1 }, rows: { type: 'array', items: { $ref: '#/$defs/record' } } },
    };
  }
  return { ...root, $ref: '#/$defs/record' };
}
