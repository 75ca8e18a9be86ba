// How each benchmark changed from one stage to the next: a run's stages are its `evaluate` steps in
// plan order (stage-table.ts), every one of them asked the same items, and report.json names each
// item with its correctness. For every accuracy and every pair of consecutive stages this gives the
// paired test (exact McNemar, mcnemar.ts) and whether the later accuracy fell below the lower end of
// the earlier stage's 95% Wilson interval ("a fall beyond the interval", the regression bar).
import { DONE_STATES } from "../contract/run.ts";
import type { RunDetail } from "../runs/index.ts";
import { readEvalReport } from "./eval-outputs.ts";
import { pairedChangeById, type PairedChange } from "./mcnemar.ts";
import { byBenchmark, EVALUATE_KIND, isAccuracy } from "./stage-table.ts";
import { wilsonInterval } from "./wilson-interval.ts";

/** Significance level of the paired test. */
export const ALPHA = 0.05;

/** One evaluate step's per-item correctness, per accuracy key. */
export interface StageItems {
  stepId: string;
  items: Record<string, ReadonlyMap<string, boolean>>;
}

export interface StageChange {
  /** Accuracy key, e.g. gsm8k_acc. */
  key: string;
  from: string;
  to: string;
  paired: PairedChange;
  /** after - before, as accuracies over the paired items. */
  delta: number;
  /** p < ALPHA. */
  significant: boolean;
  /** The later accuracy is below the lower end of the earlier one's 95% Wilson interval. */
  fellBeyondInterval: boolean;
}

/** Changes between consecutive stages for every accuracy both stages recorded per item. */
export function stageChanges(stages: readonly StageItems[]): StageChange[] {
  const out: StageChange[] = [];
  for (let s = 1; s < stages.length; s++) {
    const a = stages[s - 1]!;
    const b = stages[s]!;
    const keys = Object.keys(a.items).filter((k) => isAccuracy(k) && b.items[k] !== undefined).sort(byBenchmark);
    for (const key of keys) {
      const paired = pairedChangeById(a.items[key]!, b.items[key]!);
      if (paired.n === 0) continue;
      const low = wilsonInterval(paired.before, paired.n)!.low;
      out.push({
        key,
        from: a.stepId,
        to: b.stepId,
        paired,
        delta: (paired.after - paired.before) / paired.n,
        significant: paired.pValue < ALPHA,
        fellBeyondInterval: paired.after / paired.n < low,
      });
    }
  }
  return out;
}

/** The per-item correctness of every finished evaluate step of a run, in plan order. */
export function runStageItems(root: string, detail: RunDetail): StageItems[] {
  return detail.executions
    .filter((e) => e.execution.kind === EVALUATE_KIND && DONE_STATES.includes(e.execution.state as never))
    .map((e) => ({ stepId: e.execution.stepId, items: readEvalReport(root, e)?.items ?? {} }));
}

/** `stageChanges(runStageItems(root, detail))`: what `mmada run` prints under its stage table. */
export function runStageChanges(root: string, detail: RunDetail): StageChange[] {
  return stageChanges(runStageItems(root, detail));
}
