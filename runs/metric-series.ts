// Every recorded metric point of a run (loss curves for reports), in plan order; a cached step shows
// the curves of the execution it was cached from (it records none of its own).
import type { RunDb } from "./db.ts";
import { FINAL_STEP } from "./schema.ts";

export interface MetricSeries {
  stepId: string;
  kind: string;
  key: string;
  points: Array<{ step: number; value: number }>;
}

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
