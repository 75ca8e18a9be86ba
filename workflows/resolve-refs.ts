// Replaces step-output references in a step's `with` by the artifacts those steps produced.
// Pure (runs inside the workflow sandbox).
import type { PlanStep, PlanValue } from "../pipelines/plan.ts";
import type { ArtifactRef } from "../activities/types.ts";

export type StepOutputs = Record<string, Record<string, ArtifactRef>>;

const TEMPLATE = /\$\{\{\s*steps\.([A-Za-z0-9_-]+(?:\[[^\]]*\])?)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}/g;

function isRef(v: unknown): v is { $ref: { step: string; output: string } } {
  return typeof v === "object" && v !== null && "$ref" in v;
}

export function resolveRefs(step: PlanStep, outputs: StepOutputs): { with: Record<string, unknown>; refs: Record<string, ArtifactRef> } {
  const refs: Record<string, ArtifactRef> = {};
  const lookup = (stepId: string, output: string): ArtifactRef => {
    const ref = outputs[stepId]?.[output];
    if (!ref) throw new Error(`step '${step.id}' needs output '${output}' of '${stepId}', which did not produce it`);
    return ref;
  };
  const walk = (v: PlanValue | unknown): unknown => {
    if (isRef(v)) return lookup(v.$ref.step, v.$ref.output);
    if (typeof v === "string") {
      for (const m of v.matchAll(TEMPLATE)) refs[`steps.${m[1]}.outputs.${m[2]}`] = lookup(m[1]!, m[2]!);
      return v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { with: walk(step.with) as Record<string, unknown>, refs };
}
