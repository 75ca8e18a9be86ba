// What `mmada compare` and the UI's compare page show: the run database's comparison (params, final
// metrics, step states) plus the per-stage benchmark table with intervals and each curve's
// min / max / last, all with one column per run in the order given.
import { compareRuns, getRun, metricSeries, type RunComparison, type RunDb, type RunDetail } from "../runs/index.ts";
import { summarizeCurves, type CurveSummary } from "./curve-summary.ts";
import { compareStageTable, evalStages, type ComparedStageTable } from "./stage-table.ts";
import { type Sweep, sweepOf } from "./sweep.ts";

export interface ComparedCurve {
  stepId: string;
  key: string;
  /** One per run, in the order the runs were given (null: that run has no such curve). */
  cells: Array<CurveSummary | null>;
}

export interface ComparedResults extends RunComparison {
  /** Benchmarks per (stage, benchmark), one cell per run. */
  stages: ComparedStageTable;
  /** Min / max / last of every curve, one cell per run. */
  curves: ComparedCurve[];
  /** The search of each run that has one: its branches ranked (results/sweep.ts). */
  sweeps: { runId: string; sweep: Sweep }[];
}

/**
 * undefined when a run id is unknown (unknownRunIds says which). With a single run every param is
 * listed (nothing can differ); with several, only those that differ unless `all`.
 */
export function compareResults(db: RunDb, root: string, requested: string[], options: { all?: boolean } = {}): ComparedResults | undefined {
  const runIds = [...new Set(requested)];
  const cmp = compareRuns(db, runIds, { all: options.all === true || runIds.length === 1 });
  if (cmp === undefined) return undefined;
  const details = runIds.map((id) => getRun(db, id)).filter((d): d is RunDetail => d !== undefined);
  return {
    ...cmp,
    stages: compareStageTable(runIds, details.map((d) => evalStages(root, d))),
    curves: compareCurves(runIds.map((id) => summarizeCurves(metricSeries(db, id)))),
    sweeps: details.flatMap((d) => {
      const sweep = sweepOf(db, d);
      return sweep ? [{ runId: d.run.id, sweep }] : [];
    }),
  };
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
