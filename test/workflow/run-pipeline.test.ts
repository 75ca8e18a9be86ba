// The pipeline workflow as a specification, on a real (local) Temporal server with stub activities:
// dependency order, parallel branches and the concurrency cap, skip-on-failure and how a failed run
// ends, cancellation, cached steps, the status query, activity ids, and an invalid plan.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WorkflowFailedError } from "@temporalio/client";
import { ApplicationFailure, CancelledFailure } from "@temporalio/common";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { stepActivityId } from "../../contract/ids.ts";
import { STATUS_QUERY, type RunStatus } from "../../contract/run.ts";
import { planOf, startEnv, type DbLog } from "./env.ts";
import { runScenario, type Scenario } from "./scenario.ts";

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.teardown();
});

export const DIAMOND = `
name: diamond
concurrency: 4
steps:
  a: { uses: command, with: { run: a, outputs: { out: a.txt } } }
  b: { uses: command, with: { run: b, inputs: { x: "\${{ steps.a.outputs.out }}" }, outputs: { out: b.txt } } }
  c: { uses: command, with: { run: c, inputs: { x: "\${{ steps.a.outputs.out }}" }, outputs: { out: c.txt } } }
  d: { uses: command, with: { run: d, inputs: { x: "\${{ steps.b.outputs.out }}", y: "\${{ steps.c.outputs.out }}" } } }
`;

const starts = (t: Scenario["trace"], id: string) => t.find((e) => e.id === id)!.start;
const ends = (t: Scenario["trace"], id: string) => t.find((e) => e.id === id)!.end!;
const states = (log: DbLog) => Object.fromEntries(log.finished.map((f) => [f.executionId.split("/")[1], f.state]));

describe("runPipeline", () => {
  it("runs steps after their dependencies, independent branches at once, and succeeds", async () => {
    const s = await runScenario(env, planOf(DIAMOND), "order", { b: { ms: 400 }, c: { ms: 400 } });
    assert.equal(s.outcome.status?.status, "succeeded");
    assert.ok(starts(s.trace, "b") >= ends(s.trace, "a") && starts(s.trace, "c") >= ends(s.trace, "a"));
    assert.ok(starts(s.trace, "d") >= Math.max(ends(s.trace, "b"), ends(s.trace, "c")));
    assert.ok(starts(s.trace, "c") < ends(s.trace, "b"), "b and c should overlap");
    assert.deepEqual(states(s.log), { a: "succeeded", b: "succeeded", c: "succeeded", d: "succeeded" });
    assert.equal(s.log.runEnd?.status, "succeeded");
    assert.equal(s.log.started.length, 1);
  });

  it("never runs more steps at once than the plan's concurrency", async () => {
    const yaml = `name: wide\nconcurrency: 2\nsteps:\n${["p", "q", "r", "s", "t"].map((id) => `  ${id}: { uses: command, with: { run: ${id} } }`).join("\n")}\n`;
    const s = await runScenario(env, planOf(yaml), "cap", Object.fromEntries(["p", "q", "r", "s", "t"].map((id) => [id, { ms: 300 }])));
    assert.equal(s.outcome.status?.status, "succeeded");
    const events = s.trace.flatMap((e) => [[e.start, 1], [e.end!, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let now = 0;
    let most = 0;
    for (const [, d] of events) most = Math.max(most, (now += d));
    assert.equal(most, 2);
  });

  it("a failed step skips its dependents, and the run ends Failed in Temporal with its status", async () => {
    const s = await runScenario(env, planOf(DIAMOND), "fail", { c: { fail: "c broke" } });
    assert.ok(s.outcome.error instanceof WorkflowFailedError, String(s.outcome.error));
    const cause = (s.outcome.error as WorkflowFailedError).cause;
    assert.ok(cause instanceof ApplicationFailure);
    assert.equal(cause.type, "RunFailed");
    const status = cause.details?.[0] as RunStatus;
    assert.equal(status.status, "failed");
    assert.match(status.error ?? "", /step c failed: c broke/);
    assert.deepEqual(states(s.log), { a: "succeeded", b: "succeeded", c: "failed", d: "skipped" });
    assert.equal(s.log.runEnd?.status, "failed");
    assert.equal(s.trace.some((e) => e.id === "d"), false, "d must never start");
  });

  it("a cached step never reaches a worker; its outputs feed its dependents", async () => {
    const s = await runScenario(env, planOf(DIAMOND), "cached", { a: { cached: true } });
    assert.equal(s.outcome.status?.status, "succeeded");
    assert.deepEqual(s.trace.map((e) => e.id).sort(), ["b", "c", "d"]);
    assert.equal(s.outcome.status?.steps.find((x) => x.id === "a")?.cachedFrom, "old/a");
  });

  it("cancellation stops the running steps, cancels what never ran, and ends the run Cancelled", async () => {
    let seen: RunStatus | undefined;
    const s = await runScenario(env, planOf(DIAMOND), "cancel", { b: { ms: 60_000 }, c: { ms: 60_000 } }, async (h) => {
      for (let i = 0; i < 100 && !seen?.steps.some((x) => x.id === "b" && x.status === "running"); i++) {
        await new Promise((r) => setTimeout(r, 100));
        seen = await h.query<RunStatus>(STATUS_QUERY).catch(() => undefined);
      }
      await h.cancel();
    });
    assert.equal(seen?.status, "running", "the status query answers while the run is going");
    assert.ok(s.outcome.error instanceof WorkflowFailedError && s.outcome.error.cause instanceof CancelledFailure, String(s.outcome.error));
    assert.deepEqual(states(s.log), { a: "succeeded", b: "cancelled", c: "cancelled", d: "cancelled" });
    assert.equal(s.log.runEnd?.status, "cancelled");
    assert.ok(ends(s.trace, "b") - starts(s.trace, "b") < 30_000, "b stopped when cancelled");
  });

  it("names each step's activity after the step in the history", async () => {
    const s = await runScenario(env, planOf(DIAMOND), "ids", {});
    const events = (s.history as { events: { activityTaskScheduledEventAttributes?: { activityId?: string } }[] }).events;
    const ids = events.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityId ? [e.activityTaskScheduledEventAttributes.activityId] : []));
    assert.deepEqual(ids.sort(), ["a", "b", "c", "d"].map(stepActivityId));
  });

  it("a plan Temporal would refuse (a zero timeout) fails the run at once, naming the problem", async () => {
    const plan = planOf(DIAMOND);
    plan.steps[1]!.timeoutMs = 0;
    const s = await runScenario(env, plan, "invalid", {});
    assert.ok(s.outcome.error instanceof WorkflowFailedError);
    assert.match(String((s.outcome.error.cause as ApplicationFailure).message), /invalid plan: step b: timeout 0ms is outside/);
    assert.equal(s.trace.length, 0, "no step ran");
    assert.equal(s.log.runEnd?.status, "failed");
  });
});
