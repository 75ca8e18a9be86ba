// A run's moving parts, cheap enough to poll every few seconds (the web UI's live run page): the run's
// status, every step's state, attempt, last heartbeat and progress, and how many metric points exist
// (a change tells the page to fetch the curves again).
import { count, eq } from "drizzle-orm";
import type { StepProgress } from "../contract/step-io.ts";
import { readTx, type RunDb } from "./db.ts";
import { executions, metrics, runs, type ExecutionRow, type RunRow } from "./schema.ts";

export type { StepProgress };

export interface LiveStep {
  id: string;
  state: ExecutionRow["state"];
  attempt: number;
  startedAt: string | null;
  finishedAt: string | null;
  lastHeartbeatAt: string | null;
  progress: StepProgress | null;
  error: string | null;
}

export interface LiveRun {
  runId: string;
  status: RunRow["status"];
  finishedAt: string | null;
  /** In plan order. */
  steps: LiveStep[];
  metricPoints: number;
}

export function liveRun(db: RunDb, runId: string): LiveRun | undefined {
  return readTx(db, () => {
    const run = db.orm.select({ status: runs.status, finishedAt: runs.finishedAt }).from(runs).where(eq(runs.id, runId)).get();
    if (run === undefined) return undefined;
    const steps = db.orm.select().from(executions).where(eq(executions.runId, runId)).orderBy(executions.position).all();
    const points = db.orm.select({ n: count() }).from(metrics).where(eq(metrics.runId, runId)).get();
    return {
      runId,
      status: run.status,
      finishedAt: run.finishedAt,
      steps: steps.map((e) => ({
        id: e.stepId,
        state: e.state,
        attempt: e.attempt,
        startedAt: e.startedAt,
        finishedAt: e.finishedAt,
        lastHeartbeatAt: e.lastHeartbeatAt,
        progress: parseProgress(e.progressJson),
        error: e.error,
      })),
      metricPoints: points?.n ?? 0,
    };
  });
}

function parseProgress(json: string | null): StepProgress | null {
  if (json === null) return null;
  try {
    const p = JSON.parse(json) as Record<string, unknown>;
    const out: StepProgress = {};
    if (typeof p.percent === "number") out.percent = p.percent;
    if (typeof p.step === "number") out.step = p.step;
    if (typeof p.totalSteps === "number") out.totalSteps = p.totalSteps;
    if (typeof p.message === "string") out.message = p.message;
    return out;
  } catch {
    return null;
  }
}
