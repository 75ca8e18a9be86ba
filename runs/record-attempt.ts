// Which attempt of a step is running, and on which worker: written by a worker that owns the
// database when the attempt starts (the workflow only knows the step was queued).
import { and, eq, inArray } from "drizzle-orm";
import type { RunDb } from "./db.ts";
import { executions } from "./schema.ts";

/**
 * Idempotent (same attempt twice changes nothing but the heartbeat time). Only an execution that is
 * still open moves: a late heartbeat of a zombie attempt must not reopen a finished step.
 * Returns false when nothing was updated (unknown id or the execution already finished).
 */
export function recordAttempt(db: RunDb, input: { executionId: string; attempt: number; worker: string }): boolean {
  const result = db.orm
    .update(executions)
    .set({ attempt: input.attempt, worker: input.worker, state: "running", lastHeartbeatAt: db.now() })
    .where(and(eq(executions.id, input.executionId), inArray(executions.state, ["pending", "running"])))
    .run();
  return result.changes > 0;
}
