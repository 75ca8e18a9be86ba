// The "final metrics" rule, in one place for getRun and compareRuns: per (execution, key) the value
// recorded without a step (step = -1) when there is one, else the value at the largest step.
import type { RunDb } from "./db.ts";
import { FINAL_STEP } from "./schema.ts";

export interface FinalMetric {
  runId: string;
  executionId: string;
  stepId: string;
  key: string;
  /** NaN when a NaN was recorded (stored as NULL). */
  value: number;
  /** The training step the value comes from; absent for an explicit final value. */
  step?: number;
}

// MIN(step) = -1 exactly when a final value exists, because progress steps are >= 0 (record-execution.ts).
const FINAL_METRICS_SQL = `
  SELECT m.run_id AS runId, m.execution_id AS executionId, e.step_id AS stepId, m.key AS key,
         m.value AS value, m.step AS step
  FROM metrics m
  JOIN (
    SELECT execution_id, key, CASE WHEN MIN(step) = ${FINAL_STEP} THEN ${FINAL_STEP} ELSE MAX(step) END AS pick
    FROM metrics
    WHERE run_id IN (SELECT value FROM json_each(?))
    GROUP BY execution_id, key
  ) f ON f.execution_id = m.execution_id AND f.key = m.key AND f.pick = m.step
  JOIN executions e ON e.id = m.execution_id
  ORDER BY m.run_id, e.position, m.key`;

export function finalMetrics(db: RunDb, runIds: string[]): FinalMetric[] {
  const rows = db.sqlite.prepare(FINAL_METRICS_SQL).all(JSON.stringify(runIds)) as Array<{
    runId: string;
    executionId: string;
    stepId: string;
    key: string;
    value: number | null;
    step: number;
  }>;
  return rows.map((r) => {
    const metric: FinalMetric = {
      runId: r.runId,
      executionId: r.executionId,
      stepId: r.stepId,
      key: r.key,
      value: r.value ?? Number.NaN,
    };
    if (r.step !== FINAL_STEP) metric.step = r.step;
    return metric;
  });
}
