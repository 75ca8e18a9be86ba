// DAPO's dynamic sampling (mmada/rl/dynamic-sampling.ts), the unigrpo kind's `rolloutRounds` option:
// groups whose rewards are all equal are dropped, more prompts are rolled out for the missing ones,
// at most `rounds` rollouts in all, and the update gets at most `target` groups, in sampling order.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { refillInformative } from "../../mmada/rl/dynamic-sampling.ts";
import type { Rollouts } from "../../mmada/rl/rollouts.ts";

/** One group per reward list (rows and masks are not looked at). */
function rollouts(...groups: number[][]): Rollouts {
  return {
    groups: groups.map((rewards) => ({ rows: new Int32Array(rewards.length), responseMask: new Uint8Array(rewards.length), rewards })),
    stats: groups.map((rewards, i) => ({ task: "cot" as const, rewards, correct: rewards.map((r) => r > 0), example: `g${i}` })),
  };
}

describe("refillInformative", () => {
  it("keeps the first rollout when it has enough groups with signal", async () => {
    let asked = 0;
    const r = await refillInformative(rollouts([0, 1], [1, 0], [2, 2]), async () => (asked++, rollouts()), 2, 4);
    assert.equal(asked, 0);
    assert.equal(r.rounds, 1);
    assert.equal(r.sampled, 3);
    assert.deepEqual(r.groups.map((g) => g.rewards), [[0, 1], [1, 0]]);
  });

  it("rolls out as many prompts as groups are missing, round after round, until the target", async () => {
    const asks: number[] = [];
    const next = [rollouts([0, 0], [0, 0.5]), rollouts([3, 1])];
    const r = await refillInformative(rollouts([1, 1], [0, 2], [0, 0]), async (n) => (asks.push(n), next.shift()!), 3, 5);
    assert.deepEqual(asks, [2, 1], "two missing, then one");
    assert.equal(r.rounds, 3);
    assert.equal(r.sampled, 6);
    assert.deepEqual(r.groups.map((g) => g.rewards), [[0, 2], [0, 0.5], [3, 1]]);
    assert.deepEqual(r.stats.map((s) => s.rewards), [[0, 2], [0, 0.5], [3, 1]], "stats stay with their groups");
  });

  it("stops after `rounds` rollouts with what it has", async () => {
    let asked = 0;
    const r = await refillInformative(rollouts([1, 1], [0, 0]), async (n) => (asked++, rollouts(...Array.from({ length: n }, () => [2, 2]))), 2, 3);
    assert.equal(asked, 2);
    assert.equal(r.rounds, 3);
    assert.equal(r.groups.length, 0, "no group had signal: the update is skipped as without the option");
  });

  it("takes at most `target` groups from a generous round", async () => {
    const r = await refillInformative(rollouts([0, 0]), async () => rollouts([0, 1], [1, 0], [1, 2]), 2, 2);
    assert.deepEqual(r.groups.map((g) => g.rewards), [[0, 1], [1, 0]]);
  });
});
