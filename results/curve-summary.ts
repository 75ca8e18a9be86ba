// Training curves (metric series with a step: loss, loss.<task>, lr, val losses, RL rewards) reduced
// to what a table can hold: min, max and the last value, per run and side by side.
import type { MetricSeries } from "../runs/index.ts";

export interface CurveSummary {
  stepId: string;
  key: string;
  points: number;
  /** Over the finite values; NaN when there are none. */
  min: number;
  max: number;
  /** The value at the largest step (NaN if that one diverged). */
  last: number;
  lastStep: number;
}

export interface ComparedCurve {
  stepId: string;
  key: string;
  /** One per run, in the order the runs were given (null: that run has no such curve). */
  cells: Array<CurveSummary | null>;
}

export function summarizeCurves(series: MetricSeries[]): CurveSummary[] {
  return series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const finite = s.points.map((p) => p.value).filter(Number.isFinite);
      const last = s.points.reduce((a, b) => (b.step > a.step ? b : a));
      return {
        stepId: s.stepId,
        key: s.key,
        points: s.points.length,
        min: finite.length ? Math.min(...finite) : Number.NaN,
        max: finite.length ? Math.max(...finite) : Number.NaN,
        last: last.value,
        lastStep: last.step,
      };
    });
}

/** Curves of several runs side by side, in order of first appearance (each run's in plan order). */
export function compareCurves(summariesByRun: CurveSummary[][]): ComparedCurve[] {
  const rows = new Map<string, ComparedCurve>();
  summariesByRun.forEach((summaries, i) => {
    for (const c of summaries) {
      const id = `${c.stepId}\0${c.key}`;
      const row = rows.get(id) ?? { stepId: c.stepId, key: c.key, cells: summariesByRun.map(() => null) };
      row.cells[i] = c;
      rows.set(id, row);
    }
  });
  return [...rows.values()];
}
