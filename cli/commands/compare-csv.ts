// `mmada compare --csv`: every table of the comparison in one wide CSV (RFC 4180), one column per run,
// so a spreadsheet can filter by section. Numbers keep full precision; an empty cell means "none".
import type { ComparedResults } from "../../results/compare-results.ts";

type Cell = string | number | null | undefined;

const quote = (c: Cell): string => {
  if (c === null || c === undefined) return "";
  const s = String(c);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function comparisonCsv(cmp: ComparedResults): string {
  const rows: Cell[][] = [["section", "step", "key", "stat", ...cmp.runs.map((r) => r.id)]];
  const add = (section: string, step: string, key: string, stat: string, cells: Cell[]) => rows.push([section, step, key, stat, ...cells]);
  add("run", "", "pipeline", "", cmp.runs.map((r) => r.pipeline));
  add("run", "", "status", "", cmp.runs.map((r) => r.status));
  add("run", "", "started_at", "", cmp.runs.map((r) => r.startedAt));
  add("run", "", "duration_ms", "", cmp.runs.map((r) => r.durationMs));
  for (const p of cmp.params) add("param", "", p.key, "value", p.values);
  for (const r of cmp.stages.rows) {
    add("benchmark", r.stepId, r.key, "value", r.cells.map((c) => c?.value));
    if (r.cells.some((c) => c?.n !== undefined)) add("benchmark", r.stepId, r.key, "n", r.cells.map((c) => c?.n));
    if (r.cells.some((c) => c?.interval)) {
      add("benchmark", r.stepId, r.key, "ci95_low", r.cells.map((c) => c?.interval?.low));
      add("benchmark", r.stepId, r.key, "ci95_high", r.cells.map((c) => c?.interval?.high));
    }
  }
  for (const c of cmp.curves) {
    for (const stat of ["last", "min", "max", "points"] as const) add("curve", c.stepId, c.key, stat, c.cells.map((s) => s?.[stat]));
  }
  for (const m of cmp.metrics) add("metric", m.stepId, m.key, "final", m.values);
  for (const s of cmp.steps) add("step", s.stepId, "state", "", s.states);
  return rows.map((r) => r.map(quote).join(",")).join("\n") + "\n";
}
