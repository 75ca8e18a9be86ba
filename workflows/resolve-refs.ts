// Replaces step-output references in a step's `with` by the artifacts those steps produced.
// Pure (runs inside the workflow sandbox).
import type { ArtifactRef } from "../contract/artifacts.ts";
import { isOutputRef, type PlanStep, type PlanValue } from "../contract/plan.ts";
import { templateKey, templateRefs } from "../contract/template.ts";

export type StepOutputs = Record<string, Record<string, ArtifactRef>>;

/** `with` with every whole reference replaced by its ArtifactRef, and the artifacts that strings
 *  name (`refs`, by templateKey; the step runner substitutes their paths). */
export function resolveRefs(step: PlanStep, outputs: StepOutputs): { with: Record<string, unknown>; refs: Record<string, ArtifactRef> } {
  const refs: Record<string, ArtifactRef> = {};
  const lookup = (stepId: string, output: string): ArtifactRef => {
    const ref = outputs[stepId]?.[output];
    if (!ref) throw new Error(`step '${step.id}' needs output '${output}' of '${stepId}', which did not produce it`);
    return ref;
  };
  const walk = (v: PlanValue): unknown => {
    if (isOutputRef(v)) return lookup(v.$ref.step, v.$ref.output);
    if (typeof v === "string") {
      for (const r of templateRefs(v)) refs[templateKey(r)] = lookup(r.step, r.output);
      return v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { with: walk(step.with) as Record<string, unknown>, refs };
}
