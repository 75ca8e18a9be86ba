// The scheduling rules of a run, without Temporal: which steps may start (plan order, the
// concurrency, dependencies done), which can never start (a dependency without outputs, through any
// depth at once), steps that wait without holding a slot and get one back first, and dependencies
// from another chunk.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RunTracker } from "../../workflows/run-tracker.ts";
import { planOf } from "./env.ts";

const DIAMOND = `
name: diamond
steps:
  a: { uses: command, with: { run: a } }
  b: { uses: command, with: { run: b }, needs: [a] }
  c: { uses: command, with: { run: c }, needs: [a] }
  d: { uses: command, with: { run: d }, needs: [b, c] }
  e: { uses: command, with: { run: e }, needs: [d] }
  f: { uses: command, with: { run: f } }
`;
const ids = (steps: { id: string }[]) => steps.map((s) => s.id);

test("ready: dependencies done, plan order, no more than the concurrency; each step handed out once", () => {
  const t = new RunTracker(planOf(DIAMOND).steps, "r", 2);
  assert.deepEqual(ids(t.ready()), ["a", "f"]);
  t.set("a", "running");
  t.set("f", "running");
  assert.deepEqual(ids(t.ready()), []);
  t.set("a", "succeeded");
  assert.deepEqual(ids(t.ready()), ["b"], "one slot: f still runs");
  t.set("b", "running");
  t.set("f", "cached");
  assert.deepEqual(ids(t.ready()), ["c"]);
  t.set("c", "running");
  t.set("b", "succeeded");
  t.set("c", "succeeded");
  assert.deepEqual(ids(t.ready()), ["d"]);
  assert.deepEqual(ids(t.ready()), [], "handed out once");
});

test("blocked: a failed step skips its dependents at every depth at once, naming the cause", () => {
  const t = new RunTracker(planOf(DIAMOND).steps, "r", 4);
  for (const s of t.ready()) t.set(s.id, "running");
  t.set("a", "failed", { error: "broke" });
  const blocked = t.blocked().map((b) => [b.step.id, b.reason]);
  assert.deepEqual(blocked, [
    ["b", "skipped: needs a"],
    ["c", "skipped: needs a"],
    ["d", "skipped: needs b, c"],
    ["e", "skipped: needs d"],
  ]);
  assert.equal(t.step("e").status, "skipped");
  assert.deepEqual(ids(t.ready()), []);
  t.set("f", "succeeded");
  assert.equal(t.finish(false).status, "failed");
});

test("a waiting step gives its slot back, and when it asks for one again it goes before steps not started", () => {
  const wide = planOf("name: wide\nsteps:\n" + ["p", "q", "r", "s"].map((id) => `  ${id}: { uses: command, with: { run: ${id} } }`).join("\n") + "\n");
  const t = new RunTracker(wide.steps, "r", 2);
  for (const s of t.ready()) t.set(s.id, "running");
  t.setIdle("p", true);
  assert.deepEqual(ids(t.ready()), ["r"], "p waits: r takes its slot");
  t.set("r", "running");
  t.wantRoom("p");
  assert.equal(t.mayResume("p"), false, "q and r hold both slots");
  t.set("r", "succeeded");
  assert.deepEqual(ids(t.ready()), [], "s must not take the slot p asked for");
  assert.equal(t.mayResume("p"), true);
  t.setIdle("q", true);
  t.wantRoom("q");
  assert.equal(t.mayResume("q"), true, "q asked after p, and two slots are free");
  t.setIdle("p", false);
  t.setIdle("q", false);
  assert.equal(t.running(), 2);
  assert.deepEqual(ids(t.ready()), []);
});

test("dependencies from another chunk: done ones count as done, ended ones block", () => {
  const plan = planOf(DIAMOND);
  const later = plan.steps.filter((s) => ["d", "e"].includes(s.id));
  const ok = new RunTracker(later, "r", 4, { done: new Set(["b", "c"]), notDone: new Map() });
  assert.deepEqual(ids(ok.ready()), ["d"]);
  const bad = new RunTracker(later, "r", 4, { done: new Set(["b"]), notDone: new Map([["c", "failed"]]) });
  assert.deepEqual(bad.blocked().map((b) => [b.step.id, b.reason]), [["d", "skipped: needs c"], ["e", "skipped: needs d"]]);
  assert.throws(() => new RunTracker(later, "r", 4), /step d needs b, which is neither in this plan nor given/);
});
