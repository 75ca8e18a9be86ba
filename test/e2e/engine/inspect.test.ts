// Acceptance 7: the read-only commands over recorded runs, text and --json: `runs`, `status`,
// `compare`, and `lineage` of a run and of one artifact (its producer and every user).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Lineage, RunComparison, RunDetail, RunSummary } from "../../../runs/index.ts";
import { cli, cliJson, DIAMOND, dispose, makeWorkspace, startServer, STACK_FRAME, type TestWorkspace } from "./helpers.ts";

/** Two runs that differ in `n` (everything runs twice), then a rerun of the first (all cached). */
const RUN_3 = "insp-n3";
const RUN_4 = "insp-n4";
const RERUN_3 = "insp-n3-again";
const STEPS = ["a", "b", "c", "d"];

let ws: TestWorkspace;
before(async () => {
  ws = makeWorkspace("inspect");
  await startServer(ws);
  for (const [name, n] of [[RUN_3, 3], [RUN_4, 4], [RERUN_3, 3]] as const) {
    const r = await cli(ws, ["run", DIAMOND, "--name", name, "--set", `n=${n}`, "--json"]);
    if (r.code !== 0) throw new Error(`run ${name} failed (exit ${r.code}): ${r.stderr}`);
  }
});
after(() => dispose(ws));

/** Runs a read-only command; it must succeed without noise on stderr. */
async function ok(args: string[]): Promise<string> {
  const r = await cli(ws, args);
  assert.equal(r.code, 0, `mmada ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, STACK_FRAME);
  return r.stdout;
}

async function json<T>(args: string[]): Promise<T> {
  const r = await cliJson<T>(ws, [...args, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return r.json;
}

test("runs: newest first, with status and step counts", async () => {
  const text = await ok(["runs"]);
  assert.match(text, /^run\s+pipeline\s+status/);
  const order = [RERUN_3, RUN_4, RUN_3].map((id) => text.indexOf(`${id} `));
  assert.ok(order.every((i) => i > 0) && order[0]! < order[1]! && order[1]! < order[2]!, text);
  assert.match(text, new RegExp(`${RERUN_3}\\s+diamond\\s+succeeded.*4 cached`));
  assert.match(text, new RegExp(`${RUN_4}\\s+diamond\\s+succeeded.*4 succeeded`));

  const rows = await json<RunSummary[]>(["runs"]);
  assert.deepEqual(rows.map((r) => r.id), [RERUN_3, RUN_4, RUN_3]);
  assert.ok(rows.every((r) => r.pipeline === "diamond" && r.status === "succeeded" && r.durationMs !== null));
  assert.equal(rows[0]!.steps.cached, 4);
  assert.equal(rows[1]!.steps.succeeded, 4);
});

test("status: one run's steps, states, outputs, and every metric in full", async () => {
  const text = await ok(["status", RUN_3]);
  assert.match(text, new RegExp(`^run ${RUN_3} \\(diamond\\) succeeded`));
  for (const [step, output] of [["a", "out"], ["b", "result"], ["c", "result"], ["d", "combined"]]) {
    assert.match(text, new RegExp(`^${step}\\s+command\\s+succeeded\\s+1\\s+\\S+\\s+${output}$`, "m"));
    assert.match(text, new RegExp(`^${step}\\s+duration_s\\s+\\d`, "m"), "every final metric on a line of its own");
  }
  const cached = await ok(["status", RERUN_3]);
  assert.match(cached, new RegExp(`^a\\s+command\\s+cached \\(from ${RUN_3}\\)`, "m"));

  const detail = await json<RunDetail>(["status", RUN_3]);
  assert.equal(detail.run.id, RUN_3);
  assert.equal(detail.pipeline.name, "diamond");
  assert.deepEqual(detail.params.find((p) => p.key === "n")?.value, "3");
  assert.deepEqual(detail.executions.map((e) => [e.execution.stepId, e.execution.state]), STEPS.map((s) => [s, "succeeded"]));
  assert.deepEqual(Object.keys(detail.executions[3]!.outputs), ["combined"]);
  assert.ok(detail.executions.every((e) => e.metrics.some((m) => m.key === "duration_s")));
});

test("compare: the differing param, the metrics and the step states side by side", async () => {
  const text = await ok(["compare", RUN_3, RUN_4, RERUN_3]);
  assert.match(text, /params that differ:\nparam\s+insp-n3\s+insp-n4\s+insp-n3-again\nn\s+3\s+4\s+3\n/);
  assert.match(text, /final metrics:/);
  assert.match(text, /^a\s+succeeded\s+succeeded\s+cached$/m);

  const cmp = await json<RunComparison>(["compare", RUN_3, RUN_4, RERUN_3]);
  assert.deepEqual(cmp.runs.map((r) => r.id), [RUN_3, RUN_4, RERUN_3]);
  assert.deepEqual(cmp.params.map((p) => [p.key, p.values]), [["n", ["3", "4", "3"]]]);
  assert.deepEqual(cmp.steps.map((s) => [s.stepId, s.states]), STEPS.map((s) => [s, ["succeeded", "succeeded", "cached"]]));
  // a cache hit records no metrics: the rerun shows those of the execution it was cached from (run 3's)
  const bDuration = cmp.metrics.find((m) => m.stepId === "b" && m.key === "duration_s");
  assert.ok(bDuration && bDuration.values[0] !== null && bDuration.values[2] === bDuration.values[0], JSON.stringify(bDuration));
});

test("lineage of a run: every step's inputs and outputs", async () => {
  const text = await ok(["lineage", RUN_3]);
  assert.match(text, new RegExp(`^run ${RUN_3} \\(diamond\\) succeeded`));
  assert.match(text, /^a \[succeeded\]\n {2}-> out: #\d+ file [0-9a-f]{12} artifacts\//m);
  assert.match(text, /^d \[succeeded\]\n {2}<- inputs\.b: #\d+.*\n {2}<- inputs\.c: #\d+.*\n {2}-> combined: #\d+/m);

  const l = await json<Lineage>(["lineage", RUN_3]);
  assert.equal(l.kind, "run");
  if (l.kind !== "run") return;
  assert.deepEqual(l.executions.map((e) => e.execution.stepId), STEPS);
  const aOut = l.executions[0]!.outputs.out!;
  assert.equal(l.executions[1]!.inputs["inputs.data"]?.sha256, aOut.sha256, "b did not read a's output");
});

test("lineage of a rerun: every cached step names the execution whose outputs it reused", async () => {
  const text = await ok(["lineage", RERUN_3]);
  for (const s of STEPS) assert.match(text, new RegExp(`^${s} \\[cached, outputs of ${RUN_3}/${s}\\]$`, "m"));
});

test("lineage of an artifact (by id and by sha256 prefix): its producer, its users, its cache reuses", async () => {
  const detail = await json<RunDetail>(["status", RUN_3]);
  const aOut = detail.executions[0]!.outputs.out!;

  const text = await ok(["lineage", String(aOut.id)]);
  assert.match(text, new RegExp(`^artifact #${aOut.id} file ${aOut.sha256.slice(0, 12)} `));
  assert.match(text, new RegExp(`^produced by ${RUN_3}/a \\(command\\)$`, "m"));
  for (const user of [`${RUN_3}/b`, `${RUN_3}/c`, `${RERUN_3}/b`, `${RERUN_3}/c`]) {
    assert.match(text, new RegExp(`^used by ${user} as inputs\\.data$`, "m"));
  }
  assert.match(text, new RegExp(`^reused \\(cached\\) by ${RERUN_3}/a as out$`, "m"));
  assert.doesNotMatch(text, new RegExp(RUN_4), "a's output for n=3 is unrelated to the n=4 run");

  const l = await json<Lineage>(["lineage", aOut.sha256.slice(0, 10)]);
  assert.equal(l.kind, "artifact");
  if (l.kind !== "artifact") return;
  assert.equal(l.artifact.id, aOut.id);
  assert.equal(l.producedBy?.execution.id, `${RUN_3}/a`);
  assert.deepEqual(l.usedBy.map((u) => u.execution.id).sort(), [`${RERUN_3}/b`, `${RERUN_3}/c`, `${RUN_3}/b`, `${RUN_3}/c`]);
  assert.deepEqual(l.reusedBy.map((u) => u.execution.id), [`${RERUN_3}/a`]);
});

test("the dev server's Temporal Web UI is up and lists the runs' workflows", async () => {
  const server = JSON.parse(readFileSync(join(ws.home, "temporal", "server.json"), "utf8")) as { uiPort: number };
  const res = await fetch(`http://127.0.0.1:${server.uiPort}/api/v1/namespaces/default/workflows`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { executions: Array<{ execution: { workflowId: string } }> };
  const ids = body.executions.map((e) => e.execution.workflowId);
  for (const run of [RUN_3, RUN_4, RERUN_3]) assert.ok(ids.includes(`mmada-run-${run}`), `the UI does not list ${run}: ${ids.join(", ")}`);
});
