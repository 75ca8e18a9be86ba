// `mmada plan`'s question: for each step of a plan, would a run now reuse it from the cache or run
// it, and why (which cache-key component changed since the step last ran). Uses the same cache
// decision as the workflow (store/cache.ts). A step after one that will run is decided by content
// where it can be: if upstream gives the outputs of its last run again, is this step's key one it
// ran with before? Then it `depends` (reused unless those outputs change), else it runs.
import type { Plan } from "../contract/plan.ts";
import { findCachedOutputs, lastExecutionOfStep, type RunDb } from "../runs/index.ts";
import { bindWith, type StepOutputs, UnboundOutputError } from "../contract/with-value.ts";
import type { ArtifactStore } from "./store/artifact-store.ts";
import { decideCache } from "./store/cache.ts";
import { type CacheComponents, explainChange } from "./store/cache-key.ts";

export interface StepForecast {
  id: string;
  uses: string;
  needs: string[];
  queue: string;
  /** `depends`: it runs unless the steps upstream that will run give the outputs they gave last
   *  time; then its cache key is one it ran with before and it is reused by content. */
  action: "cached" | "run" | "depends";
  why: string[];
  cacheKey?: string;
}

export async function forecastPlan(db: RunDb, store: Pick<ArtifactStore, "has">, plan: Plan): Promise<StepForecast[]> {
  /** Outputs a run would have now: those of the steps it would reuse. */
  const outputs: StepOutputs = {};
  /** Outputs a step that will run gave last time: if it gives them again, what follows is reused. */
  const previous: StepOutputs = {};
  const out: StepForecast[] = [];
  for (const step of plan.steps) {
    const base = { id: step.id, uses: step.uses, needs: step.needs, queue: step.queue };
    const upstreamRuns = step.needs.filter((n) => !outputs[n]);
    const upstream = upstreamRuns.join(", ");
    if (upstreamRuns.some((n) => !previous[n])) {
      out.push({ ...base, action: "run", why: [`upstream ${upstream} will run`] });
      continue;
    }
    // with every upstream output known (or assumed as last time), the cache decides by content
    let bound;
    try {
      bound = bindWith(step.with, { ...previous, ...outputs }).with;
    } catch (err) {
      if (!(err instanceof UnboundOutputError)) throw err;
      // an upstream's earlier outputs lack one this step reads now (the upstream kind changed)
      out.push({ ...base, action: "run", why: [err.message] });
      continue;
    }
    const { key, components, hit, damaged } = await decideCache(db, store, step, bound, step.cache);
    if (hit && upstreamRuns.length === 0) {
      outputs[step.id] = hit.outputs;
      out.push({ ...base, action: "cached", why: [`same cache key as ${hit.executionId}`], cacheKey: key });
      continue;
    }
    if (hit) {
      previous[step.id] = hit.outputs;
      const gives = upstreamRuns.length === 1 ? "gives" : "give";
      out.push({ ...base, action: "depends", why: [`reused from ${hit.executionId} if ${upstream} ${gives} the same outputs as last time, else it runs`] });
      continue;
    }
    const last = lastExecutionOfStep(db, plan.pipeline, step.id);
    const lastOutputs = last && findCachedOutputs(db, last.cacheKey);
    if (lastOutputs) previous[step.id] = lastOutputs.outputs;
    let why: string[];
    if (!step.cache) why = ["cache: false"];
    else if (damaged) why = [`the outputs of ${damaged} are missing or corrupt in the artifact store`];
    else if (!last) why = ["never ran before"];
    else if (last.cacheKey === key) why = [`last execution ${last.executionId} ${last.state}`];
    else why = explainChange(last.cacheComponents as unknown as CacheComponents, components);
    if (upstreamRuns.length) why = [`upstream ${upstream} will run`, ...why];
    out.push({ ...base, action: "run", why: why.length ? why : ["cache key changed"], cacheKey: key });
  }
  return out;
}
