// Reading runs back: listRuns, getRun and compareRuns (differing params vs --all, the final-metrics rule).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Plan } from "../../contract/plan.ts";
import {
  compareRuns,
  executionIdOf,
  getRun,
  listRuns,
  metricSeries,
  recordExecutionCached,
  recordExecutionEnd,
  recordExecutionStart,
  recordMetrics,
  recordRunEnd,
  recordRunStart,
  unknownRunIds,
} from "../../runs/index.ts";
import { makePlan, specTextOf, tempDb, type TempDb } from "./fixtures.ts";

const TRAIN = "train[lr=0.001]";

describe("listRuns / getRun / compareRuns", () => {
  let t: TempDb;

  function run(runId: string, params: Plan["params"], finalLoss: number | undefined, trainState: "succeeded" | "failed"): void {
    const plan = makePlan(params);
    recordRunStart(t.db, { runId, workflowId: `wf-${runId}`, plan, specText: specTextOf(plan), resumedFrom: runId === "b" ? "a" : undefined });
    const train = executionIdOf(runId, TRAIN);
    recordExecutionStart(t.db, { executionId: train, attempt: 1, worker: "w", cacheKey: `k-${runId}`, cacheComponents: {}, inputs: {} });
    // Progress recorded out of order: the final rule takes the largest step, not the last written.
    recordMetrics(t.db, train, [{ key: "loss", value: 0.5, step: 200 }, { key: "loss", value: 0.9, step: 100 }]);
    recordMetrics(t.db, train, [{ key: "acc", value: 0.7, step: 50 }]);
    const metrics = finalLoss === undefined ? [] : [{ key: "loss", value: finalLoss }];
    recordExecutionEnd(t.db, { executionId: train, state: trainState, metrics });
    recordRunEnd(t.db, { runId, status: trainState });
  }

  before(() => {
    t = tempDb();
    run("a", { lr: 0.001, steps: 100, dataset: "mnist" }, 0.25, "succeeded");
    run("b", { lr: 0.01, steps: 100, dataset: "mnist" }, undefined, "failed");
    run("c", { lr: 0.01, steps: 100, dataset: "mnist", extra: true }, 0.125, "succeeded");
  });
  after(() => t.cleanup());

  it("listRuns: newest first, with durations, resumed_from and step counts", () => {
    const runs = listRuns(t.db);
    assert.deepEqual(runs.map((r) => r.id), ["c", "b", "a"]);
    const b = runs[1]!;
    assert.equal(b.status, "failed");
    assert.equal(b.resumedFrom, "a");
    assert.equal(b.pipeline, "tiny");
    assert.ok(b.durationMs !== null && b.durationMs > 0);
    assert.deepEqual(b.steps, { pending: 0, running: 0, succeeded: 0, cached: 0, failed: 1, skipped: 3, cancelled: 0, stopped: 0 });
    assert.deepEqual(listRuns(t.db, { limit: 1 }).map((r) => r.id), ["c"]);
  });

  it("getRun: unknown ids are undefined; params are flattened rows", () => {
    assert.equal(getRun(t.db, "zzz"), undefined);
    assert.deepEqual(getRun(t.db, "a")!.params, [
      { key: "dataset", value: "mnist", type: "string" },
      { key: "lr", value: "0.001", type: "number" },
      { key: "steps", value: "100", type: "number" },
    ]);
  });

  it("compares only differing params by default, every param with all", () => {
    const diff = compareRuns(t.db, ["a", "b", "c"])!;
    assert.deepEqual(diff.runs.map((r) => r.id), ["a", "b", "c"]);
    assert.deepEqual(
      diff.params.map((p) => [p.key, p.values]),
      [
        ["extra", [null, null, "true"]],
        ["lr", ["0.001", "0.01", "0.01"]],
      ],
    );
    const all = compareRuns(t.db, ["a", "b", "c"], { all: true })!;
    assert.deepEqual(all.params.map((p) => p.key), ["dataset", "extra", "lr", "steps"]);
    // Runs b and c only differ in `extra`.
    assert.deepEqual(compareRuns(t.db, ["b", "c"])!.params.map((p) => p.key), ["extra"]);
  });

  it("final metrics: the step-less value when recorded, else the value at the largest step", () => {
    const cmp = compareRuns(t.db, ["a", "b", "c"])!;
    assert.deepEqual(
      cmp.metrics.map((m) => [m.stepId, m.key, m.values]),
      [
        [TRAIN, "acc", [0.7, 0.7, 0.7]],
        [TRAIN, "loss", [0.25, 0.5, 0.125]],
      ],
    );
    assert.deepEqual(
      cmp.steps.map((s) => [s.stepId, s.states]),
      [
        ["data", ["skipped", "skipped", "skipped"]],
        ["tokenize", ["skipped", "skipped", "skipped"]],
        [TRAIN, ["succeeded", "failed", "succeeded"]],
        ["eval", ["skipped", "skipped", "skipped"]],
      ],
    );
  });

  it("a cached step shows the final metrics and curves of the execution it was cached from", () => {
    const plan = makePlan({ lr: 0.001, steps: 100, dataset: "mnist" });
    recordRunStart(t.db, { runId: "d", workflowId: "wf-d", plan, specText: specTextOf(plan) });
    recordExecutionCached(t.db, { executionId: executionIdOf("d", TRAIN), cacheKey: "k-a", cacheComponents: {}, cachedFrom: executionIdOf("a", TRAIN), outputs: {}, inputs: {} });
    recordRunEnd(t.db, { runId: "d", status: "succeeded" });
    const train = getRun(t.db, "d")!.executions.find((e) => e.execution.stepId === TRAIN)!;
    assert.equal(train.execution.state, "cached");
    assert.deepEqual(train.metrics.map((m) => [m.executionId, m.key, m.value]), [
      [executionIdOf("d", TRAIN), "acc", 0.7],
      [executionIdOf("d", TRAIN), "loss", 0.25],
    ]);
    assert.deepEqual(compareRuns(t.db, ["a", "d"])!.metrics.map((m) => [m.key, m.values]), [["acc", [0.7, 0.7]], ["loss", [0.25, 0.25]]]);
    assert.deepEqual(metricSeries(t.db, "d").find((c) => c.key === "loss")!.points, [{ step: 100, value: 0.9 }, { step: 200, value: 0.5 }]);
  });

  it("is undefined when a run id is unknown, and unknownRunIds names it", () => {
    assert.equal(compareRuns(t.db, ["a", "nope"]), undefined);
    assert.deepEqual(unknownRunIds(t.db, ["a", "nope"]), ["nope"]);
  });
});
