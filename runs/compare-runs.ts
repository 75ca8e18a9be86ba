// `runs compare`: params, final metrics and step states of several runs side by side. Every row holds
// one value per run, in the order the run ids were given (null where that run has no such entry).
import { inArray } from "drizzle-orm";
import type { StepState } from "../contract/run.ts";
import { readTx, type RunDb } from "./db.ts";
import { finalMetrics } from "./query-metrics.ts";
import { executionsOfRuns, summarizeRuns, type RunSummary } from "./query-runs.ts";
import { runParams, runs, type ParamType } from "./schema.ts";

export interface ParamComparison {
  key: string;
  values: Array<string | null>;
  types: Array<ParamType | null>;
}

export interface MetricComparison {
  stepId: string;
  key: string;
  /** Final value per run (NaN if NaN was recorded). */
  values: Array<number | null>;
}

export interface StepComparison {
  stepId: string;
  states: Array<StepState | null>;
}

export interface RunComparison {
  runs: RunSummary[];
  /** Only the keys whose value (or type) differs between runs, unless `all`. Sorted by key. */
  params: ParamComparison[];
  /** Every final metric of every step, steps in plan order. */
  metrics: MetricComparison[];
  /** Every step of every run, in plan order. */
  steps: StepComparison[];
}

/** undefined when any run id is unknown (unknownRunIds says which). Columns follow `requested`, deduplicated. */
export function compareRuns(db: RunDb, requested: string[], options: { all?: boolean } = {}): RunComparison | undefined {
  const runIds = [...new Set(requested)]; // one column per run, even if named twice
  return readTx(db, () => {
    const rows = db.orm.select().from(runs).where(inArray(runs.id, runIds)).all();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const ordered = runIds.map((id) => byId.get(id));
    if (ordered.some((r) => r === undefined)) return undefined;
    const column = new Map(runIds.map((id, i) => [id, i]));
    const blank = <T>(): Array<T | null> => runIds.map(() => null);

    const params = new Map<string, ParamComparison>();
    for (const p of db.orm.select().from(runParams).where(inArray(runParams.runId, runIds)).all()) {
      const row = params.get(p.key) ?? { key: p.key, values: blank<string>(), types: blank<ParamType>() };
      row.values[column.get(p.runId)!] = p.value;
      row.types[column.get(p.runId)!] = p.type;
      params.set(p.key, row);
    }
    const differs = (r: ParamComparison) =>
      new Set(r.values.map((v, i) => (v === null ? "\u0000absent" : `${r.types[i]}:${v}`))).size > 1;
    const paramRows = [...params.values()]
      .filter((r) => options.all === true || differs(r))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

    // Steps keep the order of first appearance: run by run, each in plan order.
    const steps = new Map<string, StepComparison>();
    for (const e of executionsOfRuns(db, runIds).sort((a, b) => column.get(a.runId)! - column.get(b.runId)! || a.position - b.position)) {
      const row = steps.get(e.stepId) ?? { stepId: e.stepId, states: blank<StepState>() };
      row.states[column.get(e.runId)!] = e.state;
      steps.set(e.stepId, row);
    }
    const stepOrder = new Map([...steps.keys()].map((id, i) => [id, i]));

    const metrics = new Map<string, MetricComparison>();
    for (const m of finalMetrics(db, runIds)) {
      const id = JSON.stringify([m.stepId, m.key]);
      const row = metrics.get(id) ?? { stepId: m.stepId, key: m.key, values: blank<number>() };
      row.values[column.get(m.runId)!] = m.value;
      metrics.set(id, row);
    }
    const metricRows = [...metrics.values()].sort(
      (a, b) => (stepOrder.get(a.stepId) ?? 0) - (stepOrder.get(b.stepId) ?? 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );

    return {
      runs: summarizeRuns(db, ordered as NonNullable<(typeof ordered)[number]>[]),
      params: paramRows,
      metrics: metricRows,
      steps: [...steps.values()],
    };
  });
}
