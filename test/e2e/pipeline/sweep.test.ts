// A search over a real sweep (test/e2e/pipeline/specs/mmada-sweep-stage1.yaml: the tiny stage 1 over
// six learning rates, ASHA on val_loss at steps 40 and 120 of 4,000):
//  - uninterrupted: the losers stop at a rung (state `stopped`, their dependents skipped), the
//    winners train to the end; status, the report and compare show the sweep; the decisions are in
//    the run database;
//  - crashed: every worker of the workspace killed (-9) while decisions are pending, then the step
//    workers killed while a promoted branch trains its last part: the run completes with exactly
//    the decisions of the uninterrupted run;
//  - `resume --continue-stopped <run> <branch>` carries one stopped branch on to its full budget from
//    its rung checkpoint; the other stopped branch stays stopped; nothing is judged again.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cli, cliJson, count, dispose, killTree, makeWorkspace, type RunStatusJson, spawnCli, stepStates, type TestWorkspace, waitFor, withRunDb } from "../engine/helpers.ts";
import { finalMetric, progressOf, startOwnServer } from "./helpers.ts";

const SWEEP = "test/e2e/pipeline/specs/mmada-sweep-stage1.yaml";
const BRANCHES = ["0.0001", "0.03", "0.003", "0.0003", "0.01", "0.001"].map((lr) => `stage1[lr=${lr}]`);

type Decision = [branch: string, rung: number, value: number, rank: number, of: number, decision: string];
function decisions(ws: TestWorkspace, runId: string): Decision[] {
  return withRunDb(ws, (db) =>
    (db.prepare("SELECT e.step_id AS b, d.rung, d.value, d.rank, d.of, d.decision FROM rung_decisions d JOIN executions e ON e.id = d.execution_id WHERE d.run_id = ? ORDER BY e.step_id, d.rung").all(runId) as {
      b: string; rung: number; value: number; rank: number; of: number; decision: string;
    }[]).map((r): Decision => [r.b, r.rung, r.value, r.rank, r.of, r.decision]),
  );
}

let clean: TestWorkspace;
let crashed: TestWorkspace;
let reference: { status: RunStatusJson; decisions: Decision[] };
before(async () => {
  clean = makeWorkspace("sweep");
  crashed = makeWorkspace("sweep-crash");
  await Promise.all([startOwnServer(clean), startOwnServer(crashed)]);
});
after(async () => {
  for (const ws of [clean, crashed]) await dispose(ws);
});

test("an uninterrupted sweep: losers stop at their rungs, winners train to the end; status, report and compare show it", { timeout: 300_000 }, async () => {
  const r = await cliJson<RunStatusJson>(clean, ["run", SWEEP, "--name", "sw", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const states = stepStates(r.json);
  const stopped = BRANCHES.filter((b) => states[b] === "stopped");
  assert.ok(stopped.length >= 1 && stopped.length < BRANCHES.length, `some branches stop, some go on: ${JSON.stringify(states)}`);
  for (const b of stopped) assert.equal(states[b.replace("stage1", "size")], "skipped", `${b}'s dependent is skipped`);
  assert.equal(r.json.status, "succeeded", "stopping branches is not a failure");
  reference = { status: r.json, decisions: decisions(clean, "sw") };
  assert.equal(reference.decisions.filter((d) => d[1] === 40).length, BRANCHES.length, "every branch is judged at the first rung");
  assert.ok(reference.decisions.every((d) => Number.isFinite(d[2])));

  const status = await cli(clean, ["status", "sw"]);
  assert.match(status.stdout, /^search: stage1 branches on val_loss \(min\); ASHA/m);
  assert.match(status.stdout, /^best: stage1\[lr=[\d.]+\] \(lr=[\d.]+\), val_loss [\d.]+ after 4000 steps$/m);
  const compare = await cli(clean, ["compare", "sw"]);
  assert.match(compare.stdout, /decisions \(rung: \+ went on, x stopped, rank\/compared\):/);
  const report = readFileSync(join(clean.home, "reports", "sw.html"), "utf8");
  assert.match(report, /<section id="sweep">/);
  assert.equal((report.match(/<tr data-branch=/g) ?? []).length, BRANCHES.length);
  assert.match(report, /"sweep":\{"metric":"val_loss","series":\[/, "the page's data carries every branch's curve for the chart");
});

test("workers killed while decisions are pending and while a winner trains: the same decisions as without", { timeout: 420_000 }, async () => {
  assert.ok(reference, "needs the uninterrupted run");
  const run = spawnCli(crashed, ["run", SWEEP, "--name", "sw", "--json"]);
  const pool = () => JSON.parse(readFileSync(join(crashed.home, "workers", "pool.json"), "utf8")) as { pid: number; stepWorkerPids: number[] };
  const decided = () => {
    try {
      return count(crashed, "SELECT count(*) FROM rung_decisions WHERE run_id = 'sw'");
    } catch {
      return 0; // the run database is not there yet
    }
  };
  // 1. some decisions made, others pending: every worker process of the workspace dies at once
  await waitFor("the first rung decisions", () => decided() >= 1 && decided() < reference.decisions.length - 2, 240_000);
  const first = pool();
  for (const pid of [first.pid, ...first.stepWorkerPids]) killTree(pid);
  const restarted = await cli(crashed, ["server", "start"]);
  assert.equal(restarted.code, 0, restarted.stderr);
  // 2. a promoted branch is past its last rung, far from its end (its last part is 3,880 steps, 15 s or more; what
  // the run database shows lags by a heartbeat): its worker dies mid-part
  const winner = await waitFor(
    "a promoted branch early in its last part",
    () => BRANCHES.find((b) => {
      const p = progressOf(crashed, "sw", b);
      const newest = p?.newestCheckpoint ?? 0;
      return p?.state === "running" && newest >= 160 && newest <= 1600;
    }),
    240_000,
  );
  for (const pid of pool().stepWorkerPids) killTree(pid);
  const out = await run.output;
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(decisions(crashed, "sw"), reference.decisions);
  assert.deepEqual(stepStates(JSON.parse(out.stdout) as RunStatusJson), stepStates(reference.status));
  const rows = withRunDb(crashed, (db) => db.prepare("SELECT step_id, attempt, worker, state FROM executions WHERE run_id = 'sw'").all() as { step_id: string; attempt: number }[]);
  assert.ok(rows.find((r) => r.step_id === winner)!.attempt >= 2, `${winner} was retried after its worker died: ${JSON.stringify(rows)}`);
});

test("resume --continue-stopped carries one stopped branch to its budget from its rung checkpoint", { timeout: 300_000 }, async () => {
  const stopped = reference.decisions.filter((d) => d[5] === "stopped").map((d) => d[0]);
  assert.ok(stopped.length >= 1);
  const [going, ...staying] = stopped as [string, ...string[]];
  const r = await cliJson<RunStatusJson>(clean, ["resume", "--continue-stopped", "sw", going, "--name", "sw-more", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const states = stepStates(r.json);
  assert.equal(states[going], "succeeded");
  assert.equal(states[going.replace("stage1", "size")], "succeeded");
  for (const b of staying) assert.equal(states[b], "stopped");
  for (const b of BRANCHES.filter((x) => !stopped.includes(x))) assert.equal(states[b], "cached");
  assert.equal(decisions(clean, "sw-more").length, 0, "the search judges nothing in a continued run");
  const rung = reference.decisions.find((d) => d[0] === going)![1];
  assert.equal(finalMetric(clean, "sw-more", going, "resumed_from_step"), rung, "it went on from its rung checkpoint");
});
