// Validates every manifest in examples/ and deploy/ (and the Argo snippets of docs/argo.md):
//  - against Argo's v4.1 JSON schema (vendored: test/fixtures/argo/), with every object
//    definition closed (`additionalProperties: false`) so a misspelt field fails instead of being
//    ignored the way the open schema (and kubectl apply) would;
//  - every `aggregate` invocation uses flags the CLI has, with valid values;
//  - policies a production cluster needs (test/helpers/manifests.js): Pod Security "restricted"
//    on every pod, read-only root and emptyDir outputs for collect steps, no hard-coded collect
//    keys, --expect on every collect, a required storage class parameter, GC settings, setup
//    steps, safe JSON in scripts, archive: none where archives are consumed;
//  - the retry expression: one, documented in docs/argo.md with its behaviour table, identical
//    in every manifest, and evaluated (test/helpers/expr.js) over the table's rows;
//  - the install base (deploy/): rendered with `kubectl kustomize`, every image set by an
//    overlay, every service account a manifest names defined, the executor patch;
//  - deadlines, retries and maxDuration consistent; metrics and stats read back from a real
//    run of the built CLI with the WorkflowTemplate's own command line.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { BIN, run, tempTrees } from './helpers/cli.js';
import { evaluate, parse, retryEnv } from './helpers/expr.js';
import { helpOptions, helpText } from './helpers/help.js';
import {
  FLAGS,
  checkArgv,
  fromScript,
  templatesOf,
  specOf,
  containersOf,
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
  collectTemplates,
  serviceAccountRefs,
  serviceAccountProblems,
  deadlineProblems,
  observabilityProblems,
  metricConsistencyProblems,
  backoffWaits,
  durationSeconds,
  mebibytes,
  COLLECT_METRICS,
  INCOMPLETE_COUNTER,
} from './helpers/manifests.js';

const ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = join(ROOT, 'examples');
const DEPLOY = join(ROOT, 'deploy');
const DOCS = join(ROOT, 'docs', 'argo.md');
/** Where the collect step and its retry expression are documented. */
const ARGO_DOC = 'docs/argo.md';
// Vendored (test/fixtures/README.md): a missing schema fails this file at load, never skips it.
const SCHEMA_PATH = join(ROOT, 'test', 'fixtures', 'argo', 'workflow-schema.json');
const DEF = 'io.argoproj.workflow.v1alpha1.';
const KINDS = ['Workflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate', 'CronWorkflow'];
/** The Kubernetes kinds the install base ships besides Argo's. */
const K8S_KINDS = ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap'];

/** Definitions that are free-form by design (documented as arbitrary maps). */
const OPEN_DEFINITIONS = new Set(['io.argoproj.workflow.v1alpha1.Plugin', 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1']);

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

/** Manifest files under a directory, recursively, as paths relative to ROOT; kustomize's own files are not manifests. */
const KUSTOMIZE_FILES = new Set(['kustomization.yaml', 'kustomizeconfig.yaml']);
function manifestFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !KUSTOMIZE_FILES.has(e.name))
    .map((e) => relative(ROOT, join(e.parentPath ?? e.path, e.name)))
    .sort();
}
const files = [...manifestFiles(EXAMPLES), ...manifestFiles(DEPLOY)];
const allManifests = files.map((file) => ({ file, docs: loadDocs(readFileSync(join(ROOT, file), 'utf8'), file) }));
/** Argo documents only (Workflow, WorkflowTemplate, ...), by file. */
const manifests = allManifests.map(({ file, docs }) => ({ file, docs: docs.filter((d) => KINDS.includes(d.kind)) })).filter(({ docs }) => docs.length > 0);
/** Kubernetes documents of the install base (ServiceAccount, Role, RoleBinding, ConfigMap). */
const k8sDocs = allManifests.flatMap(({ file, docs }) => docs.filter((d) => !KINDS.includes(d.kind)).map((doc) => ({ file, doc })));

/** The WorkflowTemplates and ClusterWorkflowTemplates defined by the examples, by name. */
const byKind = (kind) => new Map(manifests.flatMap(({ docs }) => docs.filter((d) => d.kind === kind).map((d) => [d.metadata.name, d])));
const workflowTemplates = byKind('WorkflowTemplate');
const clusterWorkflowTemplates = byKind('ClusterWorkflowTemplate');
const resolveTemplateRef = (ref) =>
  ((ref.clusterScope ? clusterWorkflowTemplates : workflowTemplates).get(ref.name)?.spec.templates ?? []).find((t) => t.name === ref.template);

/** Values for a template's parameters as a caller would pass them: a count for expect, "1" for other required ones. */
function probeParameters(template) {
  const passed = new Map();
  for (const p of template.inputs?.parameters ?? []) {
    if (p.name === 'expect') passed.set(p.name, '3');
    else if (p.value === undefined && p.default === undefined) passed.set(p.name, '1');
  }
  return passed;
}

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
// The retry expression and its behaviour table live in one place: docs/argo.md, section
// "Retries". Argo (workflow/controller/operator.go, buildRetryStrategyLocalScope) gives the
// expression lastRetry.{exitCode,status,message,duration} as strings; exitCode is the main
// container's, "-1" when the node has none (a pod evicted or deleted before main ended).
// ---------------------------------------------------------------------------------------------
const docsText = existsSync(DOCS) ? readFileSync(DOCS, 'utf8') : '';

/** The body of a `## heading` section of a Markdown text ('' when absent). */
function section(markdown, heading) {
  const at = markdown.indexOf(`\n## ${heading}\n`);
  if (at < 0) return '';
  const end = markdown.indexOf('\n## ', at + 4);
  return markdown.slice(at, end < 0 ? undefined : end);
}

/** The rows of the first Markdown table in a text whose header starts with `first`, as arrays of cells. */
function tableRows(text, first) {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^\\|\\s*${first}\\s*\\|`, 'i').test(l));
  if (at < 0) return [];
  const rows = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, line.endsWith('|') ? -1 : undefined)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}
const unquote = (cell) => cell.replace(/^`(.*)`$/, '$1');

/** The documented behaviour table: { exitCode, status, message, retry, why } per row. */
const RETRY_TABLE = tableRows(section(docsText, 'Retries'), 'exit code').map(([exitCode, status, message, retried, why]) => ({
  exitCode: unquote(exitCode),
  status,
  message: unquote(message ?? ''),
  retry: retried === 'yes' ? true : retried === 'no' ? false : retried,
  why,
}));

/** Every retryStrategy shown anywhere in docs/argo.md, and those of its Retries section. */
const allYamlBlocks = (markdown) => [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => YAML.parse(m[1]));
const DOC_STRATEGIES = allYamlBlocks(docsText).flatMap((b) => findRetryStrategies(b));
const DOCUMENTED = yamlBlocks(docsText, 'Retries')
  .flatMap((b) => findRetryStrategies(b))
  .map((r) => r.expression);

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
    if (got !== row.retry)
      problems.push(`${row.why} (exitCode ${row.exitCode}, ${row.status}${row.message ? `, "${row.message}"` : ''}): retry=${got}, want ${row.retry}`);
  }
  return problems;
}

/** The yaml code blocks of a section of a Markdown file, parsed. */
function yamlBlocks(markdown, heading) {
  return [...section(markdown, heading).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => YAML.parse(m[1]));
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
            const effective = substitute(argv, template, probeParameters(template), doc);
            const { problems } = checkArgv(effective);
            assert.deepEqual(problems, [], `${file} template ${template.name} (${where}): aggregate ${effective.join(' ')}`);
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
  const mk = tempTrees('agg-policies-');
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

  test('docs/argo.md documents one retry expression and a behaviour table covering evictions, drains, deletions and 2/3/4', () => {
    assert.equal(DOCUMENTED.length, 1, `docs/argo.md, "## Retries", must show exactly one retry expression, found ${JSON.stringify(DOCUMENTED)}`);
    assert.equal(DOC_STRATEGIES.length, 1, 'docs/argo.md shows the retryStrategy in one place only (its Retries section)');
    const has = (what, pred) => assert.ok(RETRY_TABLE.some(pred), `the behaviour table has no row for ${what}`);
    for (const code of ['1', '2', '3', '4']) has(`exit ${code}`, (r) => r.exitCode === code && r.status === 'Failed' && r.retry === (code === '1'));
    has('an OOM kill of main (137, not retried)', (r) => r.exitCode === '137' && /OOMKilled/.test(r.message) && r.retry === false);
    has(
      'a node-pressure eviction without an exit code',
      (r) => r.exitCode === '-1' && r.status === 'Failed' && /^The node was low on resource/.test(r.message) && r.retry === true,
    );
    has('a node-pressure eviction with exit 137', (r) => r.exitCode === '137' && /^The node was low on resource/.test(r.message) && r.retry === true);
    has('a drained node (143)', (r) => r.exitCode === '143' && r.status === 'Failed' && r.retry === true);
    has('a deleted pod', (r) => r.status === 'Error' && /pod deleted/.test(r.message) && r.retry === true);
    has('an init container failure', (r) => r.status === 'Error' && /^init: |failed to load artifacts/.test(r.message) && r.retry === true);
    has('a wait container failure', (r) => r.status === 'Error' && /^wait: |failed to save outputs/.test(r.message) && r.retry === true);
    has('130 (SIGINT)', (r) => r.exitCode === '130' && r.retry === false);
    has('2, 3 or 4 with status Error', (r) => ['2', '3', '4'].includes(r.exitCode) && r.status === 'Error' && r.retry === false);
    for (const r of RETRY_TABLE) assert.equal(typeof r.retry, 'boolean', `row "${r.why}": retried must be yes or no`);
  });

  test('the documented expression behaves as its table says', () => {
    assert.ok(RETRY_TABLE.length >= 12, 'the behaviour table is missing');
    assert.deepEqual(retryBehaviourProblems(DOCUMENTED[0]), []);
  });

  test('every collect step uses the documented expression, character for character, with a backoff', () => {
    const found = argo.flatMap(({ file, doc }) => retryExpressions(file, doc));
    assert.ok(found.length >= 8, `expected the collect steps, found ${found.length}`);
    const problems = [];
    for (const { where, expression, backoff } of found) {
      if (expression !== DOCUMENTED[0]) problems.push(`${where}: the expression differs from docs/argo.md's:\n    ${expression}\n    ${DOCUMENTED[0]}`);
      if (!backoff?.duration) problems.push(`${where}: retryStrategy.backoff.duration is not set`);
    }
    assert.deepEqual(problems, []);
  });

  test('every service account a manifest names is a ServiceAccount of deploy/', () => {
    const defined = new Set(k8sDocs.filter(({ doc }) => doc.kind === 'ServiceAccount').map(({ doc }) => doc.metadata.name));
    const refs = [...argo, ...k8sDocs].flatMap(({ file, doc }) => serviceAccountRefs(doc).map((r) => ({ file, ...r })));
    assert.ok(refs.length >= manifests.length, 'too few service account references: the check checks nothing');
    assert.deepEqual(
      refs.filter((r) => !defined.has(r.name)).map((r) => `${r.file}: ${r.where}: ${r.name} is not defined in deploy/`),
      [],
    );
  });

  test('workflows run under a named account; artifact GC names its account and forces the finalizer off', () => {
    assert.deepEqual(each(serviceAccountProblems), []);
    assert.ok(
      argo.some(({ doc }) => specOf(doc).artifactGC),
      'no manifest uses artifactGC',
    );
  });

  test('every collect template has a deadline parameter, uses it, and maxDuration fits limit x deadline + backoff', () => {
    assert.deepEqual(
      each((file, doc) => deadlineProblems(file, doc, [60, 600, 3600])),
      [],
    );
  });

  test("every collect container's memory covers docs/argo.md's measured peak RSS for its input (request >= peak, limit >= 1.5 x peak)", () => {
    const rows = tableRows(section(docsText, 'Memory'), 'input').map(([input, count, rss]) => ({
      input,
      count: Number(count.replace(/,/g, '')),
      mib: Number.parseFloat(rss),
    }));
    for (const want of ['local json', 'local tar', 'local zip', 's3 json'])
      assert.ok(
        rows.some((r) => r.input === want && r.mib > 0),
        `docs/argo.md, "## Memory", has no ${want} row`,
      );
    const peak = (inputs) => Math.max(...rows.filter((r) => inputs.includes(r.input)).map((r) => r.mib));
    const problems = [];
    for (const { file, doc } of argo) {
      for (const t of collectTemplates(doc)) {
        const main = t.container ?? t.script;
        for (const { argv } of invocations(t)) {
          const { options, positionals } = checkArgv(substitute(argv, t, probeParameters(t), doc));
          const mode = options['--mode']?.[0] ?? 'json';
          const inputs = positionals[0]?.startsWith('s3://')
            ? [`s3 ${mode}`]
            : /^(json|tar|zip)$/.test(mode)
              ? [`local ${mode}`]
              : ['local json', 'local tar', 'local zip'];
          const need = peak(inputs);
          const request = mebibytes(main.resources.requests.memory);
          const limit = mebibytes(main.resources.limits.memory);
          if (request < need) problems.push(`${file} template ${t.name}: memory request ${request} MiB < ${need} MiB measured for ${inputs.join('/')}`);
          if (limit < 1.5 * need) problems.push(`${file} template ${t.name}: memory limit ${limit} MiB < 1.5 x ${need} MiB`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test('a partial fan-in example: writers may fail, the collect step decides with max-missing, and complete/missing/files/values are outputs', async () => {
    const found = argo.filter(({ doc }) =>
      templatesOf(doc).some((t) => {
        const steps = callsOf(t);
        const tolerant = t.failFast === false || steps.some((st) => st.continueOn?.failed === true);
        return tolerant && steps.some((st) => st.templateRef?.name === 'aggregate' && (st.arguments?.parameters ?? []).some((p) => p.name === 'max-missing'));
      }),
    );
    assert.ok(found.length > 0, 'no example lets the collect step run after failed writers and decide with max-missing');
    // The outputs, evaluated over the stats of a real partial run (3 of 4 fragments, max-missing 1).
    const dir = mk({ 'part-1.json': '1', 'part-2.json': '2', 'part-3.json': '3' });
    const r = await run([dir, '--expect', '4', '--max-missing', '1', '-o', join(dir, '.out.json'), '--stats', join(dir, '.stats.json'), '-q']);
    assert.equal(r.code, 0, r.stderr);
    const statsText = readFileSync(join(dir, '.stats.json'), 'utf8');
    for (const { file, doc } of found) {
      const main = templatesOf(doc).find((t) => t.name === specOf(doc).entrypoint);
      const outputs = new Map((main.outputs?.parameters ?? []).map((p) => [p.name, p.valueFrom?.expression]));
      const collectStep = callsOf(main).find((st) => st.templateRef?.name === 'aggregate').name;
      const env = { steps: { [collectStep]: { outputs: { parameters: { stats: statsText } } } } };
      const got = Object.fromEntries(['complete', 'missing', 'files', 'values'].map((name) => [name, outputs.get(name) && evaluate(outputs.get(name), env)]));
      assert.deepEqual(got, { complete: false, missing: 1, files: 3, values: 3 }, file);
    }
  });

  test('collect containers fall back to their logs for the node message and emit the Prometheus metrics', () => {
    assert.deepEqual(each(observabilityProblems), []);
  });

  test('a metric name means one help text, one type and one set of label keys in every manifest and in docs/argo.md (Argo refuses a second help text)', () => {
    const docSteps = allYamlBlocks(docsText)
      .flat()
      .filter((t) => t && t.metrics);
    assert.ok(docSteps.length > 0, `${ARGO_DOC} shows no template with metrics`);
    const sources = [...argo.map(({ file, doc }) => ({ file, templates: templatesOf(doc) })), { file: ARGO_DOC, templates: docSteps }];
    assert.deepEqual(metricConsistencyProblems(sources), []);
  });

  test("docs/argo.md's collect step is valid and passes the same policies", () => {
    const steps = allYamlBlocks(docsText)
      .flat()
      .filter((t) => t && invocations(t).length > 0);
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
        ...observabilityProblems(ARGO_DOC, doc),
        ...invocations(t).flatMap(({ argv }) => checkArgv(substitute(argv, t, probeParameters(t), doc)).problems),
      ];
      assert.deepEqual(problems, []);
    }
  });

  test("the README's templateRef call is a valid step that passes the template's parameters", () => {
    const steps = allYamlBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))
      .flat(2)
      .filter((step) => step?.templateRef);
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
      const text = readFileSync(join(ROOT, file), 'utf8');
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
      const passed = new Map([
        ['mode', mode],
        ['expect', '3'],
      ]);
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
    const effective = substitute(
      argv,
      collect,
      new Map([
        ['mode', 'tar'],
        ['expect', '3'],
        ['pattern', 'bin/*.bin'],
        ['output', 'x.tgz'],
      ]),
    );
    const { options } = checkArgv(effective);
    assert.deepEqual(options['--pattern'], ['bin/*.bin']);
    assert.deepEqual(options['--output'], ['/tmp/out/x.tgz']);
  });

  test('the stats parameter is read with a default (a missing file never turns a failure into an Error)', () => {
    const collect = wt.spec.templates.find((t) => t.name === 'collect');
    const stats = collect.outputs.parameters.find((p) => p.name === 'stats');
    assert.equal(stats.valueFrom.default, '{}');
  });

  test('its pod leaves the uid to the image (OpenShift assigns its own) and stays restricted', () => {
    for (const t of [wt, cwt]) {
      const collect = t.spec.templates.find((x) => x.name === 'collect');
      assert.equal(collect.securityContext.runAsNonRoot, true);
      assert.equal(collect.securityContext.runAsUser, undefined, 'runAsUser pins a uid that OpenShift restricted SCCs reject');
      assert.equal(collect.securityContext.runAsGroup, undefined);
    }
    assert.match(
      readFileSync(join(ROOT, 'Dockerfile'), 'utf8'),
      /^USER 65532:65532$/m,
      'the image must set a numeric non-root USER for runAsNonRoot to verify',
    );
  });
});

describe('the policy checks can fail', () => {
  const load = (file) => structuredClone(manifests.find((m) => m.file.endsWith(`/${file}`)).docs[0]);
  const collectOf = (doc) => templatesOf(doc).find((t) => invocations(t).length > 0);

  test('the earlier expressions fail the table: exit 1 only, and the one that missed evictions', () => {
    let problems = retryBehaviourProblems('asInt(lastRetry.exitCode) == 1');
    assert.ok(
      problems.some((p) => /pod deleted/.test(p)),
      problems.join('\n'),
    );
    problems = retryBehaviourProblems(
      '!(asInt(lastRetry.exitCode) in [2, 3, 4]) && (asInt(lastRetry.exitCode) == 1 || lastRetry.status == "Error" || lastRetry.message matches "pod deleted|imminent node shutdown")',
    );
    assert.ok(
      problems.some((p) => /The node was low on resource/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /exitCode 143/.test(p)),
      problems.join('\n'),
    );
    problems = retryBehaviourProblems('lastRetry.status == "Error" || asInt(lastRetry.exitCode) in [-1, 0, 1, 137, 143]');
    assert.ok(
      problems.some((p) => /exitCode [234], Error/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /OOMKilled/.test(p)),
      problems.join('\n'),
    );
  });

  test('a missing service account, no forceFinalizerRemoval, no deadline, a short maxDuration, no metrics fail', () => {
    const doc = load('s3-prefix.yaml');
    delete doc.spec.serviceAccountName;
    doc.spec.artifactGC.forceFinalizerRemoval = false;
    assert.equal(serviceAccountProblems('x', doc).length, 2);
    const c = collectOf(doc);
    c.retryStrategy.backoff.maxDuration = '5m';
    let problems = deadlineProblems('x', doc);
    assert.ok(
      problems.some((p) => /the last attempts are cut short/.test(p)),
      problems.join('\n'),
    );
    c.retryStrategy.backoff.maxDuration = '86400';
    problems = deadlineProblems('x', doc);
    assert.ok(
      problems.some((p) => /no longer bounds/.test(p)),
      problems.join('\n'),
    );
    delete c.activeDeadlineSeconds;
    assert.ok(deadlineProblems('x', doc).some((p) => /activeDeadlineSeconds/.test(p)));
    c.inputs.parameters = c.inputs.parameters.filter((p) => p.name !== 'deadline');
    assert.ok(deadlineProblems('x', doc).some((p) => /no deadline input parameter/.test(p)));
    delete (c.container ?? c.script).terminationMessagePolicy;
    c.metrics.prometheus = c.metrics.prometheus.filter((m) => m.name !== 'aggregate_missing');
    c.metrics.prometheus[0].gauge.value = '{{outputs.parameters.stats}}';
    problems = observabilityProblems('x', doc);
    assert.equal(problems.length, 3, problems.join('\n'));
    c.metrics.prometheus = c.metrics.prometheus.filter((m) => m.name !== INCOMPLETE_COUNTER.name);
    problems = observabilityProblems('x', doc);
    assert.ok(
      problems.some((p) => p.includes(INCOMPLETE_COUNTER.name)),
      problems.join('\n'),
    );
    const other = structuredClone(collectOf(load('s3-prefix.yaml')));
    other.metrics.prometheus[0].help = 'Fragments read';
    other.metrics.prometheus[1].labels = [{ key: 'workflow-template', value: 'x' }];
    problems = metricConsistencyProblems([
      { file: 'a', templates: [collectOf(load('s3-prefix.yaml'))] },
      { file: 'b', templates: [other] },
    ]);
    assert.equal(problems.length, 3, problems.join('\n'));
  });

  test("Argo's backoff: waits double from the base, capped, and maxDuration accepts seconds or Go durations", () => {
    assert.deepEqual(backoffWaits({ limit: '3', backoff: { duration: '30', factor: '2' } }), [30, 60, 120]);
    assert.deepEqual(backoffWaits({ limit: '4', backoff: { duration: '10s', factor: '3', cap: '1m' } }), [10, 30, 60, 60]);
    assert.equal(durationSeconds('1h2m3s'), 3723);
    assert.throws(() => durationSeconds('5 minutes'));
  });

  test('a container without seccomp or dropped capabilities fails the restricted profile', () => {
    const doc = load('json-fan-in.yaml');
    delete doc.spec.securityContext.seccompProfile;
    delete collectOf(doc).container.securityContext.capabilities;
    const problems = restrictedProblems('x', doc);
    assert.ok(
      problems.some((p) => p.includes('seccompProfile')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('capabilities.drop')),
      problems.join('\n'),
    );
  });

  test('outputs in the root file system, a writable root, stdout without TMPDIR fail', () => {
    const doc = load('json-fan-in.yaml');
    const c = collectOf(doc);
    c.container.volumeMounts = c.container.volumeMounts.filter((m) => m.name !== 'out');
    c.container.securityContext.readOnlyRootFilesystem = false;
    let problems = outputsProblems('x', doc);
    assert.ok(
      problems.some((p) => p.includes('not on an emptyDir')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('readOnlyRootFilesystem')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('not on a writable volume mount')),
      problems.join('\n'),
    );
    const doc2 = load('json-fan-in.yaml');
    const c2 = collectOf(doc2);
    const o = c2.container.args.indexOf('-o');
    c2.container.args.splice(o, 2);
    c2.container.env = [];
    problems = outputsProblems('x', doc2);
    assert.ok(
      problems.some((p) => p.includes('TMPDIR')),
      problems.join('\n'),
    );
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
  const base = manifests.find((m) => m.file === 'examples/json-fan-in.yaml');
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
    assert.ok(
      errors.some((e) => e.startsWith('/spec ') && e.includes("'volumeClaimTemplate'")),
      errors.join('\n'),
    );
  });

  test('a misspelt field deep inside a template (archve, expresion) fails', () => {
    const errors = mutate((doc) => {
      const collect = doc.spec.templates.find((t) => t.name === 'collect');
      collect.outputs.artifacts[0].archve = collect.outputs.artifacts[0].archive;
      delete collect.outputs.artifacts[0].archive;
      collect.retryStrategy.expresion = collect.retryStrategy.expression;
      delete collect.retryStrategy.expression;
    });
    assert.ok(
      errors.some((e) => e.includes("'archve'")),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => e.includes("'expresion'")),
      errors.join('\n'),
    );
  });

  test('a wrong type (limit as a number where the schema wants a string) fails', () => {
    const errors = mutate((doc) => {
      doc.spec.templates.find((t) => t.name === 'collect').retryStrategy.limit = [3];
    });
    assert.ok(
      errors.some((e) => e.includes('/retryStrategy/limit')),
      errors.join('\n'),
    );
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
    assert.deepEqual(checkArgv(['--mode', 'json', '/mnt', '--shrad', '0/2']).problems, [
      'unknown flag --shrad',
      'expected exactly one input directory, got ["/mnt","0/2"]',
    ]);
    assert.deepEqual(checkArgv(['--mode', 'xml', '/mnt']).problems, ['--mode xml: expected one of json, tar, zip']);
    assert.deepEqual(checkArgv(['--shard', '4/4', '/mnt']).problems, ['--shard 4/4: expected 0 <= i < N']);
    assert.deepEqual(
      fromScript('set -e\nexec aggregate --mode tar /mnt \\\n  -o "/tmp/out/a b.tar.gz" > /dev/null && ls', 's').map((f) => f.argv),
      [['--mode', 'tar', '/mnt', '-o', '/tmp/out/a b.tar.gz']],
    );
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

// ---------------------------------------------------------------------------------------------
// The install base, rendered by kustomize as `kubectl apply -k` would (no cluster needed).
// ---------------------------------------------------------------------------------------------
const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
// Skipped, with this message, only on a developer's machine without kubectl; under CI (CI=true)
// a missing kubectl fails these tests instead of skipping them.
const NO_KUBECTL = KUBECTL.status === 0 || process.env.CI ? false : 'kubectl is not on PATH: the deploy/ rendering tests need kubectl >= 1.27 (kustomize v5)';
const mkTree = tempTrees('agg-kustomize-');

/** `kubectl kustomize DIR`, parsed. */
function kustomize(dir) {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return YAML.parseAllDocuments(out).map((d) => d.toJS());
}

/** Every image of every container-like part of every Argo template in rendered documents. */
function imagesOf(docs) {
  return docs.filter((d) => KINDS.includes(d.kind)).flatMap((d) => templatesOf(d).flatMap((t) => containersOf(t).map(({ c }) => c.image)));
}

/** A temporary overlay over a deploy/ directory: { resources, namespace?, images }. */
function overlay(base, extra) {
  const dir = mkTree();
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    YAML.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [relative(dir, base)], ...extra }),
  );
  return dir;
}
const IMAGE = { name: 'registry.example.com/argo-aggregate', newName: 'registry.test.invalid/team/argo-aggregate', newTag: '9.8.7' };

describe('the install base (deploy/), rendered with kubectl kustomize', { skip: NO_KUBECTL }, () => {
  test('the example overlay sets every template image, puts everything in its namespace, and ships the RBAC', () => {
    const k = YAML.parse(readFileSync(join(DEPLOY, 'overlays/example/kustomization.yaml'), 'utf8'));
    const [want] = k.images;
    const docs = kustomize(join(DEPLOY, 'overlays/example'));
    const images = imagesOf(docs);
    assert.ok(images.length > 0, 'no template image rendered');
    assert.deepEqual([...new Set(images)], [`${want.newName}:${want.newTag}`]);
    assert.deepEqual([...new Set(docs.map((d) => d.metadata.namespace))], [k.namespace]);
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    for (const want of [
      'WorkflowTemplate/aggregate',
      'ServiceAccount/aggregate-workflow',
      'ServiceAccount/aggregate-artifact-gc',
      'Role/aggregate-executor',
      'RoleBinding/aggregate-executor',
      'Role/aggregate-artifact-gc',
      'RoleBinding/aggregate-artifact-gc',
    ]) {
      assert.ok(kinds.includes(want), `${want} not rendered: ${kinds.join(', ')}`);
    }
    for (const d of docs.filter((x) => KINDS.includes(x.kind))) assert.deepEqual(validate(d), [], `${d.kind} ${d.metadata.name} after kustomize`);
  });

  test('an overlay of the base and one of the cluster install set every image, containers, scripts, init containers and sidecars', () => {
    for (const base of ['base', 'cluster']) {
      const docs = kustomize(overlay(join(DEPLOY, base), { images: [IMAGE] }));
      const images = imagesOf(docs);
      assert.ok(images.length > 0, `${base}: no template image rendered`);
      assert.deepEqual([...new Set(images)], [`${IMAGE.newName}:${IMAGE.newTag}`], base);
    }
    // Paths the shipped templates do not use yet: a copy with a script, an init container and a sidecar.
    const dir = mkTree();
    cpSync(DEPLOY, join(dir, 'deploy'), { recursive: true });
    const wtFile = join(dir, 'deploy/base/workflow-template.yaml');
    const wt = YAML.parse(readFileSync(wtFile, 'utf8'));
    const image = IMAGE.name + ':0.1.0';
    wt.spec.templates.push({ name: 'more', script: { image, source: 'true' }, initContainers: [{ name: 'i', image }], sidecars: [{ name: 's', image }] });
    wt.spec.templates.push({ name: 'set', containerSet: { containers: [{ name: 'c', image }] } });
    writeFileSync(wtFile, YAML.stringify(wt));
    const images = imagesOf(kustomize(overlay(join(dir, 'deploy/base'), { images: [IMAGE] })));
    assert.equal(images.length, 5);
    assert.deepEqual([...new Set(images)], [`${IMAGE.newName}:${IMAGE.newTag}`]);
  });

  test('without the argo-images component an overlay changes no template image (why it is there)', () => {
    const dir = mkTree();
    cpSync(DEPLOY, join(dir, 'deploy'), { recursive: true });
    const k = join(dir, 'deploy/base/kustomization.yaml');
    const text = readFileSync(k, 'utf8');
    assert.match(text, /components:\n {2}- \.\.\/components\/argo-images\n/);
    writeFileSync(k, text.replace(/components:\n {2}- \.\.\/components\/argo-images\n/, ''));
    const images = imagesOf(kustomize(overlay(join(dir, 'deploy/base'), { images: [IMAGE] })));
    assert.deepEqual([...new Set(images)], ['registry.example.com/argo-aggregate:0.1.0']);
  });

  test("the controller component sets the executor securityContext and keeps the ConfigMap's other keys", () => {
    const dir = mkTree({
      'cm.yaml': YAML.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'workflow-controller-configmap' },
        data: { metricsConfig: 'enabled: true\n' },
      }),
    });
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      YAML.stringify({ resources: ['cm.yaml'], namespace: 'argo', components: [relative(dir, join(DEPLOY, 'controller'))] }),
    );
    const [cm] = kustomize(dir);
    assert.equal(cm.data.metricsConfig, 'enabled: true\n');
    const executor = YAML.parse(cm.data.executor);
    assert.deepEqual(executor.securityContext, {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // A Container's fields only (Argo reads it as a corev1.Container).
    const containerSchema = ajv.getSchema(`${schema.$id}#/definitions/io.k8s.api.core.v1.Container`);
    assert.ok(containerSchema({ name: 'executor', image: 'argoexec', ...executor }), JSON.stringify(containerSchema.errors));
  });

  test("the controller component patches a ConfigMap that already names its namespace (Argo's release install.yaml)", () => {
    const dir = mkTree({
      'cm.yaml': YAML.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'workflow-controller-configmap', namespace: 'argo' },
        data: { metricsConfig: 'enabled: true\n' },
      }),
    });
    writeFileSync(join(dir, 'kustomization.yaml'), YAML.stringify({ resources: ['cm.yaml'], components: [relative(dir, join(DEPLOY, 'controller'))] }));
    const [cm] = kustomize(dir);
    assert.equal(cm.metadata.namespace, 'argo');
    assert.equal(YAML.parse(cm.data.executor).securityContext.seccompProfile.type, 'RuntimeDefault');
  });
});

describe('the install base, read without kubectl', () => {
  const roles = new Map(k8sDocs.filter(({ doc }) => doc.kind === 'Role').map(({ doc }) => [doc.metadata.name, doc]));
  const bindings = k8sDocs.filter(({ doc }) => doc.kind === 'RoleBinding').map(({ doc }) => doc);
  /** The rules bound to a service account. */
  const rulesOf = (sa) =>
    bindings.filter((b) => b.subjects.some((s) => s.kind === 'ServiceAccount' && s.name === sa)).flatMap((b) => roles.get(b.roleRef.name)?.rules ?? []);
  const allows = (rules, resource, verb) => rules.some((r) => r.apiGroups.includes('argoproj.io') && r.resources.includes(resource) && r.verbs.includes(verb));

  test("the workflows' account may create and patch workflowtaskresults (Argo's executor)", () => {
    const rules = rulesOf('aggregate-workflow');
    for (const verb of ['create', 'patch']) assert.ok(allows(rules, 'workflowtaskresults', verb), verb);
  });

  test('the artifact GC account may list and watch workflowartifactgctasks and patch their status', () => {
    const rules = rulesOf('aggregate-artifact-gc');
    assert.ok(allows(rules, 'workflowartifactgctasks', 'list'));
    assert.ok(allows(rules, 'workflowartifactgctasks', 'watch'));
    assert.ok(allows(rules, 'workflowartifactgctasks/status', 'patch'));
  });

  test('the controller patch gives the executor the restricted securityContext, and only that', () => {
    const patch = k8sDocs.find(({ doc }) => doc.kind === 'ConfigMap' && doc.metadata.name === 'workflow-controller-configmap')?.doc;
    assert.ok(patch, 'no workflow-controller-configmap patch in deploy/');
    assert.deepEqual(Object.keys(patch.data), ['executor']);
    assert.deepEqual(YAML.parse(patch.data.executor), {
      securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
    });
  });

  test('every file of deploy/ is listed by a kustomization, and only known kinds are shipped', () => {
    for (const { file, doc } of k8sDocs) assert.ok(K8S_KINDS.includes(doc.kind), `${file}: ${doc.kind}`);
    const listed = new Set();
    for (const e of readdirSync(DEPLOY, { withFileTypes: true, recursive: true })) {
      if (e.name !== 'kustomization.yaml') continue;
      const dir = e.parentPath ?? e.path;
      const k = YAML.parse(readFileSync(join(dir, e.name), 'utf8'));
      for (const r of [...(k.resources ?? []), ...(k.configurations ?? []), ...(k.patches ?? []).map((p) => p.path).filter(Boolean)])
        listed.add(resolvePath(dir, r));
    }
    const unlisted = files.filter((f) => f.startsWith('deploy/')).filter((f) => !listed.has(join(ROOT, f)));
    assert.deepEqual(unlisted, []);
  });
});

// ---------------------------------------------------------------------------------------------
// The WorkflowTemplate's collect step as Argo runs it: its parameters substituted (defaults
// and {{= }} expressions), the raw expect-names artifact written, the built CLI spawned on a
// real directory with the resulting command line; then the outputs and metrics read back.
// ---------------------------------------------------------------------------------------------
describe('the aggregate WorkflowTemplate, run with its own command line', () => {
  const collect = workflowTemplates.get('aggregate').spec.templates.find((t) => t.name === 'collect');
  const mk = tempTrees('agg-wt-run-');
  const parts = (...ns) => Object.fromEntries(ns.map((n) => [`part-${n}.json`, `{"n": ${n}}\n`]));

  /** Runs the template with `passed` parameters over `fragments`: { code, stats, result, argv, stderr }. */
  async function runCollect(passed, fragments) {
    const mnt = mk(fragments);
    const out = mk();
    const inputs = mk();
    const scope = scopeFor(collect, new Map(Object.entries(passed)));
    for (const a of collect.inputs.artifacts ?? []) writeFileSync(join(inputs, a.path.split('/').pop()), resolve(a.raw.data, scope));
    const local = (arg) => (arg === '/mnt' ? mnt : arg.replace('/tmp/out/', `${out}/`).replace('/tmp/in/', `${inputs}/`));
    const [{ argv }] = invocations(collect);
    const effective = argv.map((a) => local(resolve(a, scope)));
    assert.ok(!effective.some((a) => a.includes('{{')), `unresolved: ${effective.join(' ')}`);
    const { code, stderr } = await run(effective, { env: { TMPDIR: out } });
    // Argo's default for the parameter when the file is missing (a usage error exits before it).
    const statsText = existsSync(join(out, 'stats.json'))
      ? readFileSync(join(out, 'stats.json'), 'utf8')
      : collect.outputs.parameters.find((p) => p.name === 'stats').valueFrom.default;
    const resultPath = local(resolve(collect.outputs.artifacts.find((a) => a.name === 'result').path, scope));
    return { code, stderr, statsText, stats: JSON.parse(statsText), result: existsSync(resultPath) ? readFileSync(resultPath) : null, argv: effective };
  }

  /** The template's metric values for a stats text, as Argo computes them. */
  function metricValues(statsText) {
    const scope = { outputs: { parameters: { stats: statsText } } };
    return Object.fromEntries(
      collect.metrics.prometheus
        .map((m) => [m.name, (m.gauge ?? m.counter).value])
        .filter(([, value]) => value.includes('jsonpath'))
        .map(([name, value]) => [name, Number(resolve(value, scope))]),
    );
  }

  test('a complete fan-in: exit 0, complete, every metric equals its stats field', async () => {
    const r = await runCollect({ expect: '3' }, parts(1, 2, 3));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stats.complete, true);
    assert.deepEqual(JSON.parse(r.result), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    const metrics = metricValues(r.statsText);
    for (const [name, field] of Object.entries(COLLECT_METRICS)) if (field) assert.equal(metrics[name], r.stats[field], name);
    assert.equal(metrics[INCOMPLETE_COUNTER.name], 0);
    assert.ok(r.argv.includes('--expect=3') && r.argv.includes('--max-missing=0'), r.argv.join(' '));
  });

  test('max-missing: green with complete=false and the missing count within it, exit 4 past it', async () => {
    let r = await runCollect({ expect: '5', 'max-missing': '2' }, parts(1, 2, 4));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stats.complete, false);
    assert.equal(metricValues(r.statsText).aggregate_missing, 2);
    assert.equal(metricValues(r.statsText)[INCOMPLETE_COUNTER.name], 1, 'a green incomplete run counts');
    r = await runCollect({ expect: '5', 'max-missing': '1' }, parts(1, 2, 4));
    assert.equal(r.code, 4);
    assert.equal(metricValues(r.statsText)[INCOMPLETE_COUNTER.name], 0, 'a failed run is visible as failed; it does not count');
    assert.equal(r.result, null, 'nothing written on exit 4');
    assert.match(r.stderr, /incomplete input/);
    r = await runCollect({ expect: '20', 'max-missing': '10%' }, parts(...Array.from({ length: 18 }, (_, i) => i + 1)));
    assert.equal(r.code, 0, r.stderr);
  });

  test('an empty max-missing (a caller passing an unset parameter through) means 0, not a usage error', async () => {
    let r = await runCollect({ expect: '2', 'max-missing': '' }, parts(1, 2));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.argv.includes('--max-missing=0'), r.argv.join(' '));
    r = await runCollect({ expect: '3', 'max-missing': '' }, parts(1, 2));
    assert.equal(r.code, 4, r.stderr);
  });

  test('expect-names as a JSON array or one per line replaces expect, and names the missing file', async () => {
    let r = await runCollect({ 'expect-names': '["part-1.json", "part-2.json", "part-3.json"]' }, parts(1, 2, 3));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.argv.some((a) => a.startsWith('--expect-names=')) && !r.argv.some((a) => a.startsWith('--expect=')), r.argv.join(' '));
    r = await runCollect({ 'expect-names': 'part-1.json\npart-2.json\npart-9.json\n', 'max-missing': '1' }, parts(1, 2));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stats.complete, false);
    assert.deepEqual(r.stats.missingFiles, [{ path: 'part-9.json' }]);
    r = await runCollect({ 'expect-names': '["part-1.json", "part-2.json", "part-9.json"]' }, parts(1, 2));
    assert.equal(r.code, 4);
  });

  test('schema: its text is checked through --schema; empty, --schema is not passed', async () => {
    const schema = JSON.stringify({ type: 'object', required: ['n'], properties: { n: { type: 'integer', maximum: 2 } } });
    let r = await runCollect({ expect: '2', schema }, parts(1, 2));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.argv.some((a) => a.startsWith('--schema=')),
      r.argv.join(' '),
    );
    r = await runCollect({ expect: '3', schema }, parts(1, 2, 3));
    assert.equal(r.code, 3);
    assert.match(r.stderr, /part-3\.json: value 0 does not match --schema: \/n must be <= 2/);
    assert.equal(r.result, null, 'nothing written on exit 3');
    assert.deepEqual([r.stats.invalidKinds.schema, r.stats.invalid[0].pointer], [1, '/n']);
    r = await runCollect({ expect: '3', schema, 'on-invalid': 'skip' }, parts(1, 2, 3));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.result), [{ n: 1 }, { n: 2 }]);
    r = await runCollect({ expect: '3' }, parts(1, 2, 3));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.argv.some((a) => a.startsWith('--schema')), r.argv.join(' '));
  });

  test('tar mode and a pattern go through; neither expect nor expect-names is a usage error (exit 2)', async () => {
    let r = await runCollect({ expect: '2', mode: 'tar' }, { 'a.bin': 'x', 'b.bin': 'y' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.subarray(0, 2).toString('hex'), '1f8b', 'a gzip stream');
    r = await runCollect({}, parts(1));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--expect/);
  });
});
