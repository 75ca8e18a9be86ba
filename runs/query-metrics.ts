// Reading the metrics table: the "final metrics" rule, in one place for getRun and compareRuns (per
// (execution, key) the value recorded without a step (step = -1) when there is one, else the value at
// the largest step), and every recorded point of a run as curves (loss curves for reports).
// A cached execution records no metrics of its own: both read those of the execution it was cached
// from (always one that really ran, query-cache.ts), so a rerun's stage table and curves are whole.
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

export interface MetricSeries {
  stepId: string;
  kind: string;
  key: string;
  points: Array<{ step: number; value: number }>;
}

/** Every point recorded with a training step, one series per (plan step, metric key), in plan order. */
export function metricSeries(db: RunDb, runId: string): MetricSeries[] {
  const rows = db.sqlite
    .prepare(
      `SELECT e.step_id AS stepId, e.kind AS kind, m.key AS key, m.step AS step, m.value AS value
       FROM executions e JOIN metrics m ON m.execution_id = COALESCE(e.cached_from, e.id)
       WHERE e.run_id = ? AND m.step <> ${FINAL_STEP}
       ORDER BY e.position, m.key, m.step`,
    )
    .all(runId) as Array<{ stepId: string; kind: string; key: string; step: number; value: number | null }>;
  const out = new Map<string, MetricSeries>();
  for (const r of rows) {
    const id = `${r.stepId}\0${r.key}`;
    if (!out.has(id)) out.set(id, { stepId: r.stepId, kind: r.kind, key: r.key, points: [] });
    out.get(id)!.points.push({ step: r.step, value: r.value ?? Number.NaN });
  }
  return [...out.values()];
}
