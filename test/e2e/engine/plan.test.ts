// Acceptance 5: after a run, `mmada plan` forecasts which steps a new run would reuse from the cache
// and which it would run, and why (naming the cache-key component that changed). `--json` is JSON.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { cli, cliJson, count, DIAMOND, dispose, makeWorkspace, startServer, type CliResult, type TestWorkspace } from "./helpers.ts";

const BASE = "plan-base";

interface Forecast {
  id: string;
  action: "cached" | "run";
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
    const m = /^\d+\s+(\S+)\s+\S+\s+\S+\s+\S+\s+(cached|run)\s+(.*)$/.exec(line);
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

test("plan --set fail=true: a and b cached, c would run because its command changed, d because c runs", async () => {
  const p = rows(await cli(ws, ["plan", DIAMOND, "--set", "fail=true"]));
  assert.equal(p.a!.would, "cached");
  assert.equal(p.b!.would, "cached");
  assert.equal(p.c!.would, "run");
  // the changed component is named: the command text of c, where params.fail is substituted
  assert.match(p.c!.why, /^with\.run: .* -> /);
  assert.equal(p.d!.would, "run");
  assert.match(p.d!.why, /upstream c will run/);
});

test("plan --set n=4: a would run (its command changed), everything downstream because a runs", async () => {
  const p = rows(await cli(ws, ["plan", DIAMOND, "--set", "n=4"]));
  assert.equal(p.a!.would, "run");
  assert.match(p.a!.why, /with\.run: "echo \\"3\\".* -> "echo \\"4\\"/);
  assert.match(p.b!.why, /upstream a will run/);
  assert.match(p.c!.why, /upstream a will run/);
  assert.match(p.d!.why, /upstream b, c will run/);
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
    [["a", "cached"], ["b", "cached"], ["c", "run"], ["d", "run"]],
  );
  assert.ok(json.forecast.find((f) => f.id === "c")!.why.some((w) => w.startsWith("with.run: ")));
});

test("plan never starts a run", () => {
  assert.equal(count(ws, "SELECT count(*) FROM runs"), 1);
});
