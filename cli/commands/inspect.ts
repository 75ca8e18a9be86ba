// Read-only commands over the run database: runs, status, lineage (compare lives in compare.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stepLogName } from "../../contract/ids.ts";
import { summarizeCurves } from "../../results/curve-summary.ts";
import { evalStages, runStageTable } from "../../results/stage-table.ts";
import { getRun, lineage, listRuns, metricSeries, type StoredArtifact } from "../../runs/index.ts";
import { diskFullAdvice, fetchRunFiles, reconcileRuns, withDb, withDbAsync, withStore } from "../context.ts";
import { benchmarkText } from "../stage-table.ts";
import { sweepText } from "../sweep-table.ts";
import { sweepOf } from "../../results/sweep.ts";
import { CliError, duration, fmtNumber, parse, requirePositional, table } from "../terminal.ts";

const print = (s: string) => process.stdout.write(`${s}\n`);
const json = (v: unknown) => print(JSON.stringify(v, null, 2));
const ms = (a: string | null, b: string | null) => (a && b ? Date.parse(b) - Date.parse(a) : undefined);

export async function runsCommand(argv: string[]): Promise<number> {
  const { values } = parse("runs", argv, { json: { type: "boolean" }, limit: { type: "string" } }, "[--limit N] [--json]");
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new CliError(`--limit ${values.limit}: give a positive whole number`);
  await reconcileRuns();
  const rows = withDb((db) => listRuns(db, { limit }));
  if (values.json) return json(rows), 0;
  if (rows.length === 0) return print("no runs yet: `mmada run <spec.yaml>` starts one"), 0;
  print(
    table(
      ["run", "pipeline", "status", "started", "time", "steps", "resumed from"],
      rows.map((r) => [
        r.id,
        r.pipeline,
        r.status,
        r.startedAt.replace("T", " ").slice(0, 19),
        duration(r.durationMs ?? undefined),
        Object.entries(r.steps).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(", "),
        r.resumedFrom,
      ]),
    ),
  );
  return 0;
}

export async function statusCommand(argv: string[]): Promise<number> {
  const usage = "<run-id> [--log <step>] [--json]";
  const { values, positionals } = parse("status", argv, { json: { type: "boolean" }, log: { type: "string" } }, usage);
  requirePositional(positionals, 1, "status", usage);
  await reconcileRuns();
  // the files status reads (evaluation reports, a step's log) may have been written on another machine
  await withStore((store) => withDbAsync((db) => fetchRunFiles(store, db, [positionals[0]!])));
  if (values.log !== undefined) return printLog(positionals[0]!, values.log);
  const found = withDb((db, ws) => {
    const detail = getRun(db, positionals[0]!);
    return detail && { detail, stages: runStageTable(evalStages(ws.root, detail)), curves: summarizeCurves(metricSeries(db, detail.run.id)), sweep: sweepOf(db, detail) };
  });
  if (!found) throw new CliError(`unknown run '${positionals[0]}'; \`mmada runs\` lists the runs`);
  const { detail, stages, curves, sweep } = found;
  if (values.json) return json({ ...detail, stages, curves, ...(sweep ? { sweep } : {}) }), 0;
  const r = detail.run;
  print(`run ${r.id} (${detail.pipeline.name}) ${r.status}${r.resumedFrom ? `, resumed from ${r.resumedFrom}` : ""}`);
  const full = r.status === "running" ? withDb((_, ws) => diskFullAdvice(ws.root, r.id)) : undefined;
  if (full) print(`note: ${full.text}`);
  print(`started ${r.startedAt}${r.finishedAt ? `, took ${duration(ms(r.startedAt, r.finishedAt))}` : ""}${r.error ? `\nerror: ${r.error}` : ""}`);
  print(
    table(
      ["step", "kind", "state", "attempt", "time", "outputs"],
      detail.executions.map(({ execution: e, outputs }) => [
        e.stepId,
        e.kind,
        e.state + (e.cachedFrom ? ` (from ${e.cachedFrom.split("/")[0]})` : ""),
        e.attempt,
        duration(ms(e.startedAt, e.finishedAt)),
        Object.keys(outputs).join(",") || undefined,
      ]),
    ),
  );
  if (sweep) print(`\n${sweepText(sweep)}`);
  // Every number in full, one per line: a table as wide as the terminal would cut them off.
  if (stages.rows.length) {
    print("\nstages (accuracy [95% Wilson interval] n=items asked):");
    print(table(["benchmark", ...stages.stages.map((s) => s.stepId)], stages.rows.map((row) => [row.key, ...row.cells.map((c) => benchmarkText(row.key, c))])));
  }
  if (curves.length) {
    print("\ncurves:");
    print(table(["step", "curve", "points", "min", "max", "last"], curves.map((c) => [c.stepId, c.key, c.points, fmtNumber(c.min), fmtNumber(c.max), fmtNumber(c.last)])));
  }
  const shown = new Set([...stages.stages.flatMap((s) => stages.rows.map((row) => `${s.stepId}\0${row.key}`)), ...curves.map((c) => `${c.stepId}\0${c.key}`)]);
  const finals = detail.executions.flatMap((e) => e.metrics).filter((m) => !shown.has(`${m.stepId}\0${m.key}`));
  if (finals.length) {
    print("\nfinal metrics:");
    print(table(["step", "metric", "value"], finals.map((m) => [m.stepId, m.key, fmtNumber(m.value)])));
  }
  const failed = detail.executions.filter((e) => e.execution.state === "failed");
  for (const f of failed) print(`${f.execution.stepId}: ${f.execution.error}`);
  return 0;
}

function art(a: StoredArtifact): string {
  return `#${a.id} ${a.kind} ${a.sha256.slice(0, 12)} ${a.uri}`;
}

export async function lineageCommand(argv: string[]): Promise<number> {
  const usage = "<run-id | artifact-id | sha256-prefix> [--json]";
  const { values, positionals } = parse("lineage", argv, { json: { type: "boolean" } }, usage);
  requirePositional(positionals, 1, "lineage", usage);
  const target = positionals[0]!;
  const l = withDb((db) => lineage(db, target));
  if (!l) throw new CliError(`'${target}' is neither a run id, an artifact id nor a known sha256 prefix (8+ hex chars)`);
  if (values.json) return json(l), 0;
  if (l.kind === "ambiguous") {
    print(`'${target}' matches ${l.candidates.length} artifacts; give a longer prefix:`);
    l.candidates.forEach((c) => print(`  ${art(c)}`));
    return 1;
  }
  if (l.kind === "run") {
    print(`run ${l.run.id} (${l.pipeline}) ${l.run.status}`);
    for (const e of l.executions) {
      // a cached step ran nowhere in this run: name the execution whose outputs it reused
      const from = e.execution.state === "cached" && e.execution.cachedFrom ? `, outputs of ${e.execution.cachedFrom}` : "";
      print(`${e.execution.stepId} [${e.execution.state}${from}]`);
      for (const [n, a] of Object.entries(e.inputs)) print(`  <- ${n}: ${art(a)}`);
      for (const [n, a] of Object.entries(e.outputs)) print(`  -> ${n}: ${art(a)}`);
    }
    return 0;
  }
  print(`artifact ${art(l.artifact)}`);
  if (l.producedBy) {
    print(`produced by ${l.producedBy.execution.id} (${l.producedBy.execution.kind})`);
    for (const [n, a] of Object.entries(l.producedBy.inputs)) print(`  from ${n}: ${art(a)}`);
  } else print("produced outside any run (an imported input)");
  for (const u of l.usedBy) print(`used by ${u.execution.id} as ${u.name}`);
  for (const u of l.reusedBy) print(`reused (cached) by ${u.execution.id} as ${u.name}`);
  return 0;
}

/** `status <run> --log <step>`: the step's log as the store holds it, wherever the step ran. */
function printLog(runId: string, stepId: string): number {
  return withDb((db, ws) => {
    const run = getRun(db, runId);
    if (!run) throw new CliError(`unknown run '${runId}'; \`mmada runs\` lists the runs`);
    const steps = run.executions.map((e) => e.execution.stepId);
    if (!steps.includes(stepId)) throw new CliError(`run '${runId}' has no step '${stepId}'; its steps: ${steps.join(", ")}`);
    const file = join(ws.root, stepLogName(runId, stepId));
    if (!existsSync(file)) throw new CliError(`step '${stepId}' of run '${runId}' left no log (it was served from the cache, skipped, or never started)`);
    process.stdout.write(readFileSync(file, "utf8"));
    return 0;
  });
}
