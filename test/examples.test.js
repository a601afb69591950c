// Validates every examples/*.yaml manifest (and the Argo snippets of docs/argo.md and README.md):
//  - against Argo's v4.1 JSON schema (vendored: test/fixtures/argo/), with every object
//    definition closed (`additionalProperties: false`) so a misspelt field fails instead of being
//    ignored the way the open schema (and kubectl apply) would;
//  - every `aggregate` invocation uses flags the CLI has, with valid values;
//  - policies a production cluster needs (test/helpers/manifests.js): Pod Security "restricted"
//    on every pod, read-only root and emptyDir outputs for collect steps, no hard-coded collect
//    keys, --expect on every collect, a required storage class parameter, GC settings, setup
//    steps, safe JSON in scripts, archive: none where archives are consumed;
//  - the retry expression's behaviour, evaluated (test/helpers/expr.js), not its text.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { BIN } from './helpers/cli.js';
import { evaluate, parse, retryEnv } from './helpers/expr.js';
import { helpOptions, helpText } from './helpers/help.js';
import {
  FLAGS,
  checkArgv,
  fromScript,
  templatesOf,
  specOf,
  invocations,
  callsOf,
  resolve,
  scopeFor,
  restrictedProblems,
  outputsProblems,
  collectKeyProblems,
  storageClassProblems,
  gcProblems,
  fsGroupProblems,
  expectProblems,
  printfJsonProblems,
  archiveInputProblems,
  setupProblems,
  retryExpressions,
} from './helpers/manifests.js';

const ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = join(ROOT, 'examples');
/** Where the collect step and its retry expression are documented. */
const ARGO_DOC = 'docs/argo.md';
// Vendored (test/fixtures/README.md): a missing schema fails this file at load, never skips it.
const SCHEMA_PATH = join(ROOT, 'test', 'fixtures', 'argo', 'workflow-schema.json');
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

const KUSTOMIZATION = 'kustomization.yaml';
const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f) && f !== KUSTOMIZATION).sort();
const manifests = files.map((file) => ({ file, docs: loadDocs(readFileSync(join(EXAMPLES, file), 'utf8'), file) }));

/** The WorkflowTemplates and ClusterWorkflowTemplates defined by the examples, by name. */
const byKind = (kind) => new Map(manifests.flatMap(({ docs }) => docs.filter((d) => d.kind === kind).map((d) => [d.metadata.name, d])));
const workflowTemplates = byKind('WorkflowTemplate');
const clusterWorkflowTemplates = byKind('ClusterWorkflowTemplate');
const resolveTemplateRef = (ref) =>
  ((ref.clusterScope ? clusterWorkflowTemplates : workflowTemplates).get(ref.name)?.spec.templates ?? []).find((t) => t.name === ref.template);

/**
 * Checks a step calling the `aggregate` WorkflowTemplate: the template exists, the parameters
 * passed are ones it declares, required ones are passed, and the resulting command line is
 * valid. Returns the number of aggregate invocations checked.
 */
function checkTemplateRefCall(step, where, doc) {
  const ctx = `${where}: templateRef ${step.templateRef.name}/${step.templateRef.template}`;
  const target = resolveTemplateRef(step.templateRef);
  assert.ok(target, `${ctx} does not resolve to a template in examples/`);
  const declared = new Set((target.inputs?.parameters ?? []).map((p) => p.name));
  const passed = new Map((step.arguments?.parameters ?? []).map((p) => [p.name, String(p.value)]));
  for (const name of passed.keys()) assert.ok(declared.has(name), `${ctx}: passes parameter ${name}, not an input of the template`);
  for (const p of target.inputs?.parameters ?? []) {
    assert.ok(passed.has(p.name) || p.value !== undefined || p.default !== undefined, `${ctx}: required parameter ${p.name} not passed`);
    if (p.enum && passed.has(p.name)) assert.ok(p.enum.includes(passed.get(p.name)), `${ctx}: ${p.name}=${passed.get(p.name)} not in ${p.enum}`);
  }
  let calls = 0;
  for (const { argv } of invocations(target)) {
    calls++;
    const effective = substitute(argv, target, passed, doc);
    assert.deepEqual(checkArgv(effective).problems, [], `${ctx}: aggregate ${effective.join(' ')}`);
  }
  return calls;
}

/** Replaces {{inputs.parameters.x}} (and {{= ...}} over them) by the values passed or defaults. */
function substitute(argv, template, passed, doc) {
  const scope = scopeFor(template, passed, doc);
  return argv.map((a) => resolve(a, scope));
}

// ---------------------------------------------------------------------------------------------
// The retry expression's required behaviour. Argo (workflow/controller/operator.go) gives the
// expression lastRetry.{exitCode,status,message,duration} as strings; exitCode is the main
// container's, "-1" when the node has none (a pod that never ran to the end).
// ---------------------------------------------------------------------------------------------
const RETRY_TABLE = [
  { why: 'exit 1: I/O failure, a retry may help', exitCode: '1', status: 'Failed', retry: true },
  { why: 'exit 2: usage error', exitCode: '2', status: 'Failed', retry: false },
  { why: 'exit 3: invalid input data', exitCode: '3', status: 'Failed', retry: false },
  { why: 'exit 4: fragments missing (--expect)', exitCode: '4', status: 'Failed', retry: false },
  { why: 'output upload failed in the wait container (main exited 0)', exitCode: '0', status: 'Error', message: 'failed to save outputs: timeout waiting on s3', retry: true },
  { why: 'input download failed in the init container', exitCode: '-1', status: 'Error', message: 'failed to load artifacts: connection reset by peer', retry: true },
  { why: 'pod deleted (drained node, manual delete)', exitCode: '-1', status: 'Error', message: 'pod deleted', retry: true },
  { why: 'node graceful shutdown', exitCode: '143', status: 'Failed', message: 'Pod was terminated in response to imminent node shutdown.', retry: true },
  { why: 'node shutdown without an exit code', exitCode: '-1', status: 'Failed', message: 'Pod was terminated in response to imminent node shutdown.', retry: true },
  { why: 'invalid data, then the executor errored too: still never retried', exitCode: '3', status: 'Error', message: 'failed to save outputs: no such file', retry: false },
  { why: 'exit 4 while the pod was deleted: never retried', exitCode: '4', status: 'Error', message: 'pod deleted', retry: false },
  { why: 'OOM-killed: the same limit fails again', exitCode: '137', status: 'Failed', message: 'OOMKilled (exit code 137)', retry: false },
  { why: 'SIGTERM from activeDeadlineSeconds', exitCode: '143', status: 'Failed', message: 'Step exceeded its deadline', retry: false },
  { why: 'SIGINT', exitCode: '130', status: 'Failed', retry: false },
];

/** Problems of one retry expression against the table (empty when it behaves). */
function retryBehaviourProblems(expression) {
  if (typeof expression !== 'string') return ['no retryStrategy.expression'];
  const problems = [];
  for (const row of RETRY_TABLE) {
    let got;
    try {
      got = evaluate(expression, retryEnv(row));
    } catch (error) {
      problems.push(`${row.why}: ${error.message}`);
      continue;
    }
    if (got !== row.retry) problems.push(`${row.why} (exitCode ${row.exitCode}, ${row.status}${row.message ? `, "${row.message}"` : ''}): retry=${got}, want ${row.retry}`);
  }
  return problems;
}

/** The yaml code blocks of a section of a Markdown file, parsed. */
/** The YAML code blocks of a markdown file in the repository, parsed. */
function yamlBlocks(markdownFile) {
  const markdown = readFileSync(join(ROOT, markdownFile), 'utf8');
  return [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => YAML.parse(m[1]));
}

/** Every retryStrategy object anywhere inside a value. */
function findRetryStrategies(value, found = []) {
  if (Array.isArray(value)) value.forEach((v) => findRetryStrategies(v, found));
  else if (value && typeof value === 'object') {
    if (value.retryStrategy) found.push(value.retryStrategy);
    Object.values(value).forEach((v) => findRetryStrategies(v, found));
  }
  return found;
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

    test(`${file}: aggregate is called with existing flags, archive: none outputs, memory set`, () => {
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
        }
      }
      // Calls into the `aggregate` WorkflowTemplate: the template exists, the parameters
      // passed are ones it declares, required ones are passed, and the resulting command line
      // is valid.
      for (const doc of docs) {
        for (const template of templatesOf(doc)) {
          for (const step of callsOf(template)) {
            if (!step.templateRef) continue;
            calls += checkTemplateRefCall(step, `${file} ${template.name}/${step.name}`, doc);
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

describe('production policies, on every manifest', () => {
  const argo = manifests.flatMap(({ file, docs }) => docs.map((doc) => ({ file, doc })));
  const each = (check) => argo.flatMap(({ file, doc }) => check(file, doc));

  const withRefs = (check) => (file, doc) => check(file, doc, resolveTemplateRef);
  const POLICIES = [
    ['every pod passes the Pod Security "restricted" profile', restrictedProblems],
    ['outputs on an emptyDir with a sizeLimit; collect containers have a read-only root and write only to writable mounts', outputsProblems],
    ['collect outputs carry no hard-coded artifact key', collectKeyProblems],
    ['every collect step passes --expect', withRefs(expectProblems)],
    ['storage classes are a required workflow parameter', storageClassProblems],
    ['GC: volumes kept for argo retry (OnWorkflowSuccess) with a TTL, podGC, artifactGC for uploaded fragments', gcProblems],
    ['fsGroup only with fsGroupChangePolicy: OnRootMismatch', fsGroupProblems],
    ['the directories collect steps read are made by a setup step, before the writers', withRefs(setupProblems)],
    ['scripts never printf parameter text into a JSON string', printfJsonProblems],
    ['consumers of an archive artifact take it with archive: none', archiveInputProblems],
  ];
  for (const [name, check] of POLICIES) test(name, () => assert.deepEqual(each(check), []));

  test('some manifest has a volume claim and some an archive consumer (the checks above check something)', () => {
    assert.ok(argo.some(({ doc }) => (specOf(doc).volumeClaimTemplates ?? []).length > 0));
    assert.ok(argo.some(({ doc }) => templatesOf(doc).some((t) => (t.inputs?.artifacts ?? []).some((a) => /\.tar\.gz$/.test(a.path ?? '')))));
  });

  test('every collect step retries exit 1 and infrastructure errors, never 2, 3 or 4, with a backoff', () => {
    const found = argo.flatMap(({ file, doc }) => retryExpressions(file, doc));
    assert.ok(found.length >= 6, `expected the collect steps, found ${found.length}`);
    const problems = [];
    for (const { where, expression, backoff } of found) {
      for (const p of retryBehaviourProblems(expression)) problems.push(`${where}: ${p}`);
      if (!backoff?.duration) problems.push(`${where}: retryStrategy.backoff.duration is not set`);
    }
    assert.deepEqual(problems, []);
  });

  test("docs/argo.md's documented retry expression behaves the same", () => {
    const strategies = yamlBlocks(ARGO_DOC).flatMap((block) => findRetryStrategies(block));
    assert.ok(strategies.length > 0, `${ARGO_DOC} shows no retryStrategy`);
    for (const s of strategies) assert.deepEqual(retryBehaviourProblems(s.expression), [], s.expression);
  });

  test("docs/argo.md's collect step is valid and passes the same policies", () => {
    const steps = yamlBlocks(ARGO_DOC).flat().filter((t) => t && invocations(t).length > 0);
    assert.ok(steps.length > 0, `${ARGO_DOC} shows no collect step`);
    const templateSchema = ajv.getSchema(`${schema.$id}#/definitions/${DEF}Template`);
    for (const t of steps) {
      assert.ok(templateSchema(t), JSON.stringify(templateSchema.errors));
      const doc = { kind: 'WorkflowTemplate', metadata: { name: 'readme' }, spec: { templates: [t] } };
      const problems = [
        ...restrictedProblems(ARGO_DOC, doc),
        ...outputsProblems(ARGO_DOC, doc),
        ...collectKeyProblems(ARGO_DOC, doc),
        ...expectProblems(ARGO_DOC, doc, resolveTemplateRef),
        ...invocations(t).flatMap(({ argv }) => checkArgv(argv).problems),
      ];
      assert.deepEqual(problems, []);
    }
  });

  test("the README's templateRef call is a valid step that passes the template's parameters", () => {
    const steps = yamlBlocks('README.md').flat(2).filter((step) => step?.templateRef);
    assert.ok(steps.length > 0, 'the README shows no templateRef call');
    const stepSchema = ajv.getSchema(`${schema.$id}#/definitions/${DEF}WorkflowStep`);
    let calls = 0;
    for (const step of steps) {
      assert.ok(stepSchema(step), JSON.stringify(stepSchema.errors));
      const doc = { kind: 'Workflow', metadata: { name: 'readme' }, spec: { arguments: { parameters: [{ name: 'items', value: '[1,2]' }] }, templates: [] } };
      calls += checkTemplateRefCall(step, 'README.md', doc);
    }
    assert.ok(calls > 0);
  });

  test('every {{= ...}} expression in the manifests is in the evaluated subset', () => {
    const problems = [];
    for (const { file } of manifests) {
      const text = readFileSync(join(EXAMPLES, file), 'utf8');
      for (const m of text.matchAll(/\{\{=(.*?)\}\}/g)) {
        try {
          parse(m[1]);
        } catch (error) {
          problems.push(`${file}: ${m[1]}: ${error.message}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});

describe('the aggregate WorkflowTemplate', () => {
  const wt = workflowTemplates.get('aggregate');
  const cwt = clusterWorkflowTemplates.get('aggregate');

  test('exists as a WorkflowTemplate and as an identical ClusterWorkflowTemplate', () => {
    assert.ok(wt, 'no WorkflowTemplate named aggregate');
    assert.ok(cwt, 'no ClusterWorkflowTemplate named aggregate (cluster-wide install)');
    assert.deepEqual(cwt.spec, wt.spec, 'the two variants drifted apart');
  });

  test('pattern and output defaults follow the mode', () => {
    const collect = wt.spec.templates.find((t) => t.name === 'collect');
    const modes = collect.inputs.parameters.find((p) => p.name === 'mode').enum;
    assert.deepEqual(modes, ['json', 'tar', 'zip']);
    const want = { json: ['**/*.json', /\.json$/], tar: ['**/*', /\.tar\.gz$/], zip: ['**/*', /\.zip$/] };
    for (const mode of modes) {
      const passed = new Map([['mode', mode], ['expect', '3']]);
      const [{ argv }] = invocations(collect);
      const effective = substitute(argv, collect, passed);
      const { problems, options } = checkArgv(effective);
      assert.deepEqual(problems, [], `mode ${mode}: aggregate ${effective.join(' ')}`);
      assert.deepEqual(options['--pattern'] ?? [want[mode][0]], [want[mode][0]], `mode ${mode}: pattern`);
      assert.match(options['--output'][0], want[mode][1], `mode ${mode}: output name`);
      const scope = scopeFor(collect, passed);
      const artifact = collect.outputs.artifacts.find((a) => a.name === 'result');
      assert.equal(resolve(artifact.path, scope), options['--output'][0], `mode ${mode}: the artifact uploads what aggregate wrote`);
    }
  });

  test('an explicit pattern and output are used as given', () => {
    const collect = wt.spec.templates.find((t) => t.name === 'collect');
    const [{ argv }] = invocations(collect);
    const effective = substitute(argv, collect, new Map([['mode', 'tar'], ['expect', '3'], ['pattern', 'bin/*.bin'], ['output', 'x.tgz']]));
    const { options } = checkArgv(effective);
    assert.deepEqual(options['--pattern'], ['bin/*.bin']);
    assert.deepEqual(options['--output'], ['/tmp/out/x.tgz']);
  });

  test('the stats parameter is read with a default (a missing file never turns a failure into an Error)', () => {
    const collect = wt.spec.templates.find((t) => t.name === 'collect');
    const stats = collect.outputs.parameters.find((p) => p.name === 'stats');
    assert.equal(stats.valueFrom.default, '{}');
  });

  test('kustomization.yaml installs it with one kubectl apply -k, image set in one place', () => {
    const k = YAML.parse(readFileSync(join(EXAMPLES, KUSTOMIZATION), 'utf8'));
    assert.equal(k.kind, 'Kustomization');
    for (const r of k.resources) assert.ok(existsSync(join(EXAMPLES, r)), `resource ${r} missing`);
    const installed = k.resources.flatMap((r) => loadDocs(readFileSync(join(EXAMPLES, r), 'utf8'), r));
    assert.ok(installed.every((d) => d.kind === 'WorkflowTemplate' && d.metadata.name), 'kubectl apply needs named templates (no generateName workflows)');
    for (const { target, patch } of k.patches ?? []) {
      const doc = installed.find((d) => d.kind === target.kind && d.metadata.name === target.name);
      assert.ok(doc, `patch target ${target.kind}/${target.name} is not among the resources`);
      for (const op of YAML.parse(patch)) {
        const at = op.path.split('/').slice(1).reduce((v, key) => (v === undefined ? v : v[key]), doc);
        assert.notEqual(at, undefined, `patch path ${op.path} does not exist in ${target.name} (replace needs it)`);
        if (op.path.endsWith('/image')) assert.equal(typeof op.value, 'string');
      }
    }
  });
});

describe('the policy checks can fail', () => {
  const load = (file) => structuredClone(manifests.find((m) => m.file === file).docs[0]);
  const collectOf = (doc) => templatesOf(doc).find((t) => invocations(t).length > 0);

  test('the expression of the issue (exit code 1 only) misses every infrastructure error', () => {
    const problems = retryBehaviourProblems('asInt(lastRetry.exitCode) == 1');
    assert.ok(problems.some((p) => p.startsWith('pod deleted')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('output upload failed')), problems.join('\n'));
    assert.deepEqual(retryBehaviourProblems('lastRetry.status == "Error" || asInt(lastRetry.exitCode) == 1').filter((p) => p.startsWith('invalid data, then')).length, 1);
  });

  test('a container without seccomp or dropped capabilities fails the restricted profile', () => {
    const doc = load('json-fan-in.yaml');
    delete doc.spec.securityContext.seccompProfile;
    delete collectOf(doc).container.securityContext.capabilities;
    const problems = restrictedProblems('x', doc);
    assert.ok(problems.some((p) => p.includes('seccompProfile')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('capabilities.drop')), problems.join('\n'));
  });

  test('outputs in the root file system, a writable root, stdout without TMPDIR fail', () => {
    const doc = load('json-fan-in.yaml');
    const c = collectOf(doc);
    c.container.volumeMounts = c.container.volumeMounts.filter((m) => m.name !== 'out');
    c.container.securityContext.readOnlyRootFilesystem = false;
    let problems = outputsProblems('x', doc);
    assert.ok(problems.some((p) => p.includes('not on an emptyDir')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('readOnlyRootFilesystem')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('not on a writable volume mount')), problems.join('\n'));
    const doc2 = load('json-fan-in.yaml');
    const c2 = collectOf(doc2);
    const o = c2.container.args.indexOf('-o');
    c2.container.args.splice(o, 2);
    c2.container.env = [];
    problems = outputsProblems('x', doc2);
    assert.ok(problems.some((p) => p.includes('TMPDIR')), problems.join('\n'));
  });

  test('an s3 key on a collect output, a missing --expect, a literal storage class fail', () => {
    const doc = load('json-fan-in.yaml');
    const c = collectOf(doc);
    c.outputs.artifacts[0].s3 = { key: '{{workflow.name}}/results.json' };
    c.container.args.splice(c.container.args.indexOf('--expect'), 2);
    doc.spec.volumeClaimTemplates[0].spec.storageClassName = 'nfs-client';
    assert.equal(collectKeyProblems('x', doc).length, 1);
    assert.equal(expectProblems('x', doc, resolveTemplateRef).length, 1);
    assert.equal(storageClassProblems('x', doc).length, 1);
  });

  test('OnWorkflowCompletion, no TTL, no podGC, fsGroup without OnRootMismatch, no setup step fail', () => {
    const doc = load('json-fan-in.yaml');
    doc.spec.volumeClaimGC.strategy = 'OnWorkflowCompletion';
    delete doc.spec.ttlStrategy;
    delete doc.spec.podGC;
    delete doc.spec.securityContext.fsGroupChangePolicy;
    doc.spec.templates.find((t) => t.name === 'main').steps[0] = [{ name: 'list', template: 'list-items' }];
    assert.equal(gcProblems('x', doc).length, 3);
    assert.equal(fsGroupProblems('x', doc).length, 1);
    assert.equal(setupProblems('x', doc, resolveTemplateRef).length, 1);
  });

  test('uploaded fragments without artifactGC fail', () => {
    const doc = load('s3-prefix.yaml');
    delete doc.spec.artifactGC;
    assert.equal(gcProblems('x', doc).length, 1);
  });

  test('a printf of item text into JSON and an archive consumed without archive: none fail', () => {
    const doc = load('json-fan-in-templateref.yaml');
    const work = doc.spec.templates.find((t) => t.name === 'work');
    work.script.source = `printf '{"city": "%s"}' "{{inputs.parameters.city}}" > x`;
    assert.equal(printfJsonProblems('x', doc).length, 1);
    const bin = load('binary-fan-in.yaml');
    delete bin.spec.templates.find((t) => t.name === 'inspect').inputs.artifacts[0].archive;
    assert.equal(archiveInputProblems('x', bin).length, 2);
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
  // The built bin (npm test builds first); a missing build fails here rather than skipping.
  test('every flag the examples may use is an option of aggregate --help, with the same alias', () => {
    assert.ok(existsSync(BIN), `${BIN} not built: run npm run build`);
    // Whole flags, as --help lists them: `--expect` is not found inside `--expect-names`.
    const options = helpOptions(helpText());
    const missing = [];
    for (const [name, spec] of Object.entries(FLAGS)) {
      if (!options.has(name)) missing.push(name);
      else if (spec.alias && options.get(name).alias !== spec.alias) missing.push(`${spec.alias} (alias of ${name})`);
    }
    assert.deepEqual(missing, [], `aggregate --help does not list ${missing.join(', ')}`);
  });
});
