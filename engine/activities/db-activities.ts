// Activities that write the run database. They run on the workspace's database task queue,
// served only by processes that own the database file, so remote workers never need it.
// Every call is idempotent (the activity may be retried after a crash).
import {
  recordCheckpoint,
  recordExecutionCached,
  recordExecutionEnd,
  recordExecutionStart,
  recordRunEnd,
  recordRunStart,
  type RunDb,
} from "../../runs/index.ts";
import { decideCache } from "../store/cache.ts";
import { fileSafe } from "../../contract/ids.ts";
import { isArtifactRef, type ArtifactRef } from "../../contract/artifacts.ts";
import type { DbActivities, PrepareStepInput, PreparedStep } from "../../contract/run.ts";

/** Inputs of a step: every artifact in its `with` and its templates, by a readable name. */
function namedInputs(w: unknown, refs: Record<string, ArtifactRef>): Record<string, ArtifactRef> {
  const out: Record<string, ArtifactRef> = { ...refs };
  const walk = (v: unknown, path: string) => {
    if (isArtifactRef(v)) out[path] = v;
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(w, "");
  return out;
}


export function createDbActivities(deps: { db: RunDb; root: string }): DbActivities {
  const { db, root } = deps;
  return {
    async startRun(i) {
      recordRunStart(db, i);
    },

    async prepareStep(i: PrepareStepInput): Promise<PreparedStep> {
      const { key, components, hit } = await decideCache(db, root, i.step, i.with, i.refs, !i.noCache);
      // --no-cache / --force also means no resuming from an earlier run's checkpoints
      const fresh = i.noCache ? `-${fileSafe(i.executionId)}` : "";
      const checkpointDir = `checkpoints/${key.slice(0, 24)}${fresh}`;
      const inputs = namedInputs(i.with, i.refs);
      if (hit) {
        recordExecutionCached(db, {
          executionId: i.executionId,
          cacheKey: key,
          cacheComponents: components,
          cachedFrom: hit.executionId,
          outputs: hit.outputs,
          inputs,
        });
        return { cacheKey: key, checkpointDir, cached: hit };
      }
      recordExecutionStart(db, {
        executionId: i.executionId,
        attempt: 1,
        worker: "(queued)",
        cacheKey: key,
        cacheComponents: components,
        inputs,
      });
      return { cacheKey: key, checkpointDir };
    },

    async finishStep(i) {
      for (const c of i.result?.checkpoints ?? []) {
        recordCheckpoint(db, { executionId: i.executionId, artifact: c.artifact, step: c.step });
      }
      recordExecutionEnd(db, {
        executionId: i.executionId,
        state: i.state as "succeeded" | "failed" | "cancelled" | "skipped",
        outputs: i.result?.artifacts,
        metrics: i.result?.metrics,
        error: i.error,
      });
    },

    async finishRun(i) {
      recordRunEnd(db, i);
    },
  };
}
