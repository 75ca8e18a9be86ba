// Training curves (metric series with a step: loss, loss.<task>, lr, val losses, RL rewards) reduced
// to what a table can hold: min, max and the last value (several runs side by side: compare-results.ts).
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
