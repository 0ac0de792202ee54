/**
 * A campaign file's text → its plan: YAML parsed with positions, validated with zod, variables
 * substituted, loops and sweeps unrolled into a flat list of concrete steps, weight files read.
 * Every problem is an INVALID_ARGUMENT BenchError whose message starts with `file:line:col:`
 * and names the field path, e.g. `demo.yaml:12:15: steps[2].region.rows: Too small: …`.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { BenchError, isBenchError } from '../../drivers/driver.ts';
import { VAR_REF, concreteSchemas, rawSchemas } from './campaign-schema.ts';
import type { CampaignFile, Step } from './campaign-schema.ts';
import { loadWeights } from './load-weights.ts';
import type { Weights } from './load-weights.ts';
import type { DocPath } from './yaml-locator.ts';
import { YamlLocator } from './yaml-locator.ts';

/** One concrete step of a plan. */
export interface PlannedStep {
  /** Position in the plan (0-based). */
  idx: number;
  /** Label: the step's `name`, or its kind, with loop and sweep bindings appended. */
  name: string;
  step: Step;
  /** `file:line:col` of the step in the campaign file. */
  where: string;
  /** Weights a program step writes (from `weights` or `model`). */
  weights?: Weights;
  /** Layer weights a deploy step writes (its `model` files), one per layer. */
  layerWeights?: Weights[];
  /** `file:line:col` of a dotted field of the step (e.g. `region.rows`), or of the step. */
  at(field?: string): string;
}

/** A validated, unrolled campaign. */
export interface CampaignPlan {
  name: string;
  seed: number;
  /** The file's full text. */
  text: string;
  /** The file's path as given. */
  file: string;
  steps: PlannedStep[];
}

/** Most steps a plan may unroll to. */
export const MAX_PLAN_STEPS = 10_000;

const pathText = (path: DocPath) =>
  path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');

/** Parse and plan the campaign in `text`, read from `file` (relative paths resolve beside it). */
export function parseCampaign(text: string, file: string): CampaignPlan {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc = new YamlLocator(file, doc, lines);
  const fail = (path: DocPath, message: string, key?: string): never => {
    const { line, col } = loc.position(path, key);
    const where = pathText(key === undefined ? path : [...path, key]);
    throw new BenchError(
      'INVALID_ARGUMENT',
      `${file}:${line}:${col}: ${where ? `${where}: ` : ''}${message}`,
      {
        file,
        line,
        col,
        path: [...path, ...(key === undefined ? [] : [key])],
      },
    );
  };
  const yamlError = doc.errors[0];
  if (yamlError) {
    const { line, col } = yamlError.linePos?.[0] ?? lines.linePos(yamlError.pos[0]);
    const msg = yamlError.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
    throw new BenchError('INVALID_ARGUMENT', `${file}:${line}:${col}: YAML syntax: ${msg}`, {
      file,
      line,
      col,
    });
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    fail([], 'a campaign file must be a mapping with name and steps');
  const top = rawSchemas.campaign.safeParse(raw);
  let campaign: CampaignFile;
  if (top.success) campaign = top.data;
  else {
    // A value that is neither valid nor a ${variable} is reported by the concrete check of its
    // step after substitution, which knows what was expected; everything else is reported here.
    const structural = top.error.issues.find((i) => !deferred(i));
    if (structural) reportIssue(structural, [], raw, fail);
    const r = raw as CampaignFile;
    campaign = { ...r, seed: r.seed ?? 1 };
  }
  const baseDir = dirname(file);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const planned: PlannedStep[] = [];

  const expand = (
    template: unknown,
    path: DocPath,
    scope: Record<string, unknown>,
    suffix: string,
    swept?: { keys: string[]; path: DocPath; value: unknown },
  ) => {
    const kind = (template as { kind?: unknown }).kind;
    if (kind === 'loop' || kind === 'sweep') {
      const t = substitute(template, path, scope, fail, ['step', 'steps']) as Record<
        string,
        unknown
      >;
      const vals = listValues(t, path, fail);
      const label = (x: unknown) =>
        `${kind} ${kind === 'loop' ? String(t.variable) : String(t.parameter)}=${String(x)}`;
      for (const value of vals) {
        if (kind === 'loop') {
          const inner = { ...scope, [String(t.variable)]: value };
          (t.steps as unknown[]).forEach((s, i) =>
            expand(s, [...path, 'steps', i], inner, `${suffix} [${label(value)}]`),
          );
        } else {
          const keys = String(t.parameter).split('.');
          if (keys[0] === 'kind') fail(path, "a sweep cannot change a step's kind", 'parameter');
          const inner = setPath(structuredClone(t.step), keys, value);
          expand(inner, [...path, 'step'], scope, `${suffix} [${label(value)}]`, {
            keys,
            path,
            value,
          });
        }
      }
      return;
    }
    const concrete = substitute(template, path, scope, fail, []);
    const parsed = concreteSchemas.leafStep.safeParse(concrete);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const first = issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path[0];
      if (swept && first === swept.keys[0])
        fail(
          swept.path,
          `${swept.keys.join('.')}=${JSON.stringify(swept.value)}: ${issue.code === 'unrecognized_keys' ? `the step has no parameter '${first}'` : issue.message.replace(/^Invalid input: /, '')}`,
          'parameter',
        );
      reportIssue(issue, path, concrete, fail);
    }
    if (planned.length >= MAX_PLAN_STEPS)
      fail(path, `the campaign unrolls to more than ${MAX_PLAN_STEPS} steps`);
    const step = (parsed as { data: Step }).data;
    const entry: PlannedStep = {
      idx: planned.length,
      name: `${step.name ?? step.kind}${suffix}`,
      step,
      where: loc.at(path),
      at: (field) => loc.at(field ? [...path, ...field.split('.')] : path),
    };
    if (step.kind === 'program' && (step.weights !== undefined || step.model !== undefined)) {
      let file = step.weights;
      if (step.model !== undefined) {
        file = campaign.models?.[step.model]?.weights;
        if (file === undefined)
          fail(
            path,
            `unknown model '${step.model}' (models: ${Object.keys(campaign.models ?? {}).join(', ') || 'none'})`,
            'model',
          );
      }
      try {
        entry.weights = loadWeights(at(file!));
      } catch (e) {
        if (isBenchError(e)) fail(path, e.message, step.model !== undefined ? 'model' : 'weights');
        throw e;
      }
    }
    if (step.kind === 'deploy' && step.model !== undefined)
      entry.layerWeights = step.model.map((f, i) => {
        try {
          return loadWeights(at(f));
        } catch (e) {
          if (isBenchError(e)) fail([...path, 'model', i], e.message);
          throw e;
        }
      });
    if (step.kind === 'train' && step.dataset.kind === 'npy') {
      step.dataset.inputs = at(step.dataset.inputs);
      step.dataset.labels = at(step.dataset.labels);
    }
    if (step.kind === 'evaluate' && step.dataset.kind === 'npy') {
      step.dataset.inputs = at(step.dataset.inputs);
      step.dataset.labels = at(step.dataset.labels);
    }
    if (step.kind === 'export') step.out = at(step.out);
    planned.push(entry);
  };
  const scope = { ...(campaign.variables ?? {}) };
  campaign.steps.forEach((s, i) => expand(s, ['steps', i], scope, ''));
  return { name: campaign.name, seed: campaign.seed, text, file, steps: planned };
}

type Fail = (path: DocPath, message: string, key?: string) => never;

/** Raw-schema issues left to the concrete check: unions with `${variable}` inside steps. */
function deferred(issue: z.core.$ZodIssue): boolean {
  return (
    issue.path[0] === 'steps' && (issue.code === 'invalid_union' || issue.code === 'invalid_format')
  );
}

/** Report one zod issue at its place in the file. */
function reportIssue(issue: z.core.$ZodIssue, base: DocPath, value: unknown, fail: Fail): never {
  const path = [...base, ...(issue.path as (string | number)[])];
  if (issue.code === 'unrecognized_keys')
    return fail(path, `unknown field '${issue.keys[0]}'`, issue.keys[0]);
  if (issue.code === 'invalid_format' && 'pattern' in issue && issue.pattern === VAR_REF.source) {
    const got = getPath(value, issue.path as (string | number)[]);
    return fail(path, `'${String(got)}' is neither a valid value nor a \${variable} reference`);
  }
  if (
    issue.code === 'invalid_type' &&
    getPath(value, issue.path as (string | number)[]) === undefined
  )
    return fail(path, `missing required field (${issue.message.replace(/^Invalid input: /, '')})`);
  return fail(path, issue.message.replace(/^Invalid input: /, ''));
}

function getPath(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const k of path)
    v =
      v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

function setPath(target: unknown, keys: string[], value: unknown): unknown {
  const root = (target ?? {}) as Record<string, unknown>;
  let o = root;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) o[k] = value;
    else {
      if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
  });
  return root;
}

/** `value` with every `${name}` replaced from `scope`; keys in `skip` are left for later. */
function substitute(
  value: unknown,
  path: DocPath,
  scope: Record<string, unknown>,
  fail: Fail,
  skip: string[],
): unknown {
  if (typeof value === 'string') {
    const whole = VAR_REF.exec(value);
    const lookup = (name: string) => {
      if (!(name in scope))
        fail(
          path,
          `unknown variable \${${name}} (defined: ${Object.keys(scope).join(', ') || 'none'})`,
        );
      return scope[name];
    };
    if (whole) return structuredClone(lookup(whole[1]!));
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) =>
      String(lookup(name)),
    );
  }
  if (Array.isArray(value))
    return value.map((v, i) => substitute(v, [...path, i], scope, fail, []));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = skip.includes(k) ? v : substitute(v, [...path, k], scope, fail, []);
    return out;
  }
  return value;
}

/** The values a loop or sweep runs over: `values`, or `range` (inclusive). */
function listValues(t: Record<string, unknown>, path: DocPath, fail: Fail): unknown[] {
  const hasValues = t.values !== undefined;
  const hasRange = t.range !== undefined;
  if (hasValues === hasRange) fail(path, `give exactly one of values, range`);
  if (hasValues) return t.values as unknown[];
  const { from, to, step } = t.range as { from: unknown; to: unknown; step: unknown };
  if (typeof from !== 'number' || typeof to !== 'number' || typeof step !== 'number' || step === 0)
    fail([...path, 'range'], 'range needs numbers from, to and a non-zero step');
  const n = Math.floor((to - from) / step + 1e-9) + 1;
  if (n < 1) fail([...path, 'range'], `range from ${from} to ${to} by ${step} is empty`);
  if (n > MAX_PLAN_STEPS)
    fail([...path, 'range'], `range has ${n} values, more than ${MAX_PLAN_STEPS}`);
  // Round to the step's decimals so 0.1 + 0.2 does not become 0.30000000000000004.
  const decimals = Math.max(0, ...[from, step].map((x) => (String(x).split('.')[1] ?? '').length));
  return Array.from({ length: n }, (_, i) => Number((from + i * step).toFixed(decimals)));
}
