// The stage-by-stage benchmark table of a run as text: each accuracy with its 95% Wilson interval
// and the number of items asked. `mmada run` prints it when the run ends; `mmada status` shows it.
import { fmtAccuracy, fmtInterval, fmtNumber } from "../results/format.ts";
import { evalStages, isAccuracy, runStageTable, type BenchmarkValue } from "../results/stage-table.ts";
import { getRun, type RunDb } from "../runs/index.ts";
import { table } from "./render.ts";

export function benchmarkText(key: string, v: BenchmarkValue | null): string | undefined {
  if (v === null) return undefined;
  if (!isAccuracy(key)) return fmtNumber(v.value);
  return [fmtAccuracy(v.value), v.interval ? fmtInterval(v.interval) : "", v.n !== undefined ? `n=${v.n}` : ""].filter(Boolean).join(" ");
}

/** The run's stage table, or undefined when it has no evaluate step with results. */
export function stageTableText(db: RunDb, root: string, runId: string): string | undefined {
  const detail = getRun(db, runId);
  if (!detail) return undefined;
  const stages = runStageTable(evalStages(root, detail));
  if (stages.rows.length === 0) return undefined;
  return [
    "stages (accuracy [95% Wilson interval] n=items asked):",
    table(["benchmark", ...stages.stages.map((s) => s.stepId)], stages.rows.map((row) => [row.key, ...row.cells.map((c) => benchmarkText(row.key, c))])),
  ].join("\n");
}
