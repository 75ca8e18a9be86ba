// Activities that write the run database. They run on the workspace's database task queue,
// served only by processes that own the database file, so remote workers never need it.
// Every call is idempotent (the activity may be retried after a crash).
import { hostname } from "node:os";
import type { Plan, PlanStep } from "../pipelines/plan.ts";
import {
  findCachedOutputs,
  recordCheckpoint,
  recordExecutionCached,
  recordExecutionEnd,
  recordExecutionStart,
  recordHeartbeat,
  recordRunEnd,
  recordRunStart,
  type RunDb,
} from "../runs/index.ts";
import { recordAttempt } from "../runs/record-attempt.ts";
import { cacheKey } from "./cache-key.ts";
import type { Recorder } from "./step-context.ts";
import { verifyArtifact } from "./store.ts";
import type { ArtifactRef, RunState, StepResult, StepState } from "./types.ts";

export interface PrepareStepInput {
  runId: string;
  executionId: string;
  step: PlanStep;
  with: Record<string, unknown>;
  refs: Record<string, ArtifactRef>;
  noCache: boolean;
}

export interface PreparedStep {
  cacheKey: string;
  checkpointDir: string;
  cached?: { executionId: string; outputs: Record<string, ArtifactRef> };
}

/** Inputs of a step: every artifact in its `with` and its templates, by a readable name. */
function namedInputs(w: unknown, refs: Record<string, ArtifactRef>): Record<string, ArtifactRef> {
  const out: Record<string, ArtifactRef> = { ...refs };
  const walk = (v: unknown, path: string) => {
    if (v && typeof v === "object" && "sha256" in v && "uri" in v) out[path] = v as ArtifactRef;
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(w, "");
  return out;
}

export function workerIdentity(): string {
  return `${hostname()}:${process.pid}`;
}

export function createDbActivities(deps: { db: RunDb; root: string }) {
  const { db, root } = deps;
  return {
    async startRun(i: { runId: string; workflowId: string; plan: Plan; specText: string; resumedFrom?: string; gitCommit?: string }) {
      recordRunStart(db, i);
    },

    async prepareStep(i: PrepareStepInput): Promise<PreparedStep> {
      const { key, components } = cacheKey(i.step, i.with, i.refs);
      // --no-cache / --force also means no resuming from an earlier run's checkpoints
      const fresh = i.noCache ? `-${i.executionId.replace(/[^\w.-]+/g, "_")}` : "";
      const checkpointDir = `checkpoints/${key.slice(0, 24)}${fresh}`;
      const inputs = namedInputs(i.with, i.refs);
      if (!i.noCache) {
        const hit = findCachedOutputs(db, key);
        if (hit && (await allPresent(root, Object.values(hit.outputs)))) {
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

    async finishStep(i: { executionId: string; state: StepState; result?: StepResult; error?: string }) {
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

    async finishRun(i: { runId: string; status: Exclude<RunState, "running">; error?: string }) {
      recordRunEnd(db, i);
    },
  };
}

async function allPresent(root: string, refs: ArtifactRef[]): Promise<boolean> {
  for (const r of refs) if (!(await verifyArtifact(root, r))) return false;
  return true;
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
