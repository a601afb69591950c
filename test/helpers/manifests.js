// Reading Argo manifests the way the policy tests need them: templates, pods, aggregate command
// lines (container args and shell scripts), parameter substitution, and the policy checks
// themselves. Each check returns a list of problems (strings naming file, template and field),
// so tests can run it on the examples and on deliberately broken copies.
import { evaluate } from './expr.js';

// ---------------------------------------------------------------------------------------------
// The CLI surface manifests may use; checked against `aggregate --help` by examples.test.js.
// value: null = boolean flag; [] = any value; [..] = one of these values.
// ---------------------------------------------------------------------------------------------
export const FLAGS = {
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
  '--endpoint': { value: [] },
  '--quiet': { alias: '-q', value: null },
  '--help': { alias: '-h', value: null },
  '--version': { alias: '-V', value: null },
  // The fan-in contract (issue 11).
  '--expect': { value: [] },
  '--expect-names': { value: [] },
  '--max-missing': { value: [] },
  '--max-invalid': { value: [] },
  '--key-by': { value: ['path'] },
};
const BY_NAME = new Map();
for (const [name, spec] of Object.entries(FLAGS)) {
  BY_NAME.set(name, { name, ...spec });
  if (spec.alias) BY_NAME.set(spec.alias, { name, ...spec });
}
export const isTemplated = (s) => /\{\{.*\}\}|\$/.test(s);

/** Checks one aggregate argv (without the program name): { problems, options, positionals }. */
export function checkArgv(argv) {
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
    if (spec.name === '--expect' && !isTemplated(v) && !/^\d+$/.test(v)) problems.push(`--expect ${v}: expected a count`);
    (options[spec.name] ??= []).push(v);
  }
  if (!options['--help'] && !options['--version'] && positionals.length !== 1) {
    problems.push(`expected exactly one input directory, got ${JSON.stringify(positionals)}`);
  }
  return { problems, options, positionals };
}

/** Minimal POSIX-shell word splitting: quotes, backslash-newline continuations. */
export function shellWords(line) {
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

/** The workflow spec of a document (Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow). */
export function specOf(doc) {
  return (doc.kind === 'CronWorkflow' ? doc.spec?.workflowSpec : doc.spec) ?? {};
}

export function templatesOf(doc) {
  return specOf(doc).templates ?? [];
}

/** The aggregate invocations of one template: { argv, where }. */
export function invocations(template) {
  const found = [];
  const c = template.container;
  if (c) {
    const argv = [...(c.command ?? []), ...(c.args ?? [])].map(String);
    const at = argv.findIndex((a) => a === 'aggregate' || a.endsWith('/aggregate'));
    if (at >= 0) found.push({ argv: argv.slice(at + 1), where: 'container' });
    for (const a of argv) if (/(^|[\s;&|(])aggregate\s/.test(a)) found.push(...fromScript(a, 'container sh -c'));
  }
  if (template.script?.source) found.push(...fromScript(template.script.source, 'script'));
  return found;
}

export function fromScript(source, where) {
  const found = [];
  const lines = source.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    for (const segment of line.split(/&&|\|\||;|\|/)) {
      const words = shellWords(segment.trim());
      while (words[0] === 'exec' || words[0] === 'time' || /^[A-Z_]+=/.test(words[0] ?? '')) words.shift();
      if (words[0] === 'aggregate') {
        const argv = [];
        for (let i = 1; i < words.length; i++) {
          if (/^\d?(>>?|<)&?$/.test(words[i]))
            i++; // `> file`: drop the redirection and its target
          else if (!/^\d?(>>?|<)/.test(words[i])) argv.push(words[i]); // `>file`, `2>&1`
        }
        found.push({ argv, where });
      }
    }
  }
  return found;
}

/** Steps and DAG tasks of a template. */
export function callsOf(template) {
  return [...(template.steps ?? []).flat(), ...(template.dag?.tasks ?? [])];
}

/** The container-like parts of a pod template: main container or script, sidecars, init containers. */
export function containersOf(template) {
  const main = template.container ?? template.script;
  return [
    ...(main ? [{ role: template.container ? 'container' : 'script', c: main }] : []),
    ...(template.containerSet?.containers ?? []).map((c) => ({ role: `containerSet ${c.name}`, c })),
    ...(template.sidecars ?? []).map((c) => ({ role: `sidecar ${c.name}`, c })),
    ...(template.initContainers ?? []).map((c) => ({ role: `initContainer ${c.name}`, c })),
  ];
}

export const isPodTemplate = (t) => Boolean(t.container || t.script || t.containerSet);

/** A template's input parameter values: passed (a Map) over value over default. */
function inputValues(template, passed = new Map()) {
  const values = {};
  for (const p of template.inputs?.parameters ?? []) {
    const v = passed.get(p.name) ?? p.value ?? p.default;
    if (v !== undefined) values[p.name] = String(v);
  }
  return values;
}

/** Workflow parameter values (spec.arguments): name -> value, for those with one. */
export function workflowValues(doc) {
  const values = {};
  for (const p of specOf(doc).arguments?.parameters ?? []) if (p.value !== undefined) values[p.name] = String(p.value);
  return values;
}

/**
 * Resolves Argo tags in a string: {{inputs.parameters.x}}, {{workflow.parameters.x}} and
 * {{= expr}} where everything they use is known; anything else is left as written.
 */
export function resolve(text, scope) {
  return String(text).replace(/\{\{(=?)\s*(.*?)\s*\}\}/g, (tag, isExpr, body) => {
    if (isExpr) {
      try {
        const v = evaluate(body, scope);
        return v === null || v === undefined ? tag : String(v);
      } catch {
        return tag;
      }
    }
    const m = /^(inputs|workflow)\.parameters\.([\w-]+)$/.exec(body);
    const v = m ? scope[m[1]]?.parameters?.[m[2]] : undefined;
    return v === undefined || isTemplated(v) ? tag : v;
  });
}

/** The resolution scope of a template called with `passed` parameters inside workflow `doc`. */
export function scopeFor(template, passed, doc) {
  const workflow = { parameters: doc ? workflowValues(doc) : {} };
  // A value passed in may itself be a tag over the caller's workflow parameters.
  const resolvedPassed = new Map([...(passed ?? new Map())].map(([k, v]) => [k, resolve(v, { workflow })]));
  return { inputs: { parameters: inputValues(template, resolvedPassed) }, workflow };
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

/** Pod Security Standards, "restricted" profile (Kubernetes v1.30 definition). */
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const VOLUME_META = new Set(['name']);

/** Every pod template passes the "restricted" Pod Security profile. */
export function restrictedProblems(file, doc) {
  const problems = [];
  const spec = specOf(doc);
  for (const v of spec.volumes ?? []) {
    for (const type of Object.keys(v))
      if (!VOLUME_META.has(type) && !RESTRICTED_VOLUME_TYPES.has(type)) problems.push(`${file}: volume ${v.name}: type ${type} is not allowed`);
  }
  for (const t of templatesOf(doc)) {
    if (!isPodTemplate(t)) continue;
    const ctx = `${file} template ${t.name}`;
    // A template's securityContext replaces the workflow's for its pod.
    const pod = t.securityContext ?? spec.securityContext ?? {};
    if (pod.runAsNonRoot !== true) problems.push(`${ctx}: pod securityContext.runAsNonRoot must be true`);
    if (pod.runAsUser === 0) problems.push(`${ctx}: pod runAsUser 0`);
    for (const v of t.volumes ?? []) {
      for (const type of Object.keys(v))
        if (!VOLUME_META.has(type) && !RESTRICTED_VOLUME_TYPES.has(type)) problems.push(`${ctx}: volume ${v.name}: type ${type} is not allowed`);
    }
    for (const { role, c } of containersOf(t)) {
      const sc = c.securityContext ?? {};
      const where = `${ctx} ${role}`;
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: securityContext.allowPrivilegeEscalation must be false`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: securityContext.capabilities.drop must include ALL`);
      for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') problems.push(`${where}: adds capability ${cap}`);
      if (sc.privileged === true) problems.push(`${where}: privileged`);
      if (sc.runAsNonRoot === false || sc.runAsUser === 0) problems.push(`${where}: runs as root`);
      const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
        problems.push(`${where}: seccompProfile.type must be RuntimeDefault or Localhost (pod or container)`);
    }
  }
  return problems;
}

/** The volume (template's or workflow's) a mount refers to. */
function volumeOf(name, template, spec) {
  return (
    (template.volumes ?? []).find((v) => v.name === name) ??
    (spec.volumes ?? []).find((v) => v.name === name) ??
    ((spec.volumeClaimTemplates ?? []).some((v) => v.metadata?.name === name) ? { name, persistentVolumeClaim: {} } : undefined)
  );
}

/** The mount a path lies under (the longest mountPath that is a prefix), or undefined. */
function mountFor(path, container) {
  let best;
  for (const m of container.volumeMounts ?? []) {
    const mp = m.mountPath.replace(/\/+$/, '');
    if ((path === mp || path.startsWith(`${mp}/`)) && (!best || mp.length > best.mountPath.length)) best = m;
  }
  return best;
}

/**
 * Outputs (artifacts and parameters read from files) live on an emptyDir with a sizeLimit, not
 * on the container's root file system; collect containers run with a read-only root file system
 * and write their output, stats, manifest and spool only to writable mounts.
 */
export function outputsProblems(file, doc, { collectOnly = false } = {}) {
  const problems = [];
  const spec = specOf(doc);
  for (const t of templatesOf(doc)) {
    if (!isPodTemplate(t)) continue;
    const ctx = `${file} template ${t.name}`;
    const main = t.container ?? t.script;
    const calls = invocations(t);
    if (collectOnly && calls.length === 0) continue;
    const outputs = [
      ...(t.outputs?.artifacts ?? []).filter((a) => a.path).map((a) => ({ what: `output artifact ${a.name}`, path: a.path })),
      ...(t.outputs?.parameters ?? []).filter((p) => p.valueFrom?.path).map((p) => ({ what: `output parameter ${p.name}`, path: p.valueFrom.path })),
    ];
    for (const { what, path } of outputs) {
      const m = main && mountFor(path, main);
      const v = m && volumeOf(m.name, t, spec);
      if (!v?.emptyDir) problems.push(`${ctx}: ${what} (${path}) is not on an emptyDir mount`);
      else if (!v.emptyDir.sizeLimit) problems.push(`${ctx}: ${what}: emptyDir ${v.name} has no sizeLimit`);
    }
    if (calls.length === 0) continue;
    if (main.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${ctx}: collect container needs securityContext.readOnlyRootFilesystem: true`);
    for (const { argv } of calls) {
      const { options } = checkArgv(argv);
      const targets = [...(options['--output'] ?? []), ...(options['--stats'] ?? []), ...(options['--manifest'] ?? [])].filter((p) => p !== '-');
      for (const path of targets) {
        const m = mountFor(path, main);
        if (!m || m.readOnly) problems.push(`${ctx}: aggregate writes ${path}, which is not on a writable volume mount`);
      }
      const toStdout = !options['--output'] || options['--output'].includes('-');
      const tmpdir = (main.env ?? []).find((e) => e.name === 'TMPDIR')?.value;
      if (toStdout) {
        const m = tmpdir && mountFor(tmpdir, main);
        if (!m || m.readOnly) problems.push(`${ctx}: aggregate writes to stdout, whose spool needs TMPDIR on a writable mount (or use -o)`);
      }
    }
  }
  return problems;
}

/** Storage-specific locations an artifact may carry; a collect output must carry none. */
const LOCATIONS = ['s3', 'gcs', 'azure', 'oss', 'hdfs', 'artifactory', 'http', 'git', 'raw', 'plugin'];

export function collectKeyProblems(file, doc) {
  const problems = [];
  for (const t of templatesOf(doc)) {
    if (invocations(t).length === 0) continue;
    for (const a of t.outputs?.artifacts ?? []) {
      for (const loc of LOCATIONS)
        if (a[loc])
          problems.push(`${file} template ${t.name}: output artifact ${a.name} sets ${loc} (${JSON.stringify(a[loc])}); let the artifact repository key it`);
    }
  }
  return problems;
}

/** Volume claims name their storage class through a required workflow parameter. */
export function storageClassProblems(file, doc) {
  const problems = [];
  const spec = specOf(doc);
  const params = new Map((spec.arguments?.parameters ?? []).map((p) => [p.name, p]));
  for (const vct of spec.volumeClaimTemplates ?? []) {
    const ctx = `${file}: volumeClaimTemplate ${vct.metadata?.name}`;
    const sc = vct.spec?.storageClassName;
    const m = /^\{\{\s*workflow\.parameters\.([\w-]+)\s*\}\}$/.exec(sc ?? '');
    if (!m) {
      problems.push(`${ctx}: storageClassName must be a workflow parameter, got ${JSON.stringify(sc)}`);
      continue;
    }
    const p = params.get(m[1]);
    if (!p) problems.push(`${ctx}: parameter ${m[1]} is not declared in spec.arguments`);
    else if (p.value !== undefined || p.default !== undefined)
      problems.push(`${ctx}: parameter ${m[1]} must be required (no value), so a cluster's RWO default is never used by accident`);
  }
  return problems;
}

/** Garbage collection: volumes kept for `argo retry`, a TTL, pod GC, artifact GC for uploaded fragments. */
export function gcProblems(file, doc) {
  const problems = [];
  const spec = specOf(doc);
  if (doc.kind !== 'Workflow' && doc.kind !== 'CronWorkflow') return problems;
  if ((spec.volumeClaimTemplates ?? []).length > 0) {
    if (spec.volumeClaimGC?.strategy !== 'OnWorkflowSuccess')
      problems.push(
        `${file}: volumeClaimGC.strategy must be OnWorkflowSuccess (got ${spec.volumeClaimGC?.strategy}): a failed workflow keeps its fragments for argo retry`,
      );
  }
  const ttl = spec.ttlStrategy ?? {};
  if (ttl.secondsAfterFailure === undefined && ttl.secondsAfterCompletion === undefined)
    problems.push(`${file}: ttlStrategy must bound how long a failed workflow (and its volume) stays`);
  if (!spec.podGC?.strategy) problems.push(`${file}: podGC.strategy must be set`);
  const uploadsFragments = templatesOf(doc).some((t) => invocations(t).length === 0 && (t.outputs?.artifacts ?? []).some((a) => LOCATIONS.some((l) => a[l])));
  if (uploadsFragments) {
    const strategy = spec.artifactGC?.strategy;
    if (strategy !== 'OnWorkflowDeletion' && strategy !== 'OnWorkflowCompletion')
      problems.push(`${file}: uploads fragments under explicit keys but has no artifactGC (got ${strategy})`);
  }
  return problems;
}

/** fsGroup only with OnRootMismatch (no chown of a growing volume by every writer pod). */
export function fsGroupProblems(file, doc) {
  const problems = [];
  const spec = specOf(doc);
  const check = (sc, where) => {
    if (sc?.fsGroup !== undefined && sc.fsGroupChangePolicy !== 'OnRootMismatch')
      problems.push(`${file}${where}: fsGroup without fsGroupChangePolicy: OnRootMismatch`);
  };
  check(spec.securityContext, '');
  for (const t of templatesOf(doc)) check(t.securityContext, ` template ${t.name}`);
  return problems;
}

/** Collect steps pass --expect, with a count or a template that gives one. */
export function expectProblems(file, doc, resolveTemplateRef) {
  const problems = [];
  const checkOne = (argv, ctx) => {
    const { options } = checkArgv(argv);
    const values = options['--expect'] ?? [];
    if (values.length === 0 && !options['--expect-names']) problems.push(`${ctx}: aggregate ${argv.join(' ')} has no --expect (a partial fan-in would exit 0)`);
    for (const v of values) if (!isTemplated(v) && !/^\d+$/.test(v)) problems.push(`${ctx}: --expect ${v} is not a count`);
  };
  for (const t of templatesOf(doc)) {
    // A parameter without a non-empty default is the caller's to pass: keep it as its tag.
    const open = new Map((t.inputs?.parameters ?? []).filter((p) => !(p.value ?? p.default)).map((p) => [p.name, `{{inputs.parameters.${p.name}}}`]));
    const own = scopeFor(t, open, doc);
    for (const { argv } of invocations(t))
      checkOne(
        argv.map((a) => resolve(a, own)),
        `${file} template ${t.name}`,
      );
    for (const step of callsOf(t)) {
      if (!step.templateRef) continue;
      const target = resolveTemplateRef(step.templateRef);
      if (!target) continue;
      const passed = new Map((step.arguments?.parameters ?? []).map((p) => [p.name, String(p.value)]));
      const scope = scopeFor(target, passed, doc);
      for (const { argv } of invocations(target))
        checkOne(
          argv.map((a) => resolve(a, scope)),
          `${file} ${t.name}/${step.name}`,
        );
    }
  }
  return problems;
}

/** Scripts never build JSON by printf'ing parameter text into a "%s" string. */
export function printfJsonProblems(file, doc) {
  const problems = [];
  for (const t of templatesOf(doc)) {
    const source = (t.script?.source ?? '').replace(/\\\n/g, ' ');
    for (const line of source.split('\n')) {
      for (const segment of line.split(/&&|\|\||;|\|/)) {
        const words = shellWords(segment.trim());
        if (words[0] !== 'printf' || words.length < 3) continue;
        // Conversions in order; a %s between double quotes is text placed inside a JSON string.
        const conversions = [...words[1].matchAll(/(")?%[-+ #0-9.]*([a-zA-Z%])/g)].filter((m) => m[2] !== '%');
        conversions.forEach((m, i) => {
          const arg = words[2 + i] ?? '';
          if (m[1] && m[2] === 's' && /\{\{\s*(inputs\.parameters\.|item)/.test(arg)) {
            problems.push(`${file} template ${t.name}: printf puts ${arg} into a JSON string (breaks on a quote or backslash)`);
          }
        });
      }
    }
  }
  return problems;
}

/** Archives handed to another step arrive as files: `archive: none` on the consuming input. */
export function archiveInputProblems(file, doc) {
  const problems = [];
  const byName = new Map(templatesOf(doc).map((t) => [t.name, t]));
  const isArchive = (p) => /\.(tar\.gz|tgz|tar|zip)$/.test(p ?? '');
  for (const t of templatesOf(doc)) {
    const steps = callsOf(t);
    for (const step of steps) {
      for (const arg of step.arguments?.artifacts ?? []) {
        const m = /^\{\{\s*(?:steps|tasks)\.([\w-]+)\.outputs\.artifacts\.([\w-]+)\s*\}\}$/.exec(arg.from ?? '');
        if (!m) continue;
        const producer = byName.get(steps.find((s) => s.name === m[1])?.template);
        const out = (producer?.outputs?.artifacts ?? []).find((a) => a.name === m[2]);
        const consumer = byName.get(step.template);
        const input = (consumer?.inputs?.artifacts ?? []).find((a) => a.name === arg.name);
        if ((isArchive(out?.path) || isArchive(input?.path)) && JSON.stringify(input?.archive) !== JSON.stringify({ none: {} })) {
          problems.push(
            `${file} ${t.name}/${step.name}: input artifact ${arg.name} receives ${out?.path ?? 'an archive'}; without archive: none Argo unpacks it`,
          );
        }
      }
    }
    for (const a of t.inputs?.artifacts ?? []) {
      if (isArchive(a.path) && JSON.stringify(a.archive) !== JSON.stringify({ none: {} }))
        problems.push(`${file} template ${t.name}: input artifact ${a.name} (${a.path}) needs archive: none`);
    }
  }
  return problems;
}

/**
 * The directory each collect step reads, as a path inside its volume claim, is created by a
 * setup step in the entrypoint's first step group (before any writer runs).
 */
export function setupProblems(file, doc, resolveTemplateRef) {
  const problems = [];
  const spec = specOf(doc);
  const claims = new Set((spec.volumeClaimTemplates ?? []).map((v) => v.metadata?.name));
  if (claims.size === 0) return problems;
  const byName = new Map(templatesOf(doc).map((t) => [t.name, t]));
  const entry = byName.get(spec.entrypoint);
  const first = entry?.steps?.[0] ?? (entry?.dag?.tasks ?? []).filter((task) => !task.dependencies && !task.depends);
  // One step, not a fan-out (writers creating the directory race each other and the collect).
  const single = (s) => !s.withItems && !s.withParam && !s.withSequence;
  const setups = (first ?? [])
    .filter(single)
    .map((s) => byName.get(s.template))
    .filter((t) => t?.script?.source && /\bmkdir\b/.test(t.script.source));
  const created = (volume, rel) =>
    setups.some((t) =>
      (t.script.volumeMounts ?? []).some((m) => m.name === volume && !m.subPath && t.script.source.includes(`${m.mountPath.replace(/\/+$/, '')}/${rel}`)),
    );
  const collects = [];
  for (const t of templatesOf(doc)) {
    if (invocations(t).length > 0) collects.push({ t, scope: scopeFor(t, new Map(), doc), ctx: `${file} template ${t.name}` });
    for (const step of callsOf(t)) {
      const target = step.templateRef && resolveTemplateRef(step.templateRef);
      if (!target) continue;
      const passed = new Map((step.arguments?.parameters ?? []).map((p) => [p.name, String(p.value)]));
      collects.push({ t: target, scope: scopeFor(target, passed, doc), ctx: `${file} ${t.name}/${step.name}` });
    }
  }
  for (const { t, scope, ctx } of collects) {
    const main = t.container ?? t.script;
    for (const { argv } of invocations(t)) {
      const dir = resolve(checkArgv(argv).positionals[0] ?? '', scope).replace(/\/+$/, '');
      const m = mountFor(dir, main);
      if (!m || !claims.has(m.name)) continue;
      const sub = resolve(m.subPath ?? '', scope);
      const rest = dir.slice(m.mountPath.replace(/\/+$/, '').length).replace(/^\//, '');
      const rel = [sub, rest].filter(Boolean).join('/');
      if (!rel) continue;
      if (!created(m.name, rel)) problems.push(`${ctx}: reads ${rel} on volume ${m.name}, which no setup step in the first step group creates (mkdir)`);
    }
  }
  return problems;
}

/** Every retryStrategy.expression on a template that runs aggregate. */
export function retryExpressions(file, doc) {
  return templatesOf(doc)
    .filter((t) => invocations(t).length > 0)
    .map((t) => ({ where: `${file} template ${t.name}`, expression: t.retryStrategy?.expression, backoff: t.retryStrategy?.backoff }));
}

// ---------------------------------------------------------------------------------------------
// Install base and round-2 policies: service accounts, deadlines, observability
// ---------------------------------------------------------------------------------------------

/** The templates of a document that run aggregate (the collect steps). */
export const collectTemplates = (doc) => templatesOf(doc).filter((t) => invocations(t).length > 0);

/** Every service account a document names: { name, where }. */
export function serviceAccountRefs(doc) {
  const spec = specOf(doc);
  const refs = [];
  const add = (name, where) => name !== undefined && refs.push({ name, where });
  add(spec.serviceAccountName, 'spec.serviceAccountName');
  add(spec.executor?.serviceAccountName, 'spec.executor.serviceAccountName');
  add(spec.artifactGC?.serviceAccountName, 'spec.artifactGC.serviceAccountName');
  for (const t of templatesOf(doc)) {
    add(t.serviceAccountName, `template ${t.name} serviceAccountName`);
    add(t.executor?.serviceAccountName, `template ${t.name} executor.serviceAccountName`);
    for (const a of [...(t.outputs?.artifacts ?? []), ...(t.inputs?.artifacts ?? [])])
      add(a.artifactGC?.serviceAccountName, `template ${t.name} artifact ${a.name} artifactGC.serviceAccountName`);
  }
  if (doc.kind === 'RoleBinding' || doc.kind === 'ClusterRoleBinding') {
    for (const s of doc.subjects ?? []) if (s.kind === 'ServiceAccount') add(s.name, `${doc.kind} ${doc.metadata?.name} subject`);
  }
  return refs;
}

/**
 * Workflows run under a named service account (never the namespace's default, which lacks the
 * executor's workflowtaskresults rights); artifact GC names its own account and lets the
 * finalizer go when GC fails (Argo v3.5+), so deleting a workflow never hangs.
 */
export function serviceAccountProblems(file, doc) {
  const problems = [];
  if (doc.kind !== 'Workflow' && doc.kind !== 'CronWorkflow') return problems;
  const spec = specOf(doc);
  if (!spec.serviceAccountName) problems.push(`${file}: spec.serviceAccountName is not set (the default account has no workflowtaskresults rights)`);
  if (spec.artifactGC && spec.artifactGC.strategy !== 'Never') {
    if (!spec.artifactGC.serviceAccountName) problems.push(`${file}: artifactGC has no serviceAccountName`);
    if (spec.artifactGC.forceFinalizerRemoval !== true)
      problems.push(`${file}: artifactGC.forceFinalizerRemoval must be true (a failed GC would keep the workflow Terminating)`);
  }
  return problems;
}

/** Go's time.ParseDuration for the units manifests use, or whole seconds (Argo's ParseStringToDuration). */
export function durationSeconds(text) {
  const s = String(text);
  if (/^\d+$/.test(s)) return Number(s);
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  if (parts.length === 0 || parts.map((m) => m[0]).join('') !== s) throw new Error(`unable to parse ${s} as a duration`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit], 0);
}

/**
 * The backoff waits before each retry as Argo computes them (workflow/controller/operator.go,
 * processNodeRetries): duration * factor^(k-1) before retry k, capped by backoff.cap.
 */
export function backoffWaits({ limit, backoff }) {
  const n = Number(limit);
  const base = durationSeconds(backoff?.duration ?? '0');
  const factor = Number(backoff?.factor ?? 1) > 0 ? Number(backoff.factor) : 1;
  const cap = backoff?.cap ? durationSeconds(backoff.cap) : Infinity;
  return Array.from({ length: n }, (_, k) => Math.min(base * factor ** k, cap));
}

/** Slack per attempt for scheduling and image pulls (activeDeadlineSeconds counts from the pod's start). */
export const PENDING_SLACK = 120;

/**
 * Every collect template has a `deadline` input parameter with a default, uses it as its
 * activeDeadlineSeconds, and its retryStrategy.backoff.maxDuration (counted by Argo from the
 * first attempt's start, and the later attempts' deadline) leaves room for every attempt to run
 * its full deadline plus the backoff waits, and not much more.
 */
export function deadlineProblems(file, doc, deadlines = []) {
  const problems = [];
  for (const t of collectTemplates(doc)) {
    const ctx = `${file} template ${t.name}`;
    const param = (t.inputs?.parameters ?? []).find((p) => p.name === 'deadline');
    if (!param) {
      problems.push(`${ctx}: no deadline input parameter`);
      continue;
    }
    if (!/^\d+$/.test(String(param.default ?? param.value ?? '')) || Number(param.default ?? param.value) < 60)
      problems.push(`${ctx}: deadline needs a default of at least 60 seconds`);
    if (t.activeDeadlineSeconds !== '{{inputs.parameters.deadline}}')
      problems.push(`${ctx}: activeDeadlineSeconds must be {{inputs.parameters.deadline}}, got ${JSON.stringify(t.activeDeadlineSeconds)}`);
    const rs = t.retryStrategy;
    if (!rs?.backoff?.maxDuration) {
      problems.push(`${ctx}: retryStrategy.backoff.maxDuration is not set`);
      continue;
    }
    const attempts = Number(rs.limit) + 1;
    const waits = backoffWaits(rs).reduce((a, b) => a + b, 0);
    for (const d of [String(param.default ?? param.value), ...deadlines.map(String)]) {
      const scope = scopeFor(t, new Map([['deadline', d]]), doc);
      let max;
      try {
        max = durationSeconds(resolve(rs.backoff.maxDuration, scope));
      } catch (error) {
        problems.push(`${ctx}: maxDuration ${rs.backoff.maxDuration} with deadline ${d}: ${error.message}`);
        continue;
      }
      const least = attempts * Number(d) + waits;
      const most = attempts * (Number(d) + PENDING_SLACK) + waits;
      if (max < least)
        problems.push(
          `${ctx}: deadline ${d}: maxDuration ${max} s < ${attempts} attempts x ${d} s + ${waits} s of backoff (${least} s): the last attempts are cut short`,
        );
      if (max > most) problems.push(`${ctx}: deadline ${d}: maxDuration ${max} s > ${most} s: it no longer bounds the retries`);
    }
  }
  return problems;
}

/** The metrics every collect template emits, by stats field (null: not read from stats). */
export const COLLECT_METRICS = { aggregate_files: 'files', aggregate_missing: 'missing', aggregate_invalid: 'invalidCount', aggregate_duration_seconds: null };
/**
 * The counter an alert can rely on: a gauge keeps only the last value set for its labels, so the
 * next complete run hides an incomplete one before Prometheus scrapes it; a counter only grows.
 */
export const INCOMPLETE_COUNTER = {
  name: 'aggregate_incomplete_total',
  value: "{{=jsonpath(outputs.parameters.stats, '$.ok') == true && jsonpath(outputs.parameters.stats, '$.complete') == false ? 1 : 0}}",
};

/**
 * Collect containers report the CLI's last line as the node message on failure
 * (FallbackToLogsOnError), and emit Prometheus metrics read from their stats parameter.
 */
export function observabilityProblems(file, doc) {
  const problems = [];
  for (const t of collectTemplates(doc)) {
    const ctx = `${file} template ${t.name}`;
    const main = t.container ?? t.script;
    if (main.terminationMessagePolicy !== 'FallbackToLogsOnError') problems.push(`${ctx}: terminationMessagePolicy must be FallbackToLogsOnError`);
    const statsParam = (t.outputs?.parameters ?? []).find((p) => p.name === 'stats' && p.valueFrom?.path);
    if (!statsParam) problems.push(`${ctx}: no stats output parameter`);
    const metrics = new Map((t.metrics?.prometheus ?? []).map((m) => [m.name, m]));
    for (const [name, field] of Object.entries(COLLECT_METRICS)) {
      const m = metrics.get(name);
      if (!m) {
        problems.push(`${ctx}: no metric ${name}`);
        continue;
      }
      if (!m.help) problems.push(`${ctx}: metric ${name} has no help (Argo refuses to emit it)`);
      const value = m.gauge?.value ?? m.counter?.value ?? '';
      if (field && value !== `{{=jsonpath(outputs.parameters.stats, '$.${field}')}}`)
        problems.push(`${ctx}: metric ${name} should read $.${field} from the stats parameter, got ${value}`);
      if (!field && value !== '{{duration}}') problems.push(`${ctx}: metric ${name} should be {{duration}}, got ${value}`);
    }
    const counter = metrics.get(INCOMPLETE_COUNTER.name);
    if (counter?.counter?.value !== INCOMPLETE_COUNTER.value)
      problems.push(`${ctx}: no counter ${INCOMPLETE_COUNTER.name} of successful runs with complete=false (the alert; a gauge is overwritten by the next run)`);
  }
  return problems;
}

/**
 * Argo keeps one instrument per custom metric *name*, controller-wide: a second template emitting
 * the name with another help text is refused ("help for metric ... cannot be changed",
 * workflow/metrics/metrics_custom.go, v3.6+), as is another type; one metric family should keep one
 * set of label keys. Names and label keys: letters, digits and `_` (util.go IsValidMetricName).
 * `sources` is [{ file, templates }]; returns the problems.
 */
export function metricConsistencyProblems(sources) {
  const problems = [];
  const seen = new Map();
  const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
  for (const { file, templates } of sources) {
    for (const t of templates) {
      for (const m of t.metrics?.prometheus ?? []) {
        const ctx = `${file} template ${t.name} metric ${m.name}`;
        if (!NAME.test(m.name ?? '')) problems.push(`${ctx}: invalid metric name`);
        const keys = (m.labels ?? []).map((l) => l.key);
        for (const k of keys) if (!NAME.test(k ?? '')) problems.push(`${ctx}: invalid label key ${k}`);
        const type = ['gauge', 'counter', 'histogram'].filter((k) => m[k]).join('+');
        const shape = { help: m.help, type, labels: [...keys].sort().join(',') };
        const first = seen.get(m.name);
        if (!first) seen.set(m.name, { ctx, shape });
        else
          for (const [k, v] of Object.entries(shape))
            if (v !== first.shape[k]) problems.push(`${ctx}: ${k} ${JSON.stringify(v)} differs from ${first.ctx}'s ${JSON.stringify(first.shape[k])}`);
      }
    }
  }
  return problems;
}

/** Kubernetes quantities (Mi, Gi, M, plain bytes) in MiB. */
export function mebibytes(q) {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(String(q));
  if (!m) throw new Error(`unknown quantity ${q}`);
  const unit = { Ki: 1 / 1024, Mi: 1, Gi: 1024, k: 1000 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20, undefined: 1 / 2 ** 20 }[m[2]];
  return Number(m[1]) * unit;
}
