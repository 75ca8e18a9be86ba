// The spec's `search:` block -> plan.search: which branches compete, by which metric, at which rungs
// (contract/plan.ts PlanSearch; the workflow decides, workflows/search.ts). Every problem is located
// at the field that causes it: an unknown step or metric (with a did-you-mean), a step whose kind
// cannot stop at a rung, a step with one branch, rungs that are not below a branch's budget, a
// field of the other rule.
import type { PlanSearch, PlanStep } from "../contract/plan.ts";
import type { StepKindInfo } from "../contract/step-kind.ts";
import type { StepInfo } from "./analyze.ts";
import { specError, type SpecError } from "./errors.ts";
import { keyPos, type LoadedSpec, valuePos } from "./load.ts";
import { didYouMean } from "./names.ts";
import type { RawSearch } from "./spec-types.ts";

const ASHA_ONLY = ["minSteps", "reductionFactor"] as const;
const MEDIAN_ONLY = ["gracePeriod", "every", "minBranches"] as const;

/** At the field's value, or at `search:` itself for what no one field holds. */
function searchError(spec: LoadedSpec, field: keyof RawSearch | undefined, code: Parameters<typeof specError>[0], message: string, hint?: string): SpecError {
  return specError(code, message, spec.file, field === undefined ? keyPos(spec, ["search"]) : valuePos(spec, ["search", field]), hint);
}

/** What can be checked before the plan's steps exist (reported with the spec's other errors): the
 *  step and its kind, the metric, the rule's fields, the rungs' source. */
export function searchErrors(spec: LoadedSpec, raw: RawSearch | undefined, steps: Map<string, StepInfo>): SpecError[] {
  if (!raw) return [];
  const fail = (...a: Parameters<typeof searchError> extends [LoadedSpec, ...infer R] ? R : never) => [searchError(spec, ...a)];
  const rule = raw.rule ?? "asha";
  const ids = [...steps.keys()];
  const info = steps.get(raw.step);
  if (!info) return fail("step", "E_UNKNOWN_STEP", `search.step '${raw.step}' is not a step`, didYouMean(raw.step, ids) ?? `steps: ${ids.join(", ")}`);
  const kind = info.kind;
  if (!kind) return []; // its unknown kind is reported already
  if (!kind.budget) {
    return fail("step", "E_SEARCH", `search.step '${raw.step}' uses '${kind.name}', which cannot stop at a rung`, "search a step that trains for a number of steps: train or unigrpo");
  }
  const errors: SpecError[] = [];
  if (!kind.budget.metrics.includes(raw.metric)) {
    const known = kind.budget.metrics;
    errors.push(searchError(spec, "metric", "E_UNKNOWN_METRIC", `'${kind.name}' reports no metric '${raw.metric}' at a rung`, didYouMean(raw.metric, known) ?? `metrics: ${known.join(", ")}`));
  }
  const other = rule === "asha" ? "median" : "asha";
  for (const f of rule === "asha" ? MEDIAN_ONLY : ASHA_ONLY) {
    if (raw[f] !== undefined) errors.push(searchError(spec, f, "E_SEARCH", `search.${f} belongs to the ${other} rule, not ${rule}`, `remove it, or set rule: ${other}`));
  }
  if (!raw.rungs && raw.minSteps === undefined && raw.gracePeriod === undefined) {
    errors.push(searchError(spec, undefined, "E_SEARCH", "search needs its rungs", "give `rungs: [...]`, or `minSteps` (asha) or `gracePeriod` (median)"));
  }
  return errors;
}

/** plan.search, once searchErrors found nothing: `branches` are the plan steps of `raw.step` in the
 *  order the search judges them; each needs a numeric budget and rungs below it. */
export function compileSearch(
  spec: LoadedSpec,
  raw: RawSearch | undefined,
  steps: Map<string, StepInfo>,
  branches: PlanStep[],
): { search?: PlanSearch; errors: SpecError[] } {
  if (!raw) return { errors: [] };
  const fail = (...a: Parameters<typeof searchError> extends [LoadedSpec, ...infer R] ? R : never) => ({ errors: [searchError(spec, ...a)] });
  const rule = raw.rule ?? "asha";
  if (branches.length < 2) return fail("step", "E_SEARCH", `search.step '${raw.step}' has ${branches.length} branch; a search needs a matrix over it`, "give it, or a step it depends on, a matrix");
  const eta = raw.reductionFactor ?? 3;
  const field = (steps.get(raw.step)!.kind as StepKindInfo).budget!.field;
  const planned: PlanSearch["branches"] = [];
  for (const b of branches) {
    const budget = b.with[field];
    if (typeof budget !== "number") {
      const at = valuePos(spec, ["steps", raw.step, "with", field]);
      return { errors: [specError("E_SEARCH", `${b.id}: with.${field} must be a number for a search, not a step output`, spec.file, at)] };
    }
    if (raw.rungs) {
      const bad = raw.rungs.find((r, i) => r >= budget || (i > 0 && r <= raw.rungs![i - 1]!));
      if (bad !== undefined) return fail("rungs", "E_SEARCH", `search.rungs must ascend and stay below each branch's ${field}: ${bad} does not (${b.id}: ${field} ${budget})`);
    }
    const rungs = rungsOf(raw, rule, eta, budget);
    if (rungs.length === 0) {
      const from = rule === "asha" ? "minSteps" : "gracePeriod";
      return fail(from, "E_SEARCH", `search.${from} leaves ${b.id} no rung: none is below its ${field} (${budget})`, `judge it before step ${budget}`);
    }
    planned.push({ id: b.id, rungs, budget });
  }
  return {
    errors: [],
    search: { specStep: raw.step, metric: raw.metric, mode: raw.mode, rule, reductionFactor: eta, minBranches: raw.minBranches ?? 3, branches: planned },
  };
}

/** The rungs of a branch whose budget is `budget` training steps. */
function rungsOf(raw: RawSearch, rule: "asha" | "median", eta: number, budget: number): number[] {
  if (raw.rungs) return [...raw.rungs];
  const out: number[] = [];
  if (rule === "asha" && raw.minSteps !== undefined) for (let r = raw.minSteps; r < budget; r *= eta) out.push(r);
  if (rule === "median" && raw.gracePeriod !== undefined) for (let r = raw.gracePeriod; r < budget; r += raw.every ?? raw.gracePeriod) out.push(r);
  return out;
}
