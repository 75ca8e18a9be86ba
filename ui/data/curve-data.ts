// Training curves as the client charts take them: per step, families of series (`loss` with its
// per-task `loss.<task>`, `val_loss` with `val_loss.*`, `reward` with `reward.*`, `lr`, ...), each
// series as parallel arrays of training steps and values (null for a NaN, which JSON cannot carry).
import type { MetricSeries } from "../../runs/index.ts";

export interface SeriesData {
  key: string;
  steps: number[];
  values: Array<number | null>;
}

export interface CurveFamily {
  name: string;
  series: SeriesData[];
}

export interface StepCurves {
  stepId: string;
  kind: string;
  families: CurveFamily[];
}

/** Families shown first when a step has them (what a researcher looks at first). */
const FAMILY_ORDER = ["loss", "val_loss", "reward", "lr"];

/** `loss.t2i` -> `loss`: everything before the first dot. */
export const familyOf = (key: string) => key.split(".")[0]!;

const familyRank = (name: string) => {
  const i = FAMILY_ORDER.indexOf(name);
  return i === -1 ? FAMILY_ORDER.length : i;
};

/** Curve keys in display order: by family (loss first), a family's own key before its tasks, then by name. */
export function byCurveKey(a: string, b: string): number {
  const [fa, fb] = [familyOf(a), familyOf(b)];
  if (fa !== fb) return familyRank(fa) - familyRank(fb) || (fa < fb ? -1 : 1);
  return a === fa ? -1 : b === fb ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

export const toSeriesData = (s: MetricSeries): SeriesData => ({
  key: s.key,
  steps: s.points.map((p) => p.step),
  values: s.points.map((p) => (Number.isFinite(p.value) ? p.value : null)),
});

export function stepCurves(series: MetricSeries[]): StepCurves[] {
  const byStep = new Map<string, StepCurves>();
  for (const s of series) {
    const step = byStep.get(s.stepId) ?? { stepId: s.stepId, kind: s.kind, families: [] };
    byStep.set(s.stepId, step);
    const name = familyOf(s.key);
    let family = step.families.find((f) => f.name === name);
    if (!family) step.families.push((family = { name, series: [] }));
    family.series.push(toSeriesData(s));
  }
  for (const step of byStep.values()) {
    step.families.sort((a, b) => byCurveKey(a.name, b.name));
    for (const f of step.families) f.series.sort((a, b) => byCurveKey(a.key, b.key));
  }
  return [...byStep.values()];
}
