// Activities that write the run database. They run on the workspace's database task queue,
// served only by processes that own the database file, so remote workers never need it.
// Every call is idempotent (the activity may be retried after a crash).
import { hostname } from "node:os";
import {
  recordCheckpoint,
  recordExecutionCached,
  recordExecutionEnd,
  recordExecutionStart,
  recordHeartbeat,
  recordRunEnd,
  recordRunStart,
  type RunDb,
} from "../../runs/index.ts";
import { recordAttempt } from "../../runs/record-attempt.ts";
import { decideCache } from "../store/cache.ts";
import type { Recorder } from "../../activities/kit/step-context.ts";
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

export function workerIdentity(): string {
  return `${hostname()}:${process.pid}`;
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

/** Progress and checkpoints written straight to the database by a worker that owns it. */
export function databaseRecorder(db: RunDb): Recorder {
  const seen = new Set<string>();
  return {
    heartbeat(executionId, progress) {
      try {
        const attempt = (progress as { attempt?: number }).attempt;
        const key = `${executionId}#${attempt}`;
        if (attempt !== undefined && !seen.has(key)) {
          seen.add(key);
          recordAttempt(db, { executionId, attempt, worker: workerIdentity() });
        }
        recordHeartbeat(db, { executionId, progress });
      } catch {
        // progress is best effort; the step's result is recorded by the workflow
      }
    },
    checkpoint(executionId, step, artifact) {
      try {
        recordCheckpoint(db, { executionId, artifact, step });
      } catch (err) {
        // the step's result lists its checkpoints too; the workflow records them at the end
        process.stderr.write(`warning: checkpoint of ${executionId} at step ${step} not recorded yet: ${(err as Error).message}\n`);
      }
    },
  };
}
