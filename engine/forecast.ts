// `mmada plan`'s question: for each step of a plan, would a run now reuse it from the cache or run
// it, and why (which cache-key component changed since the step last ran). Uses the same cache
// decision as the workflow (store/cache.ts).
import type { Plan } from "../contract/plan.ts";
import { lastExecutionOfStep, type RunDb } from "../runs/index.ts";
import { resolveRefs, type StepOutputs } from "../workflows/resolve-refs.ts";
import { decideCache } from "./store/cache.ts";
import { explainChange, type CacheComponents } from "./store/cache-key.ts";

export interface StepForecast {
  id: string;
  uses: string;
  needs: string[];
  queue: string;
  action: "cached" | "run";
  why: string[];
  cacheKey?: string;
}

export async function forecastPlan(db: RunDb, root: string, plan: Plan): Promise<StepForecast[]> {
  const outputs: StepOutputs = {};
  const out: StepForecast[] = [];
  for (const step of plan.steps) {
    const base = { id: step.id, uses: step.uses, needs: step.needs, queue: step.queue };
    const upstreamRuns = step.needs.filter((n) => !outputs[n]);
    if (upstreamRuns.length) {
      out.push({ ...base, action: "run", why: [`upstream ${upstreamRuns.join(", ")} will run`] });
      continue;
    }
    const { with: w, refs } = resolveRefs(step, outputs);
    const { key, components, hit, damaged } = await decideCache(db, root, step, w, refs, step.cache);
    if (hit) {
      outputs[step.id] = hit.outputs;
      out.push({ ...base, action: "cached", why: [`same cache key as ${hit.executionId}`], cacheKey: key });
      continue;
    }
    const last = lastExecutionOfStep(db, plan.pipeline, step.id);
    let why: string[];
    if (!step.cache) why = ["cache: false"];
    else if (damaged) why = [`the outputs of ${damaged} are missing or corrupt in the artifact store`];
    else if (!last) why = ["never ran before"];
    else if (last.cacheKey === key) why = [`last execution ${last.executionId} ${last.state}`];
    else why = explainChange(last.cacheComponents as unknown as CacheComponents, components);
    out.push({ ...base, action: "run", why: why.length ? why : ["cache key changed"], cacheKey: key });
  }
  return out;
}
