// `mmada compare <run-id>...`: one or more runs side by side: the params that differ (all with --all,
// or for a single run), the benchmark table of every stage with 95% intervals, min / max / last of
// each training curve, the other final metrics and the step states. As text, --json or --csv.
import type { CurveSummary } from "../../results/curve-summary.ts";
import { compareResults, type ComparedResults } from "../../results/compare-results.ts";
import { fmtNumber } from "../../results/format.ts";
import { benchmarkText } from "../stage-table.ts";
import { unknownRunIds } from "../../runs/index.ts";
import { fetchRunFiles, withDbAsync, withStore } from "../context.ts";
import { CliError, duration, parse, requirePositional, table } from "../terminal.ts";
import { sweepText } from "../sweep-table.ts";
import { comparisonCsv } from "./compare-csv.ts";

const print = (s: string) => process.stdout.write(`${s}\n`);

export async function compareCommand(argv: string[]): Promise<number> {
  const usage = "<run-id>... [--all] [--json | --csv]";
  const options = { json: { type: "boolean" }, csv: { type: "boolean" }, all: { type: "boolean" } } as const;
  const { values, positionals } = parse("compare", argv, options, usage);
  requirePositional(positionals, 1, "compare", usage);
  if (values.json && values.csv) throw new CliError(`--json and --csv: pick one\nusage: mmada compare ${usage}`);
  const cmp = await withStore((store) =>
    withDbAsync(async (db, ws) => {
      const unknown = unknownRunIds(db, positionals);
      if (unknown.length) throw new CliError(`unknown run${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `'${u}'`).join(", ")}; \`mmada runs\` lists the runs`);
      // the evaluation reports the paired statistics read may have been written on another machine
      await fetchRunFiles(store, db, positionals);
      return compareResults(db, ws.root, positionals, { all: values.all });
    }),
  );
  if (!cmp) throw new CliError("nothing to compare");
  if (values.json) return print(JSON.stringify(cmp, null, 2)), 0;
  if (values.csv) return process.stdout.write(comparisonCsv(cmp)), 0;
  printComparison(cmp, values.all === true || cmp.runs.length === 1);
  return 0;
}

/** `0.250 [0.046, 0.699] n=4` for an accuracy with a known count; the plain value otherwise. */
export const curveText = (c: CurveSummary | null) =>
  c === null ? undefined : `${fmtNumber(c.last)} (min ${fmtNumber(c.min)}, max ${fmtNumber(c.max)})`;

function printComparison(cmp: ComparedResults, allParams: boolean): void {
  const ids = cmp.runs.map((r) => r.id);
  print(table(["", ...ids], [
    ["pipeline", ...cmp.runs.map((r) => r.pipeline)],
    ["status", ...cmp.runs.map((r) => r.status)],
    ["time", ...cmp.runs.map((r) => duration(r.durationMs ?? undefined))],
  ]));
  print(`\nparams${allParams ? "" : " that differ"}:`);
  print(cmp.params.length ? table(["param", ...ids], cmp.params.map((p) => [p.key, ...p.values])) : "  (none)");
  if (cmp.stages.rows.length) {
    print("\nstages (accuracy [95% Wilson interval] n=items asked):");
    print(table(["stage", "benchmark", ...ids], cmp.stages.rows.map((r) => [r.stepId, r.key, ...r.cells.map((c) => benchmarkText(r.key, c))])));
  }
  if (cmp.curves.length) {
    print("\ncurves (last value, min and max over the recorded steps):");
    print(table(["step", "curve", ...ids], cmp.curves.map((c) => [c.stepId, c.key, ...c.cells.map(curveText)])));
  }
  const shown = new Set([...cmp.stages.rows, ...cmp.curves].map((r) => `${r.stepId}\0${r.key}`));
  const others = cmp.metrics.filter((m) => !shown.has(`${m.stepId}\0${m.key}`));
  print("\nfinal metrics:");
  print(others.length ? table(["step", "metric", ...ids], others.map((m) => [m.stepId, m.key, ...m.values.map(fmtNumber)])) : "  (none)");
  print("\nsteps:");
  print(table(["step", ...ids], cmp.steps.map((s) => [s.stepId, ...s.states])));
  for (const { runId, sweep } of cmp.sweeps) print(`\n${ids.length > 1 ? `${runId}: ` : ""}${sweepText(sweep)}`);
}
