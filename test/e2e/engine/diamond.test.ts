// Acceptance 1: the diamond (a -> b, c -> d) fails in c, resumes reusing a and b, and a rerun of
// the same spec reuses everything without running a single step activity; b and c run in parallel.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  cliJson,
  count,
  DIAMOND,
  dispose,
  executionsOf,
  makeWorkspace,
  runRow,
  startServer,
  stepOf,
  stepsOf,
  stepStates,
  type RunStatusJson,
  type TestWorkspace,
} from "./helpers.ts";

const C_MESSAGE = "step c failed on purpose: param fail=true";

let ws: TestWorkspace;
before(async () => {
  ws = makeWorkspace("diamond");
  await startServer(ws);
});
after(() => dispose(ws));

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;

test("diamond: fail in c, resume reuses a and b, a plain rerun is fully cached", { timeout: 240_000 }, async () => {
  // 1. c fails: the run fails, c carries its stderr message, d is skipped, a and b succeeded
  const failed = await cliJson<RunStatusJson>(ws, ["run", DIAMOND, "--set", "fail=true", "--name", "d-fail", "--json"]);
  assert.equal(failed.code, 1, failed.stderr);
  assert.equal(failed.json.status, "failed");
  assert.deepEqual(stepStates(failed.json), { a: "succeeded", b: "succeeded", c: "failed", d: "skipped" });
  assert.match(stepOf(failed.json, "c")!.error ?? "", new RegExp(C_MESSAGE));
  assert.match(failed.json.error ?? "", new RegExp(`step c failed: .*${C_MESSAGE}`));

  const first = stepsOf(ws, "d-fail");
  assert.equal(runRow(ws, "d-fail")?.status, "failed");
  assert.equal(first.c?.state, "failed");
  assert.match(first.c?.error ?? "", new RegExp(C_MESSAGE));
  assert.equal(first.d?.state, "skipped");

  // b and c ran at the same time: their recorded intervals overlap (concurrency 4, both need only a)
  const span = (id: "b" | "c") => ({ start: Date.parse(first[id]!.started_at!), end: Date.parse(first[id]!.finished_at!) });
  assert.ok(overlap(span("b"), span("c")), `b ${JSON.stringify(span("b"))} and c ${JSON.stringify(span("c"))} did not overlap`);

  // 2. resume with fail=false: a and b come from the failed run, c and d run
  const resumed = await cliJson<RunStatusJson>(ws, ["resume", "d-fail", "--set", "fail=false", "--name", "d-resume", "--json"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.json.status, "succeeded");
  assert.deepEqual(stepStates(resumed.json), { a: "cached", b: "cached", c: "succeeded", d: "succeeded" });
  assert.equal(stepOf(resumed.json, "a")!.cachedFrom, "d-fail/a");
  assert.equal(stepOf(resumed.json, "b")!.cachedFrom, "d-fail/b");
  assert.equal(runRow(ws, "d-resume")?.resumed_from, "d-fail");
  const second = stepsOf(ws, "d-resume");
  assert.deepEqual(
    Object.values(second).map((e) => [e.step_id, e.state]),
    [["a", "cached"], ["b", "cached"], ["c", "succeeded"], ["d", "succeeded"]],
  );

  // 3. a plain run of the spec (fail=false is the default): every step cached, nothing ran
  const artifactsBefore = count(ws, "SELECT count(*) FROM artifacts");
  const rerun = await cliJson<RunStatusJson>(ws, ["run", DIAMOND, "--name", "d-rerun", "--json"]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(stepStates(rerun.json), { a: "cached", b: "cached", c: "cached", d: "cached" });
  const third = executionsOf(ws, "d-rerun");
  assert.equal(third.length, 4);
  for (const e of third) {
    assert.equal(e.state, "cached", `${e.id} is ${e.state}`);
    assert.equal(e.attempt, 0, `${e.id} has an attempt: a step activity ran`);
    assert.equal(e.worker, null, `${e.id} was picked up by worker ${e.worker}`);
  }
  assert.deepEqual(
    third.map((e) => e.cached_from),
    ["d-fail/a", "d-fail/b", "d-resume/c", "d-resume/d"],
  );
  assert.equal(count(ws, "SELECT count(*) FROM artifacts"), artifactsBefore, "a fully cached run produced new artifacts");
  // a step activity always opens its log file; none may exist for this run
  assert.equal(existsSync(join(ws.home, "logs", "d-rerun")), false, "step logs exist for a fully cached run");
});
