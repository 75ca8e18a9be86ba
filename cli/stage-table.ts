// The stage-by-stage benchmark table of a run as text: each accuracy with its 95% Wilson interval
// and the number of items asked, then how each accuracy changed from one stage to the next on the
// same items (exact McNemar). `mmada run` prints it when the run ends; `mmada status` shows it.
import { fmtAccuracy, fmtInterval, fmtNumber } from "../results/format.ts";
import { runStageChanges, type StageChange } from "../results/stage-changes.ts";
import { evalStages, isAccuracy, runStageTable, type BenchmarkValue } from "../results/stage-table.ts";
import { getRun, type RunDb } from "../runs/index.ts";
import { table } from "./terminal.ts";

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
  const lines = [
    "stages (accuracy [95% Wilson interval] n=items asked):",
    table(["benchmark", ...stages.stages.map((s) => s.stepId)], stages.rows.map((row) => [row.key, ...row.cells.map((c) => benchmarkText(row.key, c))])),
  ];
  const changes = runStageChanges(root, detail);
  if (changes.length > 0) lines.push("", "stage to stage on the same items (change, items gained/lost, exact McNemar p; * p < 0.05; ! fell below the earlier interval):", changesTable(changes));
  return lines.join("\n");
}

function changesTable(changes: readonly StageChange[]): string {
  const pairs = [...new Set(changes.map((c) => `${c.from} -> ${c.to}`))];
  const keys = [...new Set(changes.map((c) => c.key))];
  const cell = (c: StageChange | undefined) =>
    c && `${c.delta >= 0 ? "+" : ""}${fmtAccuracy(c.delta)} +${c.paired.gained}/-${c.paired.lost} p=${c.paired.pValue < 0.001 ? "<0.001" : c.paired.pValue.toFixed(3)}${c.significant ? "*" : ""}${c.fellBeyondInterval ? "!" : ""}`;
  return table(["benchmark", ...pairs], keys.map((k) => [k, ...pairs.map((p) => cell(changes.find((c) => c.key === k && `${c.from} -> ${c.to}` === p)))]));
}
