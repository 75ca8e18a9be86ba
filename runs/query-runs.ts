// Reading runs back for the CLI: `runs list` (listRuns) and `runs show` (getRun).
import { asc, count, desc, eq, inArray } from "drizzle-orm";
import type { RunState, StepState } from "../contract/run.ts";
import { checkpointStepOf } from "../contract/step-io.ts";
import { eventsOf, namedOf, toStoredArtifact, type StoredArtifact } from "./artifact-rows.ts";
import { readTx, type RunDb } from "./db.ts";
import { finalMetrics, type FinalMetric } from "./query-metrics.ts";
import type { ParamRow } from "./record-run.ts";
import {
  executions,
  pipelines,
  runParams,
  runs,
  STEP_STATES,
  type ExecutionRow,
  type PipelineRow,
  type RunRow,
} from "./schema.ts";

export const DEFAULT_LIST_LIMIT = 20;

export interface RunSummary {
  id: string;
  pipeline: string;
  status: RunState;
  startedAt: string;
  finishedAt: string | null;
  /** finished - started; null while the run is still going. */
  durationMs: number | null;
  resumedFrom: string | null;
  /** How many executions are in each state (every state present, zeros included). */
  steps: Record<StepState, number>;
}

export interface ExecutionDetail {
  execution: ExecutionRow;
  inputs: { [name: string]: StoredArtifact };
  outputs: { [name: string]: StoredArtifact };
  /** Newest step first. */
  checkpoints: Array<{ step: number; artifact: StoredArtifact }>;
  /** Final value per metric key (see query-metrics.ts). */
  metrics: FinalMetric[];
}

export interface RunDetail {
  run: RunRow;
  pipeline: PipelineRow;
  params: ParamRow[];
  /** In plan order. */
  executions: ExecutionDetail[];
}

/** Newest first. */
export function listRuns(db: RunDb, options: { limit?: number } = {}): RunSummary[] {
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  return readTx(db, () => {
    const rows = db.orm.select().from(runs).orderBy(desc(runs.startedAt), desc(runs.id)).limit(limit).all();
    return summarizeRuns(db, rows);
  });
}

export function getRun(db: RunDb, runId: string): RunDetail | undefined {
  return readTx(db, () => {
    const row = db.orm
      .select({ run: runs, pipeline: pipelines })
      .from(runs)
      .innerJoin(pipelines, eq(pipelines.id, runs.pipelineId))
      .where(eq(runs.id, runId))
      .get();
    if (row === undefined) return undefined;
    const params = db.orm
      .select({ key: runParams.key, value: runParams.value, type: runParams.type })
      .from(runParams)
      .where(eq(runParams.runId, runId))
      .orderBy(asc(runParams.key))
      .all();
    const execs = executionsOfRuns(db, [runId]);
    const named = eventsOf(db, execs.map((e) => e.id));
    const metrics = finalMetrics(db, [runId]);
    return {
      run: row.run,
      pipeline: row.pipeline,
      params,
      executions: execs.map((execution) => ({
        execution,
        inputs: namedOf(named, execution.id, "input", toStoredArtifact),
        outputs: namedOf(named, execution.id, "output", toStoredArtifact),
        checkpoints: checkpointsOf(named, execution.id),
        metrics: metrics.filter((m) => m.executionId === execution.id),
      })),
    };
  });
}

/** Executions of the given runs, each run's in plan order. */
export function executionsOfRuns(db: RunDb, runIds: string[]): ExecutionRow[] {
  if (runIds.length === 0) return [];
  return db.orm
    .select()
    .from(executions)
    .where(inArray(executions.runId, runIds))
    .orderBy(executions.runId, executions.position)
    .all();
}

/** Summaries of run rows, in the order given. Call inside readTx. */
export function summarizeRuns(db: RunDb, rows: RunRow[]): RunSummary[] {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const names = new Map(
    db.orm
      .select({ id: pipelines.id, name: pipelines.name })
      .from(pipelines)
      .where(inArray(pipelines.id, [...new Set(rows.map((r) => r.pipelineId))]))
      .all()
      .map((p) => [p.id, p.name]),
  );
  const counts = db.orm
    .select({ runId: executions.runId, state: executions.state, n: count() })
    .from(executions)
    .where(inArray(executions.runId, ids))
    .groupBy(executions.runId, executions.state)
    .all();
  return rows.map((r) => {
    const steps = Object.fromEntries(STEP_STATES.map((s) => [s, 0])) as Record<StepState, number>;
    for (const c of counts) if (c.runId === r.id) steps[c.state] = c.n;
    return {
      id: r.id,
      pipeline: names.get(r.pipelineId) ?? "?",
      status: r.status,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      durationMs: r.finishedAt === null ? null : Date.parse(r.finishedAt) - Date.parse(r.startedAt),
      resumedFrom: r.resumedFrom,
      steps,
    };
  });
}

function checkpointsOf(named: ReturnType<typeof eventsOf>, executionId: string): ExecutionDetail["checkpoints"] {
  return named
    .filter((n) => n.executionId === executionId && n.direction === "checkpoint")
    .map((n) => ({ step: checkpointStepOf(n.name), artifact: toStoredArtifact(n.artifact) }))
    .sort((a, b) => b.step - a.step);
}

/** The ids among `runIds` that are not in the database, for a CLI error that names them. */
export function unknownRunIds(db: RunDb, runIds: string[]): string[] {
  if (runIds.length === 0) return [];
  const known = new Set(
    db.orm
      .select({ id: runs.id })
      .from(runs)
      .where(inArray(runs.id, runIds))
      .all()
      .map((r) => r.id),
  );
  return runIds.filter((id) => !known.has(id));
}

/** Runs the database still shows as running, with their workflow ids (to reconcile with Temporal). */
export function openRuns(db: RunDb): { runId: string; workflowId: string }[] {
  return db.orm.select({ runId: runs.id, workflowId: runs.workflowId }).from(runs).where(eq(runs.status, "running")).all();
}
