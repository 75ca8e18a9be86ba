// The search inside the workflow, as a specification (stub steps that report a scripted val_loss at
// each rung): ASHA decisions that do not depend on which branch finished first, ties, a branch that
// fails between rungs, a sweep where all but one branch stop, the median rule, a cached branch's
// values counting, `--continue-stopped` (the search judges nothing, a continued branch runs to its
// budget in one part), and a chunked run deciding as an unchunked one.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { planOf, startEnv, type DbLog, type StepScript } from "./env.ts";
import { SEARCH_SWEEP } from "./histories.ts";
import { runScenario } from "./scenario.ts";

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.teardown();
});

const LRS = ["0.001", "0.002", "0.003", "0.004", "0.005", "0.006"];
const branch = (i: number) => `train[lr=${LRS[i]}]`;
/** Branch i's val_loss after `done` steps: level[i] + 1/done. */
function losses(levels: number[], more: (i: number) => StepScript = () => ({})): Record<string, StepScript> {
  return Object.fromEntries(levels.map((l, i) => [branch(i), { valLoss: (done: number) => l + 1 / done, ...more(i) }]));
}
const table = (log: DbLog) => log.rungs.map((r) => [r.decision.branch, r.decision.rung, r.decision.rank, r.decision.of, r.decision.decision]);
const states = (log: DbLog) => Object.fromEntries(log.finished.map((f) => [f.executionId.split("/")[1], f.state]));
/** The most steps (parts) the trace shows running at the same moment. */
function mostAtOnce(trace: { start: number; end?: number }[]): number {
  const events = trace.flatMap((e) => [[e.start, 1], [e.end!, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (now += d));
  return most;
}
const sorted = (rows: unknown[][]) => [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1]));

describe("search", () => {
  const LEVELS = [5, 3, 1, 4, 2, 6];
  const EXPECTED = [
    [branch(0), 10, 1, 1, "promoted"],
    [branch(0), 30, 1, 1, "promoted"],
    [branch(1), 10, 1, 2, "promoted"],
    [branch(1), 30, 1, 2, "promoted"],
    [branch(2), 10, 1, 3, "promoted"],
    [branch(2), 30, 1, 3, "promoted"],
    [branch(3), 10, 3, 4, "stopped"],
    [branch(4), 10, 2, 5, "stopped"],
    [branch(5), 10, 6, 6, "stopped"],
  ];

  it("ASHA: each branch is judged against the branches before it; the same decisions whichever finishes first", async () => {
    const fast = await runScenario(env, planOf(SEARCH_SWEEP), "asha-a", losses(LEVELS));
    // the later branches now train faster than the earlier ones: they reach their rungs first
    const slowFirst = await runScenario(env, planOf(SEARCH_SWEEP), "asha-b", losses(LEVELS, (i) => ({ ms: 400 - 60 * i })));
    for (const s of [fast, slowFirst]) {
      assert.equal(s.outcome.status?.status, "succeeded");
      assert.ok(mostAtOnce(s.trace) <= 2, `never more parts at once than the concurrency (${mostAtOnce(s.trace)})`);
      assert.deepEqual(sorted(table(s.log)), EXPECTED);
      const st = states(s.log);
      assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => st[branch(i)]), ["succeeded", "succeeded", "succeeded", "stopped", "stopped", "stopped"]);
      assert.deepEqual([0, 3].map((i) => st[`after[lr=${LRS[i]}]`]), ["succeeded", "skipped"], "a stopped branch's dependents are skipped");
    }
    const parts = fast.trace.filter((t) => t.id === branch(0)).length;
    assert.equal(parts, 3, "a promoted branch trains in three parts: to 10, to 30, to its budget");
    assert.equal(fast.trace.filter((t) => t.id === branch(5)).length, 1, "a branch stopped at the first rung trained once");
    const stopped = fast.log.finished.find((f) => f.executionId.endsWith(branch(3)))!;
    assert.match(stopped.error ?? "", /stopped by the search: val_loss 4\.1 ranks 3 of 4 at step 10: not in the top 1 \(1\/3\)/);
  });

  it("a branch that can be judged at once keeps its slot: with one slot, each branch trains to its end or its stop in turn", async () => {
    const s = await runScenario(env, planOf(SEARCH_SWEEP.replace("concurrency: 2", "concurrency: 1")), "one-slot", losses(LEVELS));
    const order = s.trace.filter((t) => t.id.startsWith("train[")).map((t) => LRS.indexOf(t.id.slice(9, -1)));
    assert.deepEqual(order, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 4, 5]);
    assert.deepEqual(sorted(table(s.log)), EXPECTED);
  });

  it("ties rank the branch earlier in the plan first", async () => {
    const s = await runScenario(env, planOf(SEARCH_SWEEP), "ties", losses([2, 2, 2, 2, 2, 2]));
    const at10 = s.log.rungs.filter((r) => r.decision.rung === 10).map((r) => [r.decision.branch, r.decision.rank]);
    assert.deepEqual(sorted(at10), [0, 1, 2, 3, 4, 5].map((i) => [branch(i), i + 1]));
  });

  it("a branch that fails between rungs ends failed; the branches after it are judged without it", async () => {
    const s = await runScenario(env, planOf(SEARCH_SWEEP), "fails", losses(LEVELS, (i) => (i === 1 ? { failAt: 30 } : {})));
    const st = states(s.log);
    assert.equal(st[branch(1)], "failed");
    const b2 = s.log.rungs.find((r) => r.decision.branch === branch(2) && r.decision.rung === 30)!.decision;
    assert.deepEqual([b2.rank, b2.of], [1, 2], "b2 at step 30 is compared with b0 only");
    assert.equal(s.log.runEnd?.status, "failed");
  });

  it("every branch but one stops: the run succeeds with one trained branch", async () => {
    const s = await runScenario(env, planOf(SEARCH_SWEEP), "one-left", losses([1, 2, 3, 4, 5, 6]));
    const st = states(s.log);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => st[branch(i)]), ["succeeded", "stopped", "stopped", "stopped", "stopped", "stopped"]);
    assert.equal(s.log.runEnd?.status, "succeeded");
  });

  it("median rule: a branch stops when worse than the median of the others, once enough reached the rung", async () => {
    const yaml = SEARCH_SWEEP.replace("rungs: [10, 30] }", "rule: median, rungs: [10, 30], minBranches: 2 }");
    const s = await runScenario(env, planOf(yaml), "median", losses(LEVELS));
    const at10 = s.log.rungs.filter((r) => r.decision.rung === 10).map((r) => [r.decision.branch, r.decision.decision]);
    // b0, b1: fewer than 2 others; b2 (1.1) beats the median of 5.1, 3.1; b3 (4.1) is worse than the median 3.1 of 5.1, 3.1, 1.1
    assert.deepEqual(sorted(at10), [
      [branch(0), "promoted"], [branch(1), "promoted"], [branch(2), "promoted"], [branch(3), "stopped"], [branch(4), "promoted"], [branch(5), "stopped"],
    ]);
  });

  it("a cached branch's values at its rungs count for the branches after it", async () => {
    const scripts = losses([9, 3, 1, 4, 2, 6]);
    scripts[branch(0)] = { cached: true, cachedRungs: [{ rung: 10, value: 0.5 }, { rung: 30, value: 0.2 }] };
    const s = await runScenario(env, planOf(SEARCH_SWEEP), "cached-branch", scripts);
    const b1 = s.log.rungs.find((r) => r.decision.branch === branch(1) && r.decision.rung === 10)!.decision;
    assert.deepEqual([b1.rank, b1.of, b1.decision], [2, 2, "stopped"], "b1 (3.1) loses to the cached b0 (0.5)");
  });

  it("--continue-stopped: nothing is judged, the continued branch runs to its budget in one part, the kept ones stay stopped", async () => {
    const keepStopped = { [branch(3)]: "stopped in run r1", [branch(4)]: "stopped in run r1" };
    const s = await runScenario(env, planOf(SEARCH_SWEEP), "continue", losses(LEVELS), undefined, { keepStopped });
    const st = states(s.log);
    assert.deepEqual([3, 4, 5].map((i) => st[branch(i)]), ["stopped", "stopped", "succeeded"]);
    assert.equal(s.log.rungs.length, 0, "no rung is judged");
    assert.equal(s.trace.filter((t) => t.id === branch(5)).length, 1);
    assert.ok(!s.trace.some((t) => t.id === branch(3)), "a kept branch does not run");
  });

  it("a chunked run decides exactly as an unchunked one, whatever order the matrix lists the values in", async () => {
    const s = await runScenario(env, planOf(SEARCH_SWEEP), "chunked-search", losses(LEVELS), undefined, { chunkSteps: 5 });
    assert.equal(s.outcome.status?.status, "succeeded");
    assert.deepEqual(sorted(table(s.log)), EXPECTED);
    const shuffled = SEARCH_SWEEP.replace("lr: [0.001, 0.002, 0.003, 0.004, 0.005, 0.006]", "lr: [0.004, 0.001, 0.006, 0.002, 0.005, 0.003]");
    const whole = await runScenario(env, planOf(shuffled), "shuffled", losses(LEVELS));
    const chunked = await runScenario(env, planOf(shuffled), "shuffled-chunked", losses(LEVELS), undefined, { chunkSteps: 5 });
    assert.deepEqual(sorted(table(chunked.log)), sorted(table(whole.log)));
    assert.equal(table(whole.log).find((r) => r[1] === 10)?.[0], branch(3), "the first listed value is judged first");
  });
});
