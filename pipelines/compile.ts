// The staged compiler: load -> validate -> resolve -> compile -> Plan. Each stage returns errors
// as data; all errors of a stage are collected, and a stage is skipped only when earlier errors
// make it meaningless (bad YAML, a spec that fails its schema, a dependency cycle).
import { createHash } from "node:crypto";
import type { StepKindInfo, UpstreamStep, WithObject } from "../contract/step-kind.ts";
import { analyzeSteps, type StepInfo } from "./analyze.ts";
import { canonicalJson, type Plan, type PlanStep } from "../contract/plan.ts";
import { checkRefs, checkStepBranches } from "./check-steps.ts";
import { checkDurations } from "./durations.ts";
import { dedupeErrors, sortErrors, specError, type SpecError } from "./errors.ts";
import { findCycles, topoOrder } from "./graph.ts";
import { type LoadedSpec, loadSpec } from "./load.ts";
import { branchId, combinations, type Combo, matrixDomain, type MatrixDomain, restrict, stepKeys } from "./matrix.ts";
import { checkParamDefaults, resolveParams } from "./params.ts";
import { specView, type WithMap, type WithValue } from "../contract/with-value.ts";
import { DEFAULT_CONCURRENCY, type LinkOutput, linkWith, markFiles, parseWith, resolveSettings } from "./resolve.ts";
import { compileSearch, searchErrors } from "./search.ts";
import type { RawSpec, Scalar } from "./spec-types.ts";
import { fillDefaults, validateSpec } from "./validate.ts";

export interface CompileOptions {
  /** `--set name=value` overrides, coerced to each param's type. */
  set?: string[];
  /** Typed param values (e.g. a resumed run's stored params); applied after `set`. */
  params?: { [name: string]: Scalar };
  /** The step-kind registry (the engine's is engine/kinds.ts; tests inject their own). */
  kinds: Record<string, StepKindInfo>;
  /** Checks that project input files exist (paths relative to the project root); skipped if absent. */
  fileExists?: (path: string) => boolean;
  /** Recorded as plan.specPath (default: `file`). */
  specPath?: string;
}

export type CompileResult = { ok: true; plan: Plan; specText: string } | { ok: false; errors: SpecError[] };

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function fail(errors: SpecError[]): CompileResult {
  return { ok: false, errors: sortErrors(dedupeErrors(errors)) };
}

export function compileText(text: string, file: string, opts: CompileOptions): CompileResult {
  const loaded = loadSpec(text, file);
  if (!loaded.spec) return fail(loaded.errors);
  const spec = loaded.spec;
  const schemaErrors = validateSpec(spec);
  if (schemaErrors.length) return fail([...loaded.errors, ...schemaErrors]);
  const raw = spec.data as RawSpec;
  const kinds = opts.kinds;
  const errors: SpecError[] = [...loaded.errors, ...checkParamDefaults(spec, raw.params ?? {})];
  const { values: params, errors: paramErrors } = resolveParams(raw.params ?? {}, opts.set, opts.params);
  const { steps, errors: nameErrors } = analyzeSteps(spec, raw, kinds);
  const { domain, errors: domainErrors } = matrixDomain(spec, raw);
  errors.push(...paramErrors, ...nameErrors, ...domainErrors);
  errors.push(...checkDurations(spec, raw));

  const ids = Object.keys(raw.steps);
  const deps = new Map(ids.map((id) => [id, [...(steps.get(id)?.deps.keys() ?? [])]]));
  const order = topoOrder(ids, deps);
  if (!order) return fail([...errors, ...cycleErrors(spec, ids, steps)]);

  const { keys, errors: keyErrors } = stepKeys(spec, order, steps, domain);
  errors.push(...keyErrors);
  const outputsOf = new Map<string, { [name: string]: string }>();
  /** Plan id -> its `with`, parsed once (params and matrix substituted, references by spec id,
   *  project files marked) with the kind's defaults filled. */
  const filled = new Map<string, WithMap>();
  for (const id of order) {
    const info = steps.get(id) as StepInfo;
    const kind = info.kind;
    if (!kind) continue;
    const branches = combinations(keys.get(id) ?? [], domain).map((combo) => ({
      id: branchId(id, combo),
      with: markFiles(fillDefaults(kind.schema, parseWith(info.raw.with ?? {}, params, combo) as WithMap), Object.keys(kind.inputs)),
      upstream: (field: string): UpstreamStep | undefined => {
        const ref = info.refs.find((r) => r.field === field && r.path.length === 4);
        const dep = ref && filled.get(branchId(ref.step, restrict(combo, keys.get(ref.step) ?? [])));
        return ref && dep ? { id: ref.step, uses: raw.steps[ref.step]!.uses, with: specView(dep) as WithObject, output: ref.output } : undefined;
      },
    }));
    const checked = checkStepBranches(spec, info, kind, branches, opts.fileExists);
    errors.push(...checked.errors);
    if (checked.outputs) outputsOf.set(id, checked.outputs);
    for (const b of branches) filled.set(b.id, b.with);
  }
  errors.push(...checkRefs(spec, steps, outputsOf));
  errors.push(...searchErrors(spec, raw.search, steps));
  if (errors.length) return fail(errors);

  const built = buildSteps(raw, order, steps, keys, domain, filled);
  const planOrder = topoOrder(built.map((s) => s.id), new Map(built.map((s) => [s.id, s.needs])));
  const byId = new Map(built.map((s) => [s.id, s]));
  const planSteps = (planOrder ?? []).map((id) => byId.get(id) as PlanStep);
  // a search judges the branches in the order the matrix lists their values (the user's order)
  const judged = raw.search ? combinations(keys.get(raw.search.step) ?? [], domain).map((c) => branchId(raw.search!.step, c)) : [];
  const { search, errors: branchErrors } = compileSearch(spec, raw.search, steps, judged.map((id) => byId.get(id)).filter((s) => s !== undefined));
  if (branchErrors.length) return fail(branchErrors);
  const body: Omit<Plan, "specHash" | "specPath" | "planHash"> = {
    version: 1,
    pipeline: raw.name,
    ...(raw.description === undefined ? {} : { description: raw.description }),
    params,
    steps: planSteps,
    concurrency: raw.concurrency ?? DEFAULT_CONCURRENCY,
    ...(search ? { search } : {}),
  };
  const plan: Plan = { ...body, specPath: opts.specPath ?? file, specHash: sha256Hex(text), planHash: sha256Hex(canonicalJson(body)) };
  return { ok: true, plan, specText: text };
}

/** E_CYCLE, once per cycle, at the dependency (in the cycle's first step) that closes it. */
function cycleErrors(spec: LoadedSpec, ids: string[], steps: Map<string, StepInfo>): SpecError[] {
  const deps = new Map(ids.map((id) => [id, [...(steps.get(id)?.deps.keys() ?? [])]]));
  return findCycles(ids, deps).map((cycle) => {
    const first = cycle[0] as string;
    const last = cycle[cycle.length - 1] as string;
    const pos = steps.get(first)?.deps.get(last);
    const text = [...cycle, first].join(" -> ");
    return specError("E_CYCLE", `dependency cycle: ${text}`, spec.file, pos, "remove one of these dependencies (needs or ${{ steps... }} references)");
  });
}

function buildSteps(
  raw: RawSpec,
  order: string[],
  steps: Map<string, StepInfo>,
  keys: Map<string, string[]>,
  domain: MatrixDomain,
  filled: Map<string, WithMap>,
): PlanStep[] {
  const out: PlanStep[] = [];
  const branchesOf = (id: string) => combinations(keys.get(id) ?? [], domain).map((c) => branchId(id, c));
  for (const id of order) {
    const info = steps.get(id) as StepInfo;
    const kind = info.kind as StepKindInfo;
    const settings = resolveSettings(info.raw, kind, raw.defaults);
    const stepKeys = keys.get(id) ?? [];
    for (const combo of combinations(stepKeys, domain)) {
      // The plan ids a dependency stands for in this branch: all of its branches for a gather step.
      const targets = (dep: string): string[] =>
        info.gather ? branchesOf(dep) : [branchId(dep, restrict(combo, keys.get(dep) ?? []))];
      const link: LinkOutput = (ref, whole) => {
        const outs: WithValue[] = targets(ref.step).map((t) => ({ $output: { step: t, output: ref.output } }));
        return (whole && info.gather && (keys.get(ref.step) ?? []).length > 0) || !whole ? outs : outs[0]!;
      };
      const needs = [...new Set([...info.deps.keys()].flatMap(targets))].sort();
      const planId = branchId(id, combo);
      const w = filled.get(planId) as WithMap;
      out.push({
        id: planId,
        specId: id,
        uses: info.raw.uses,
        kindVersion: kind.version,
        with: linkWith(w, link),
        needs,
        ...settings,
        ...(stepKeys.length ? { matrix: combo as Combo } : {}),
        outputs: kind.outputs(specView(w) as WithObject),
      });
    }
  }
  return out;
}
