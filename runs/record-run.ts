// Run-level writes: the start of a run (pipeline, params, one pending execution per plan step) and its end.
// Both run inside Temporal activities that may be retried, so both are idempotent upserts.
import { and, eq } from "drizzle-orm";
import type { RunState } from "../contract/run.ts";
import type { Plan } from "../contract/plan.ts";
import { writeTx, type RunDb } from "./db.ts";
import { executionIdOf } from "../contract/ids.ts";
import { executions, pipelines, RUN_STATUSES, runParams, runs, type ParamType } from "./schema.ts";

export interface RecordRunStartInput {
  runId: string;
  workflowId: string;
  plan: Plan;
  /** The spec file's text, stored once per spec hash so a run can always show what it ran. */
  specText: string;
  resumedFrom?: string;
  gitCommit?: string;
}

export function recordRunStart(db: RunDb, input: RecordRunStartInput): void {
  const { runId, plan } = input;
  writeTx(db, () => {
    const existing = db.orm.select({ planHash: runs.planHash }).from(runs).where(eq(runs.id, runId)).get();
    if (existing !== undefined) {
      if (existing.planHash !== plan.planHash) {
        throw new Error(
          `runs: run "${runId}" is already recorded with plan ${existing.planHash}, not ${plan.planHash}; ` +
            "start the new plan under a new run id",
        );
      }
      return; // a retry: everything below was committed together with the run row
    }
    const pipelineId = upsertPipeline(db, plan, input.specText);
    db.orm
      .insert(runs)
      .values({
        id: runId,
        pipelineId,
        status: "running",
        paramsJson: JSON.stringify(plan.params),
        planJson: JSON.stringify(plan),
        planHash: plan.planHash,
        resumedFrom: input.resumedFrom ?? null,
        gitCommit: input.gitCommit ?? null,
        workflowId: input.workflowId,
        startedAt: db.now(),
      })
      .run();
    for (const row of flattenParams(plan.params)) {
      db.orm.insert(runParams).values({ runId, ...row }).onConflictDoNothing().run();
    }
    plan.steps.forEach((step, position) => {
      db.orm
        .insert(executions)
        .values({
          id: executionIdOf(runId, step.id),
          runId,
          stepId: step.id,
          specStepId: step.specId,
          position,
          kind: step.uses,
          kindVersion: step.kindVersion,
          state: "pending",
          matrixJson: step.matrix === undefined ? null : JSON.stringify(step.matrix),
        })
        .onConflictDoNothing()
        .run();
    });
  });
}

function upsertPipeline(db: RunDb, plan: Plan, specText: string): number {
  db.orm
    .insert(pipelines)
    .values({ name: plan.pipeline, specHash: plan.specHash, specText, specPath: plan.specPath, createdAt: db.now() })
    .onConflictDoNothing({ target: pipelines.specHash })
    .run();
  const row = db.orm.select({ id: pipelines.id }).from(pipelines).where(eq(pipelines.specHash, plan.specHash)).get();
  if (row === undefined) throw new Error(`runs: pipeline row for spec ${plan.specHash} vanished right after its insert`);
  return row.id;
}

const END_STATUSES = RUN_STATUSES.filter((s): s is Exclude<RunState, "running"> => s !== "running");

export interface RecordRunEndInput {
  runId: string;
  status: Exclude<RunState, "running">;
  error?: string;
}

/**
 * Marks the run finished. Steps that never got to run are closed too, so no execution stays
 * 'pending' or 'running' forever after its run ended: pending -> skipped, running -> cancelled.
 * A retry keeps the first finished_at.
 */
export function recordRunEnd(db: RunDb, input: RecordRunEndInput): void {
  // Checked at run time too: the caller is an activity whose input arrives as untyped JSON.
  if (!END_STATUSES.includes(input.status)) {
    throw new Error(`runs: recordRunEnd(${input.runId}) got status "${input.status}"; use succeeded, failed or cancelled`);
  }
  writeTx(db, () => {
    const run = db.orm.select({ finishedAt: runs.finishedAt }).from(runs).where(eq(runs.id, input.runId)).get();
    if (run === undefined) throw unknownRun(input.runId);
    const now = db.now();
    db.orm
      .update(runs)
      .set({ status: input.status, error: input.error ?? null, finishedAt: run.finishedAt ?? now })
      .where(eq(runs.id, input.runId))
      .run();
    const inRun = eq(executions.runId, input.runId);
    // steps that never started (a large run's later chunks, when it was cancelled or failed early)
    db.orm
      .update(executions)
      .set({ state: input.status === "cancelled" ? "cancelled" : "skipped" })
      .where(and(inRun, eq(executions.state, "pending")))
      .run();
    db.orm
      .update(executions)
      .set({ state: "cancelled", finishedAt: now })
      .where(and(inRun, eq(executions.state, "running")))
      .run();
  });
}

export function unknownRun(runId: string): Error {
  return new Error(`runs: no run "${runId}" in the run database; recordRunStart must record it first`);
}

export interface ParamRow {
  key: string;
  value: string;
  type: ParamType;
}

/** `{ train: { lr: 1e-3 } }` -> `train.lr = "0.001" (number)`; arrays stay whole, as JSON. */
export function flattenParams(params: { [key: string]: unknown }, prefix = ""): ParamRow[] {
  const rows: ParamRow[] = [];
  for (const [k, v] of Object.entries(params)) {
    const key = prefix === "" ? k : `${prefix}.${k}`;
    if (v === null) rows.push({ key, value: "null", type: "null" });
    else if (typeof v === "string") rows.push({ key, value: v, type: "string" });
    else if (typeof v === "number") rows.push({ key, value: String(v), type: "number" });
    else if (typeof v === "boolean") rows.push({ key, value: String(v), type: "boolean" });
    else if (typeof v === "object" && !Array.isArray(v)) rows.push(...flattenParams(v as { [key: string]: unknown }, key));
    else rows.push({ key, value: JSON.stringify(v), type: "json" });
  }
  return rows;
}

export { executionIdOf };
