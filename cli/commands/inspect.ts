// Read-only commands over the run database: runs, status, compare, lineage.
import { compareRuns, getRun, lineage, listRuns, unknownRunIds, type StoredArtifact } from "../../runs/index.ts";
import { parse, requirePositional } from "../args.ts";
import { withDb } from "../context.ts";
import { CliError } from "../errors.ts";
import { duration, fmtNumber, table } from "../render.ts";

const print = (s: string) => process.stdout.write(`${s}\n`);
const json = (v: unknown) => print(JSON.stringify(v, null, 2));
const ms = (a: string | null, b: string | null) => (a && b ? Date.parse(b) - Date.parse(a) : undefined);

export async function runsCommand(argv: string[]): Promise<number> {
  const { values } = parse("runs", argv, { json: { type: "boolean" }, limit: { type: "string" } }, "[--limit N] [--json]");
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new CliError(`--limit ${values.limit}: give a positive whole number`);
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
  const usage = "<run-id> [--json]";
  const { values, positionals } = parse("status", argv, { json: { type: "boolean" } }, usage);
  requirePositional(positionals, 1, "status", usage);
  const detail = withDb((db) => getRun(db, positionals[0]!));
  if (!detail) throw new CliError(`unknown run '${positionals[0]}'; \`mmada runs\` lists the runs`);
  if (values.json) return json(detail), 0;
  const r = detail.run;
  print(`run ${r.id} (${detail.pipeline.name}) ${r.status}${r.resumedFrom ? `, resumed from ${r.resumedFrom}` : ""}`);
  print(`started ${r.startedAt}${r.finishedAt ? `, took ${duration(ms(r.startedAt, r.finishedAt))}` : ""}${r.error ? `\nerror: ${r.error}` : ""}`);
  print(
    table(
      ["step", "kind", "state", "attempt", "time", "outputs", "metrics"],
      detail.executions.map(({ execution: e, outputs, metrics }) => [
        e.stepId,
        e.kind,
        e.state + (e.cachedFrom ? ` (from ${e.cachedFrom.split("/")[0]})` : ""),
        e.attempt,
        duration(ms(e.startedAt, e.finishedAt)),
        Object.keys(outputs).join(",") || undefined,
        metrics.slice(0, 4).map((m) => `${m.key}=${fmtNumber(m.value)}`).join(" ") || undefined,
      ]),
    ),
  );
  const failed = detail.executions.filter((e) => e.execution.state === "failed");
  for (const f of failed) print(`${f.execution.stepId}: ${f.execution.error}`);
  return 0;
}

export async function compareCommand(argv: string[]): Promise<number> {
  const usage = "<run-id> <run-id>... [--all] [--json]";
  const { values, positionals } = parse("compare", argv, { json: { type: "boolean" }, all: { type: "boolean" } }, usage);
  requirePositional(positionals, 2, "compare", usage);
  const cmp = withDb((db) => {
    const unknown = unknownRunIds(db, positionals);
    if (unknown.length) throw new CliError(`unknown run${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `'${u}'`).join(", ")}; \`mmada runs\` lists the runs`);
    return compareRuns(db, positionals, { all: values.all });
  });
  if (!cmp) throw new CliError("nothing to compare");
  if (values.json) return json(cmp), 0;
  const ids = cmp.runs.map((r) => r.id);
  print(table(["", ...ids], [["status", ...cmp.runs.map((r) => r.status)], ["time", ...cmp.runs.map((r) => duration(r.durationMs ?? undefined))]]));
  print(`\nparams${values.all ? "" : " that differ"}:`);
  print(cmp.params.length ? table(["param", ...ids], cmp.params.map((p) => [p.key, ...p.values])) : "  (none)");
  print("\nfinal metrics:");
  print(cmp.metrics.length ? table(["step", "metric", ...ids], cmp.metrics.map((m) => [m.stepId, m.key, ...m.values.map(fmtNumber)])) : "  (none)");
  print("\nsteps:");
  print(table(["step", ...ids], cmp.steps.map((s) => [s.stepId, ...s.states])));
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
      print(`${e.execution.stepId} [${e.execution.state}]`);
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
