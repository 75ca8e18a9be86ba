// The one cache decision, shared by `mmada plan` (what would run) and the workflow's prepareStep
// (what runs): the step's cache key, and the earlier execution whose outputs it may reuse: only
// when every output is still in the store with its content intact.
import type { ArtifactRef } from "../../contract/step-io.ts";
import type { PlanStep } from "../../contract/plan.ts";
import type { WithMap } from "../../contract/with-value.ts";
import { findCachedOutputs, type RunDb } from "../../runs/index.ts";
import type { ArtifactStore } from "./artifact-store.ts";
import { type CacheComponents, cacheKey } from "./cache-key.ts";

export interface CacheDecision {
  key: string;
  components: CacheComponents;
  /** The execution to reuse, when its outputs are all present and intact. */
  hit?: { executionId: string; outputs: Record<string, ArtifactRef> };
  /** An execution with this key exists, but its outputs are missing or corrupt in the store. */
  damaged?: string;
}

export async function decideCache(
  db: RunDb,
  store: Pick<ArtifactStore, "has">,
  step: PlanStep,
  bound: WithMap,
  useCache: boolean,
): Promise<CacheDecision> {
  const { key, components } = cacheKey(step, bound);
  if (!useCache) return { key, components };
  const found = findCachedOutputs(db, key);
  if (!found) return { key, components };
  for (const r of Object.values(found.outputs)) {
    if (!(await store.has(r))) return { key, components, damaged: found.executionId };
  }
  return { key, components, hit: found };
}
