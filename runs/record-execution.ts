// Execution-level writes, in the order a step lives through them: start (or cached), its reports
// (attempt, worker, checkpoints, progress), metrics, end. Each is one BEGIN IMMEDIATE transaction keyed by the execution id, so a
// retried activity (or one killed -9 halfway) leaves either all of a call's rows or none, never twice.
import { eq, sql } from "drizzle-orm";
import type { ArtifactRef, MetricPoint } from "../contract/step-io.ts";
import type { StepState } from "../contract/run.ts";
import { checkpointLabel, type StepReport } from "../contract/step-io.ts";
import { addEvent, replaceEvents, upsertArtifact } from "./artifact-rows.ts";
import { writeTx, type RunDb } from "./db.ts";
import { executions, FINAL_STEP, metrics, type ExecutionRow } from "./schema.ts";

type Named = { [name: string]: ArtifactRef };

export interface RecordExecutionStartInput {
  executionId: string;
  attempt: number;
  worker: string;
  cacheKey: string;
  cacheComponents: object;
  inputs: Named;
}

export function recordExecutionStart(db: RunDb, input: RecordExecutionStartInput): void {
  writeTx(db, () => {
    const row = getExecution(db, input.executionId);
    // The same attempt reported twice keeps its first start time; a new attempt starts afresh.
    const sameAttempt = row.state === "running" && row.attempt === input.attempt && row.startedAt !== null;
    db.orm
      .update(executions)
      .set({
        state: "running",
        attempt: input.attempt,
        worker: input.worker,
        cacheKey: input.cacheKey,
        cacheComponentsJson: JSON.stringify(input.cacheComponents),
        cachedFrom: null,
        startedAt: sameAttempt ? row.startedAt : db.now(),
        finishedAt: null,
        error: null,
      })
      .where(eq(executions.id, input.executionId))
      .run();
    replaceEvents(db, input.executionId, "input", input.inputs, null);
  });
}

export interface RecordExecutionCachedInput {
  executionId: string;
  cacheKey: string;
  cacheComponents: object;
  /** The execution whose outputs are reused (from findCachedOutputs). */
  cachedFrom: string;
  outputs: Named;
  inputs: Named;
}

/** The step was not run: its outputs are another execution's artifacts (same rows, new events). */
export function recordExecutionCached(db: RunDb, input: RecordExecutionCachedInput): void {
  writeTx(db, () => {
    const row = getExecution(db, input.executionId);
    getExecution(db, input.cachedFrom, "cachedFrom");
    const now = db.now();
    const again = row.state === "cached";
    db.orm
      .update(executions)
      .set({
        state: "cached",
        cacheKey: input.cacheKey,
        cacheComponentsJson: JSON.stringify(input.cacheComponents),
        cachedFrom: input.cachedFrom,
        startedAt: again ? row.startedAt : now,
        finishedAt: again ? row.finishedAt : now,
        error: null,
      })
      .where(eq(executions.id, input.executionId))
      .run();
    replaceEvents(db, input.executionId, "input", input.inputs, null);
    // Artifacts already exist with their real producer; cachedFrom only fills a missing one.
    replaceEvents(db, input.executionId, "output", input.outputs, input.cachedFrom);
  });
}

/**
 * What a step reported of itself (contract/step-io.ts StepReport), whether it came with a heartbeat
 * or with the step's end: its attempt and worker, every checkpoint it announced, where it is. One
 * transaction, idempotent. A finished execution keeps its state, attempt and worker (a late
 * heartbeat of a zombie attempt must not reopen or rename it) but still gains the checkpoints.
 */
export function recordStepReport(db: RunDb, executionId: string, report: StepReport): void {
  report.checkpoints.forEach((c) => checkStep(c.step, `checkpoint of ${executionId}`));
  writeTx(db, () => {
    const row = getExecution(db, executionId);
    if (row.state === "pending" || row.state === "running") {
      const newer = report.attempt >= row.attempt;
      db.orm
        .update(executions)
        .set({
          state: "running",
          lastHeartbeatAt: db.now(),
          progressJson: JSON.stringify(report.progress),
          ...(newer ? { attempt: report.attempt, worker: report.worker } : {}),
        })
        .where(eq(executions.id, executionId))
        .run();
    }
    for (const c of report.checkpoints) {
      addEvent(db, executionId, "checkpoint", checkpointLabel(c.step), upsertArtifact(db, c.artifact, executionId));
    }
  });
}

const END_STATES = ["succeeded", "failed", "cancelled", "skipped", "stopped"] as const satisfies readonly StepState[];

export interface RecordExecutionEndInput {
  executionId: string;
  state: (typeof END_STATES)[number];
  outputs?: Named;
  metrics?: MetricPoint[];
  error?: string;
}

export function recordExecutionEnd(db: RunDb, input: RecordExecutionEndInput): void {
  if (!(END_STATES as readonly string[]).includes(input.state)) {
    throw new Error(
      `runs: recordExecutionEnd(${input.executionId}) got state "${input.state}"; use ${END_STATES.join(", ")} ` +
        "(a cache hit is recorded with recordExecutionCached)",
    );
  }
  input.metrics?.forEach((m) => checkMetric(m, input.executionId));
  writeTx(db, () => {
    const row = getExecution(db, input.executionId);
    const again = row.state === input.state && row.finishedAt !== null;
    db.orm
      .update(executions)
      .set({ state: input.state, finishedAt: again ? row.finishedAt : db.now(), error: input.error ?? null })
      .where(eq(executions.id, input.executionId))
      .run();
    if (input.outputs !== undefined) replaceEvents(db, input.executionId, "output", input.outputs, input.executionId);
    if (input.metrics !== undefined) upsertMetrics(db, row, input.metrics);
  });
}

/** Progress metrics during training (loss at step k): upserted, so a resumed attempt overwrites. */
export function recordMetrics(db: RunDb, executionId: string, points: MetricPoint[]): void {
  points.forEach((m) => checkMetric(m, executionId));
  writeTx(db, () => upsertMetrics(db, getExecution(db, executionId), points));
}

function upsertMetrics(db: RunDb, execution: ExecutionRow, points: MetricPoint[]): void {
  const recordedAt = db.now();
  for (const m of points) {
    db.orm
      .insert(metrics)
      .values({
        runId: execution.runId,
        executionId: execution.id,
        key: m.key,
        step: m.step ?? FINAL_STEP,
        value: Number.isNaN(m.value) ? null : m.value,
        recordedAt,
      })
      .onConflictDoUpdate({
        target: [metrics.executionId, metrics.key, metrics.step],
        set: { value: sql`excluded.value`, recordedAt: sql`excluded.recorded_at` },
      })
      .run();
  }
}

function checkMetric(m: MetricPoint, executionId: string): void {
  if (typeof m.key !== "string" || m.key === "") throw new Error(`runs: a metric of ${executionId} has no key`);
  if (typeof m.value !== "number") throw new Error(`runs: metric "${m.key}" of ${executionId} is not a number`);
  if (m.step !== undefined) checkStep(m.step, `metric "${m.key}" of ${executionId}`);
}

function checkStep(step: number, where: string): void {
  if (!Number.isInteger(step) || step < 0) {
    throw new Error(`runs: ${where} has step ${step}; steps are integers >= 0 (omit the step for a final value)`);
  }
}

function getExecution(db: RunDb, executionId: string, field = "executionId"): ExecutionRow {
  const row = db.orm.select().from(executions).where(eq(executions.id, executionId)).get();
  if (row === undefined) throw unknownExecution(executionId, field);
  return row;
}

function unknownExecution(executionId: string, field: string): Error {
  return new Error(
    `runs: ${field} "${executionId}" is not in the run database; executions are created by recordRunStart ` +
      "(ids are `${runId}/${stepId}`), so record the run before its steps",
  );
}
