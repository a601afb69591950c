// Validates every examples/*.yaml manifest:
//  - against Argo's JSON schema (../shared/argo/workflow-schema.json beside the repository),
//    with every object definition closed (`additionalProperties: false`) so a misspelt field
//    fails instead of being ignored the way the open schema (and kubectl apply) would;
//  - every `aggregate` invocation uses flags the CLI has, with valid values;
//  - the outputs of collect steps are uploaded as is (`archive: none`), JSON keys end in .json;
//  - collect steps retry exit 1 only and set memory requests/limits.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import YAML from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = join(ROOT, 'examples');
const SCHEMA_PATH = resolve(ROOT, '..', 'shared', 'argo', 'workflow-schema.json');
const DEF = 'io.argoproj.workflow.v1alpha1.';
const KINDS = ['Workflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate', 'CronWorkflow'];

/** Definitions that are free-form by design (documented as arbitrary maps). */
const OPEN_DEFINITIONS = new Set([
  'io.argoproj.workflow.v1alpha1.Plugin',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
]);

/** Deep copy of the schema with every object definition closed. */
function closeSchema(schema) {
  const copy = structuredClone(schema);
  for (const [name, def] of Object.entries(copy.definitions)) {
    if (def.type !== 'object' || OPEN_DEFINITIONS.has(name)) continue;
    if (def.additionalProperties === undefined) def.additionalProperties = false;
  }
  return copy;
}

// One Ajv instance and one compilation per kind, shared by every test below.
const schema = closeSchema(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
const ajv = new Ajv2020({
  strict: false, // the schema carries x-kubernetes-* annotations Ajv does not know
  allErrors: true,
});
for (const format of ['int32', 'int64', 'uint64']) ajv.addFormat(format, { type: 'number', validate: Number.isInteger });
ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
ajv.addFormat('date-time', (s) => !Number.isNaN(Date.parse(s)));
ajv.addSchema(schema);
const validators = new Map(KINDS.map((kind) => [kind, ajv.getSchema(`${schema.$id}#/definitions/${DEF}${kind}`)]));

function validate(doc) {
  const validator = validators.get(doc?.kind);
  if (!validator) return [`kind ${JSON.stringify(doc?.kind)} is not one of ${KINDS.join(', ')}`];
  if (validator(doc)) return [];
  return validator.errors.map((e) => {
    const extra = e.params?.additionalProperty ? ` '${e.params.additionalProperty}'` : '';
    return `${e.instancePath || '/'} ${e.message}${extra}`;
  });
}

function loadDocs(text, file) {
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS()).filter((d) => d !== null);
}

const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f)).sort();
const manifests = files.map((file) => ({ file, docs: loadDocs(readFileSync(join(EXAMPLES, file), 'utf8'), file) }));

// ---------------------------------------------------------------------------------------------
// The CLI surface the examples may use. Kept in sync with the built CLI by a test below.
// value: null = boolean flag; [] = any value; [..] = one of these values.
// ---------------------------------------------------------------------------------------------
const FLAGS = {
  '--mode': { alias: '-m', value: ['json', 'tar', 'zip'] },
  '--output': { alias: '-o', value: [] },
  '--pattern': { alias: '-p', value: [] },
  '--ignore': { value: [] },
  '--sort': { value: ['natural', 'name', 'mtime', 'none'] },
  '--on-invalid': { value: ['fail', 'skip'] },
  '--format': { value: ['array', 'ndjson'] },
  '--flatten': { value: null },
  '--stats': { value: [] },
  '--manifest': { value: [] },
  '--concurrency': { value: [] },
  '--shard': { value: [] },
  '--gzip': { alias: '-z', value: null },
  '--level': { value: [] },
  '--quiet': { alias: '-q', value: null },
  '--help': { alias: '-h', value: null },
  '--version': { alias: '-V', value: null },
};
const BY_NAME = new Map();
for (const [name, spec] of Object.entries(FLAGS)) {
  BY_NAME.set(name, { name, ...spec });
  if (spec.alias) BY_NAME.set(spec.alias, { name, ...spec });
}
const isTemplated = (s) => /\{\{.*\}\}|\$/.test(s);

/**
 * Checks one aggregate argv (without the program name); returns a list of problems and the
 * parsed options.
 */
function checkArgv(argv) {
  const problems = [];
  const options = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = String(argv[i]);
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = BY_NAME.get(name);
    if (!spec) {
      problems.push(`unknown flag ${name}`);
      continue;
    }
    if (spec.value === null) {
      options[spec.name] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) {
      problems.push(`${name} needs a value`);
      continue;
    }
    const v = String(value);
    if (spec.value.length > 0 && !isTemplated(v) && !spec.value.includes(v)) {
      problems.push(`${name} ${v}: expected one of ${spec.value.join(', ')}`);
    }
    if (spec.name === '--shard' && !isTemplated(v) && !/^\d+\/\d+$/.test(v)) problems.push(`--shard ${v}: expected i/N`);
    if (spec.name === '--shard' && /^\d+\/\d+$/.test(v)) {
      const [i, n] = v.split('/').map(Number);
      if (!(n > 0 && i < n)) problems.push(`--shard ${v}: expected 0 <= i < N`);
    }
    (options[spec.name] ??= []).push(v);
  }
  if (!options['--help'] && !options['--version'] && positionals.length !== 1) {
    problems.push(`expected exactly one input directory, got ${JSON.stringify(positionals)}`);
  }
  return { problems, options, positionals };
}

/** Minimal POSIX-shell word splitting: quotes, backslash-newline continuations. */
function shellWords(line) {
  const words = [];
  let word = null;
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '#' && word === null) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** Every template of a manifest document (Workflow, templates, CronWorkflow). */
function templatesOf(doc) {
  const spec = doc.kind === 'CronWorkflow' ? doc.spec?.workflowSpec : doc.spec;
  return spec?.templates ?? [];
}

/** The aggregate invocations of one template: { argv, where }. */
function invocations(template) {
  const found = [];
  const c = template.container;
  if (c) {
    const argv = [...(c.command ?? []), ...(c.args ?? [])].map(String);
    const at = argv.findIndex((a) => a === 'aggregate' || a.endsWith('/aggregate'));
    if (at >= 0) found.push({ argv: argv.slice(at + 1), where: 'container' });
    // sh -c '...aggregate ...'
    for (const a of argv) if (/(^|[\s;&|(])aggregate\s/.test(a)) found.push(...fromScript(a, 'container sh -c'));
  }
  if (template.script?.source) found.push(...fromScript(template.script.source, 'script'));
  return found;
}

function fromScript(source, where) {
  const found = [];
  const lines = source.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    for (const segment of line.split(/&&|\|\||;|\|/)) {
      const words = shellWords(segment.trim());
      while (words[0] === 'exec' || words[0] === 'time' || /^[A-Z_]+=/.test(words[0] ?? '')) words.shift();
      if (words[0] === 'aggregate') {
        const argv = [];
        for (let i = 1; i < words.length; i++) {
          if (/^\d?(>>?|<)&?$/.test(words[i])) i++; // `> file`: drop the redirection and its target
          else if (!/^\d?(>>?|<)/.test(words[i])) argv.push(words[i]); // `>file`, `2>&1`
        }
        found.push({ argv, where });
      }
    }
  }
  return found;
}

/** Steps and DAG tasks of a template. */
function callsOf(template) {
  return [...(template.steps ?? []).flat(), ...(template.dag?.tasks ?? [])];
}

/** The WorkflowTemplates defined by the examples, by name. */
const workflowTemplates = new Map(
  manifests.flatMap(({ docs }) => docs.filter((d) => d.kind === 'WorkflowTemplate').map((d) => [d.metadata.name, d])),
);

/** Replaces {{inputs.parameters.x}} by the value passed, or the input's default. */
function substitute(argv, template, passed) {
  const value = (name) => {
    const input = (template.inputs?.parameters ?? []).find((p) => p.name === name);
    return passed.get(name) ?? input?.value ?? input?.default;
  };
  return argv.map((a) => a.replace(/\{\{\s*inputs\.parameters\.([\w-]+)\s*\}\}/g, (m, name) => value(name) ?? m));
}

// ---------------------------------------------------------------------------------------------

describe('examples/*.yaml', () => {
  test('there are examples, and each parses as YAML', () => {
    assert.ok(files.length >= 6, `expected the examples, found ${files.join(', ')}`);
    for (const { file, docs } of manifests) assert.ok(docs.length > 0, `${file} has no document`);
  });

  for (const { file, docs } of manifests) {
    test(`${file}: valid against Argo's schema with closed objects`, () => {
      docs.forEach((doc, n) => {
        const errors = validate(doc);
        assert.deepEqual(errors, [], `${file} document ${n + 1} (${doc.kind} ${doc.metadata?.name ?? doc.metadata?.generateName}):\n  ${errors.join('\n  ')}`);
      });
    });

    test(`${file}: aggregate is called with existing flags, archive: none outputs, retry on 1 only`, () => {
      let calls = 0;
      for (const doc of docs) {
        for (const template of templatesOf(doc)) {
          const found = invocations(template);
          calls += found.length;
          if (found.length === 0) continue;
          for (const { argv, where } of found) {
            const { problems } = checkArgv(argv);
            assert.deepEqual(problems, [], `${file} template ${template.name} (${where}): aggregate ${argv.join(' ')}`);
          }
          const ctx = `${file} template ${template.name}`;
          for (const artifact of template.outputs?.artifacts ?? []) {
            assert.deepEqual(artifact.archive, { none: {} }, `${ctx}: output artifact ${artifact.name} must use archive: none: {}`);
            const key = artifact.s3?.key;
            if (key !== undefined && /\.json$/.test(artifact.path ?? '')) assert.match(key, /\.json$/, `${ctx}: ${artifact.name} key should end in .json`);
          }
          const container = template.container ?? template.script;
          assert.ok(container.resources?.requests?.memory, `${ctx}: memory request`);
          assert.ok(container.resources?.limits?.memory, `${ctx}: memory limit`);
          const expression = template.retryStrategy?.expression ?? '';
          assert.match(expression, /exitCode\)?\s*==\s*1\b/, `${ctx}: retryStrategy.expression should retry exit code 1 only`);
        }
      }
      // Calls into the `aggregate` WorkflowTemplate: the template exists, the parameters
      // passed are ones it declares, required ones are passed, and the resulting command line
      // is valid.
      for (const doc of docs) {
        for (const template of templatesOf(doc)) {
          for (const step of callsOf(template)) {
            if (!step.templateRef) continue;
            const ctx = `${file} ${template.name}/${step.name}: templateRef ${step.templateRef.name}/${step.templateRef.template}`;
            const target = (workflowTemplates.get(step.templateRef.name)?.spec.templates ?? []).find((t) => t.name === step.templateRef.template);
            assert.ok(target, `${ctx} does not resolve to a template in examples/`);
            const declared = new Set((target.inputs?.parameters ?? []).map((p) => p.name));
            const passed = new Map((step.arguments?.parameters ?? []).map((p) => [p.name, String(p.value)]));
            for (const name of passed.keys()) assert.ok(declared.has(name), `${ctx}: passes parameter ${name}, not an input of the template`);
            for (const p of target.inputs?.parameters ?? []) {
              assert.ok(passed.has(p.name) || p.value !== undefined || p.default !== undefined, `${ctx}: required parameter ${p.name} not passed`);
              if (p.enum && passed.has(p.name)) assert.ok(p.enum.includes(passed.get(p.name)), `${ctx}: ${p.name}=${passed.get(p.name)} not in ${p.enum}`);
            }
            for (const { argv } of invocations(target)) {
              calls++;
              const effective = substitute(argv, target, passed);
              assert.deepEqual(checkArgv(effective).problems, [], `${ctx}: aggregate ${effective.join(' ')}`);
            }
          }
        }
      }
      assert.ok(calls > 0, `${file}: no aggregate invocation found`);
    });
  }

  test('every artifact that is a .json or an archive file is uploaded with archive: none', () => {
    for (const { file, docs } of manifests) {
      for (const doc of docs) {
        for (const template of templatesOf(doc)) {
          for (const artifact of template.outputs?.artifacts ?? []) {
            const name = artifact.path ?? '';
            if (/\.(json|tar\.gz|tgz|zip)$/.test(name)) {
              assert.deepEqual(artifact.archive, { none: {} }, `${file} ${template.name}: ${artifact.name} (${name})`);
            }
          }
        }
      }
    }
  });
});

describe('the validation can fail', () => {
  const base = manifests.find((m) => m.file === 'json-fan-in.yaml');
  const mutate = (f) => {
    const doc = structuredClone(base.docs[0]);
    f(doc);
    return validate(doc);
  };

  test('json-fan-in.yaml is the base of these tests', () => {
    assert.ok(base, 'examples/json-fan-in.yaml is missing');
    assert.deepEqual(validate(base.docs[0]), []);
  });

  test('a misspelt spec field (volumeClaimTemplate) fails', () => {
    const errors = mutate((doc) => {
      doc.spec.volumeClaimTemplate = doc.spec.volumeClaimTemplates;
      delete doc.spec.volumeClaimTemplates;
    });
    assert.ok(errors.some((e) => e.startsWith('/spec ') && e.includes("'volumeClaimTemplate'")), errors.join('\n'));
  });

  test('a misspelt field deep inside a template (archve, expresion) fails', () => {
    const errors = mutate((doc) => {
      const collect = doc.spec.templates.find((t) => t.name === 'collect');
      collect.outputs.artifacts[0].archve = collect.outputs.artifacts[0].archive;
      delete collect.outputs.artifacts[0].archive;
      collect.retryStrategy.expresion = collect.retryStrategy.expression;
      delete collect.retryStrategy.expression;
    });
    assert.ok(errors.some((e) => e.includes("'archve'")), errors.join('\n'));
    assert.ok(errors.some((e) => e.includes("'expresion'")), errors.join('\n'));
  });

  test('a wrong type (limit as a number where the schema wants a string) fails', () => {
    const errors = mutate((doc) => {
      doc.spec.templates.find((t) => t.name === 'collect').retryStrategy.limit = [3];
    });
    assert.ok(errors.some((e) => e.includes('/retryStrategy/limit')), errors.join('\n'));
  });

  test('the unclosed schema would have accepted the misspelling (why closing matters)', () => {
    const open = new Ajv2020({ strict: false, validateFormats: false });
    const validateOpen = open.compile({ ...JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')), $id: 'argo-open' });
    const doc = structuredClone(base.docs[0]);
    doc.spec.volumeClaimTemplate = doc.spec.volumeClaimTemplates;
    delete doc.spec.volumeClaimTemplates;
    assert.equal(validateOpen(doc), true);
  });

  test('an unknown aggregate flag or bad value is reported', () => {
    assert.deepEqual(checkArgv(['--mode', 'json', '/mnt']).problems, []);
    assert.deepEqual(checkArgv(['--mode', 'json', '/mnt', '--shrad', '0/2']).problems, ['unknown flag --shrad', 'expected exactly one input directory, got ["/mnt","0/2"]']);
    assert.deepEqual(checkArgv(['--mode', 'xml', '/mnt']).problems, ['--mode xml: expected one of json, tar, zip']);
    assert.deepEqual(checkArgv(['--shard', '4/4', '/mnt']).problems, ['--shard 4/4: expected 0 <= i < N']);
    assert.deepEqual(fromScript('set -e\nexec aggregate --mode tar /mnt \\\n  -o "/tmp/out/a b.tar.gz" > /dev/null && ls', 's').map((f) => f.argv), [
      ['--mode', 'tar', '/mnt', '-o', '/tmp/out/a b.tar.gz'],
    ]);
  });
});

describe('the flag list matches the CLI', () => {
  const cli = join(ROOT, 'dist', 'cli.js');
  test('every flag the examples may use appears in aggregate --help', { skip: !existsSync(cli) && 'dist/cli.js not built' }, () => {
    const help = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    for (const [name, spec] of Object.entries(FLAGS)) {
      assert.ok(help.includes(name), `aggregate --help does not mention ${name}`);
      if (spec.alias) assert.ok(help.includes(`${spec.alias},`) || help.includes(`${spec.alias} `), `aggregate --help does not mention ${spec.alias}`);
    }
  });
});
