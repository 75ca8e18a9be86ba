// Shared test helpers for the spec compiler tests.
import assert from "node:assert/strict";
import { formatError } from "../../pipelines/index.ts";
import type { CompileResult, Plan, PlanStep, SpecError } from "../../pipelines/index.ts";

/** The plan, or a failed assertion that shows every compile error. */
export function planOf(r: CompileResult): Plan {
  if (!r.ok) assert.fail(`expected a plan, got:\n${r.errors.map(formatError).join("\n")}`);
  return r.plan;
}

/** The errors, or a failed assertion when the spec compiled. */
export function errorsOf(r: CompileResult): SpecError[] {
  if (r.ok) assert.fail("expected compile errors, but the spec compiled");
  return r.errors;
}

export function stepOf(plan: Plan, id: string): PlanStep {
  const s = plan.steps.find((x) => x.id === id);
  if (!s) assert.fail(`no step '${id}' in plan: ${plan.steps.map((x) => x.id).join(", ")}`);
  return s;
}
