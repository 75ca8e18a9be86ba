// Shared test helpers for the spec compiler tests.
import assert from "node:assert/strict";
import type { Plan, PlanStep } from "../../contract/plan.ts";
import { compileText, formatError, loadAndCompile } from "../../pipelines/index.ts";
import type { CompileOptions, CompileResult, LoadOptions, SpecError } from "../../pipelines/index.ts";
import { testKinds } from "./test-kinds.ts";

/** compileText with the test registry (the engine's kinds plus test-only ones) unless given. */
export function compile(text: string, file: string, opts: Partial<CompileOptions> = {}): CompileResult {
  return compileText(text, file, { kinds: testKinds, ...opts });
}

/** loadAndCompile with the test registry unless given. */
export function load(path: string, opts: Partial<LoadOptions> = {}): CompileResult {
  return loadAndCompile(path, { kinds: testKinds, ...opts });
}

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
