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

// A cached execution records no metrics of its own: its values are those of the execution it was
// cached from (always one that really ran, query-cache.ts), so a rerun's stage table is whole.
// MIN(step) = -1 exactly when a final value exists, because progress steps are >= 0 (record-execution.ts).
const FINAL_METRICS_SQL = `
  WITH src AS (
    SELECT run_id, id, step_id, position, COALESCE(cached_from, id) AS source
    FROM executions
    WHERE run_id IN (SELECT value FROM json_each(?))
  ), picks AS (
    SELECT execution_id, key, CASE WHEN MIN(step) = ${FINAL_STEP} THEN ${FINAL_STEP} ELSE MAX(step) END AS pick
    FROM metrics
    WHERE execution_id IN (SELECT source FROM src)
    GROUP BY execution_id, key
  )
  SELECT s.run_id AS runId, s.id AS executionId, s.step_id AS stepId, m.key AS key, m.value AS value, m.step AS step
  FROM src s
  JOIN picks f ON f.execution_id = s.source
  JOIN metrics m ON m.execution_id = f.execution_id AND m.key = f.key AND m.step = f.pick
  ORDER BY s.run_id, s.position, m.key`;

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
