// What a search decided (plan.search, workflows/search.ts): one row per branch and rung, with the
// branch's metric there, its rank among those compared and the decision; written when the workflow
// decides, with the metrics and report of the part that reached the rung.
import { and, asc, eq } from "drizzle-orm";
import type { RecordRungInput, RungDecision } from "../contract/run.ts";
import { readTx, type RunDb, writeTx } from "./db.ts";
import { recordMetrics, recordStepReport } from "./record-execution.ts";
import { executions, FINAL_STEP, metrics, rungDecisions } from "./schema.ts";

/** Records a rung: the part's metrics and report, then the decision. Idempotent (a retried local
 *  activity rewrites the same rows). */
export function recordRung(db: RunDb, input: RecordRungInput): void {
  recordStepReport(db, input.executionId, input.report);
  recordMetrics(db, input.executionId, input.metrics);
  const d = input.decision;
  const row = {
    runId: input.runId,
    executionId: input.executionId,
    rung: d.rung,
    metric: input.metric,
    value: Number.isNaN(d.value) ? null : d.value,
    rank: d.rank,
    of: d.of,
    decision: d.decision,
    reason: d.reason,
    decidedAt: db.now(),
  };
  const { metric, value, rank, of, decision, reason, decidedAt } = row;
  writeTx(db, () => {
    db.orm
      .insert(rungDecisions)
      .values(row)
      .onConflictDoUpdate({ target: [rungDecisions.executionId, rungDecisions.rung], set: { metric, value, rank, of, decision, reason, decidedAt } })
      .run();
  });
}

/** The values an execution had at `rungs` (what a cached branch brings to a search: the others are
 *  judged against them): those its search decided on, else its recorded curve's last point at or
 *  before each rung (a run without a search, or a branch carried on by --continue-stopped). NaN is
 *  null; a rung with neither is left out. */
export function rungValuesOf(db: RunDb, executionId: string, metric: string, rungs: number[]): { rung: number; value: number | null }[] {
  return readTx(db, () => {
    const decided = new Map(
      db.orm
        .select({ rung: rungDecisions.rung, value: rungDecisions.value })
        .from(rungDecisions)
        .where(and(eq(rungDecisions.executionId, executionId), eq(rungDecisions.metric, metric)))
        .all()
        .map((r) => [r.rung, r.value]),
    );
    const curve = db.orm
      .select({ step: metrics.step, value: metrics.value })
      .from(metrics)
      .where(and(eq(metrics.executionId, executionId), eq(metrics.key, metric)))
      .orderBy(asc(metrics.step))
      .all()
      .filter((p) => p.step !== FINAL_STEP);
    return rungs.flatMap((rung) => {
      if (decided.has(rung)) return [{ rung, value: decided.get(rung)! }];
      const at = curve.filter((p) => p.step <= rung).at(-1);
      return at ? [{ rung, value: at.value }] : [];
    });
  });
}

export interface RunDecision extends RungDecision {
  executionId: string;
  metric: string;
  decidedAt: string;
}

/** Every decision of a run's search, in the order the branches stand in the plan, rung by rung. */
export function searchDecisions(db: RunDb, runId: string): RunDecision[] {
  return readTx(db, () =>
    db.orm
      .select({ d: rungDecisions, stepId: executions.stepId, position: executions.position })
      .from(rungDecisions)
      .innerJoin(executions, eq(executions.id, rungDecisions.executionId))
      .where(eq(rungDecisions.runId, runId))
      .all()
      .sort((a, b) => a.position - b.position || a.d.rung - b.d.rung)
      .map(({ d, stepId }) => ({
        executionId: d.executionId,
        branch: stepId,
        rung: d.rung,
        metric: d.metric,
        value: d.value ?? NaN,
        rank: d.rank,
        of: d.of,
        decision: d.decision,
        reason: d.reason,
        decidedAt: d.decidedAt,
      })),
  );
}
