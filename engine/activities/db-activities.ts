// Activities that write the run database. They run on the workspace's database task queue,
// served only by processes that own the database file, so remote workers never need it.
// Every call is idempotent (the activity may be retried after a crash).
import {
  recordExecutionCached,
  recordExecutionEnd,
  recordExecutionStart,
  recordRunEnd,
  recordRunStart,
  recordRung,
  recordStepReport,
  rungValuesOf,
  type RunDb,
} from "../../runs/index.ts";
import type { ArtifactStore } from "../store/artifact-store.ts";
import { decideCache } from "../store/cache.ts";
import { fileSafe } from "../../contract/ids.ts";
import type { DbActivities, PreparedStep, PrepareStepInput } from "../../contract/run.ts";
import { bindOrFail } from "./step-context.ts";

export function createDbActivities(deps: { db: RunDb; store: ArtifactStore }): DbActivities {
  const { db, store } = deps;
  return {
    async startRun(i) {
      recordRunStart(db, i);
    },

    async prepareStep(i: PrepareStepInput): Promise<PreparedStep> {
      const { with: bound, inputs } = bindOrFail(i.step, i.upstream);
      const { key, components, hit } = await decideCache(db, store, i.step, bound, !i.noCache);
      // --no-cache / --force also means no resuming from an earlier run's checkpoints
      const fresh = i.noCache ? `-${fileSafe(i.executionId)}` : "";
      const checkpointDir = `checkpoints/${key.slice(0, 24)}${fresh}`;
      if (hit) {
        recordExecutionCached(db, {
          executionId: i.executionId,
          cacheKey: key,
          cacheComponents: components,
          cachedFrom: hit.executionId,
          outputs: hit.outputs,
          inputs,
        });
        const rungs = i.watch ? rungValuesOf(db, hit.executionId, i.watch.metric, i.watch.rungs) : undefined;
        return { cacheKey: key, checkpointDir, store: store.url, cached: { ...hit, ...(rungs ? { rungs } : {}) } };
      }
      recordExecutionStart(db, {
        executionId: i.executionId,
        attempt: 1,
        worker: "(queued)",
        cacheKey: key,
        cacheComponents: components,
        inputs,
      });
      return { cacheKey: key, checkpointDir, store: store.url };
    },

    async finishStep(i) {
      if (i.report) recordStepReport(db, i.executionId, i.report);
      recordExecutionEnd(db, {
        executionId: i.executionId,
        state: i.state as "succeeded" | "failed" | "cancelled" | "skipped" | "stopped",
        outputs: i.result?.artifacts,
        metrics: i.result?.metrics,
        error: i.error,
      });
    },

    async finishRun(i) {
      recordRunEnd(db, i);
    },

    async recordRung(i) {
      recordRung(db, i);
    },
  };
}
