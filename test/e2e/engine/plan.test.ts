// Acceptance 5: after a run, `mmada plan` forecasts which steps a new run would reuse from the cache
// and which it would run, and why (naming the cache-key component that changed). `--json` is JSON.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cli, cliJson, count, DIAMOND, dispose, makeWorkspace, startServer, type CliResult, type TestWorkspace } from "./helpers.ts";

const BASE = "plan-base";

interface Forecast {
  id: string;
  action: "cached" | "run" | "depends";
  why: string[];
}

let ws: TestWorkspace;
before(async () => {
  ws = makeWorkspace("plan");
  await startServer(ws);
  const r = await cli(ws, ["run", DIAMOND, "--name", BASE, "--json"]);
  if (r.code !== 0) throw new Error(`the base run failed (exit ${r.code}): ${r.stderr}`);
});
after(() => dispose(ws));

/** The text table's rows: `#  step  kind  needs  queue  would  why` -> step -> { would, why }. */
function rows(r: CliResult): Record<string, { would: string; why: string }> {
  assert.equal(r.code, 0, `plan exited ${r.code}: ${r.stderr}`);
  const out: Record<string, { would: string; why: string }> = {};
  for (const line of r.stdout.split("\n")) {
    const m = /^\d+\s+(\S+)\s+\S+\s+\S+\s+\S+\s+(cached|run|depends)\s+(.*)$/.exec(line);
    if (m) out[m[1]!] = { would: m[2]!, why: m[3]! };
  }
  assert.deepEqual(Object.keys(out), ["a", "b", "c", "d"], `unexpected plan output:\n${r.stdout}`);
  return out;
}

test("plan with nothing changed: every step would be reused from the base run", async () => {
  const p = rows(await cli(ws, ["plan", DIAMOND]));
  for (const id of ["a", "b", "c", "d"]) {
    assert.equal(p[id]!.would, "cached", `${id}: ${p[id]!.why}`);
    assert.match(p[id]!.why, new RegExp(`same cache key as ${BASE}/${id}`));
  }
});

test("plan --set fail=true: a and b cached, c would run because its command changed, d depends on what c gives", async () => {
  const p = rows(await cli(ws, ["plan", DIAMOND, "--set", "fail=true"]));
  assert.equal(p.a!.would, "cached");
  assert.equal(p.b!.would, "cached");
  assert.equal(p.c!.would, "run");
  // the changed component is named: the command text of c, where params.fail is substituted
  assert.match(p.c!.why, /^with\.run: .* -> /);
  // d's own inputs are unchanged: it is reused by content unless c's outputs change
  assert.equal(p.d!.would, "depends");
  assert.match(p.d!.why, new RegExp(`reused from ${BASE}/d if c gives the same outputs as last time, else it runs`));
});

test("plan --set n=4: a would run (its command changed), what follows depends on a's output", async () => {
  const p = rows(await cli(ws, ["plan", DIAMOND, "--set", "n=4"]));
  assert.equal(p.a!.would, "run");
  assert.match(p.a!.why, /with\.run: "echo \\"3\\".* -> "echo \\"4\\"/);
  assert.equal(p.b!.would, "depends");
  assert.match(p.b!.why, /if a gives the same outputs as last time/);
  assert.equal(p.c!.would, "depends");
  assert.match(p.d!.why, /if b, c give the same outputs as last time/);
});

test("an edit of a that keeps its output byte-identical: plan says b depends on it, and the run reuses b by content", async () => {
  const spec = join(ws.home, "diamond-edited.yaml");
  const text = readFileSync(DIAMOND, "utf8");
  const edited = text.replace(`run: 'echo "\${{ params.n }}"`, `run: 'true; echo "\${{ params.n }}"`);
  assert.notEqual(edited, text, "the diamond's step a command was not found");
  writeFileSync(spec, edited);
  const p = rows(await cli(ws, ["plan", spec]));
  assert.equal(p.a!.would, "run");
  assert.equal(p.b!.would, "depends");
  const r = await cliJson<{ steps: { id: string; status: string }[] }>(ws, ["run", spec, "--name", "plan-edited", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.steps.map((s) => [s.id, s.status]), [["a", "succeeded"], ["b", "cached"], ["c", "cached"], ["d", "cached"]]);
});

test("plan --json is valid JSON with the plan and a forecast per step", async () => {
  const { code, json, stderr } = await cliJson<{ plan: { pipeline: string; steps: unknown[] }; forecast: Forecast[] }>(ws, [
    "plan",
    DIAMOND,
    "--set",
    "fail=true",
    "--json",
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(json.plan.pipeline, "diamond");
  assert.equal(json.plan.steps.length, 4);
  assert.deepEqual(
    json.forecast.map((f) => [f.id, f.action]),
    [["a", "cached"], ["b", "cached"], ["c", "run"], ["d", "depends"]],
  );
  assert.ok(json.forecast.find((f) => f.id === "c")!.why.some((w) => w.startsWith("with.run: ")));
});

test("plan never starts a run", () => {
  assert.equal(count(ws, "SELECT count(*) FROM runs WHERE id != 'plan-edited'"), 1);
});
