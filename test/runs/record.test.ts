// Every record* call is what a retried Temporal activity does twice: the second call must leave the
// database exactly as the first did.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  closeRunDb,
  executionIdOf,
  flattenParams,
  getRun,
  openRunDb,
  recordExecutionCached,
  recordExecutionEnd,
  recordExecutionStart,
  recordMetrics,
  recordRunEnd,
  recordRunStart,
  recordStepReport,
} from "../../runs/index.ts";
import { count, makePlan, ref, snapshot, specTextOf, stepReport, tempDb, type TempDb } from "./fixtures.ts";

const RUN = "run-1";
const DATA = executionIdOf(RUN, "data");
const TOKENIZE = executionIdOf(RUN, "tokenize");
const plan = makePlan();

/** Calls `write` twice and checks that the second call changed nothing. */
function twice(t: TempDb, write: () => void): void {
  write();
  const first = snapshot(t.db);
  write();
  assert.deepEqual(snapshot(t.db), first);
}

function start(t: TempDb): void {
  recordRunStart(t.db, { runId: RUN, workflowId: "wf-1", plan, specText: specTextOf(plan), gitCommit: "abc123" });
}

describe("record* idempotency", () => {
  let t: TempDb;
  beforeEach(() => {
    t = tempDb();
  });
  afterEach(() => t.cleanup());

  it("recordRunStart stores the pipeline, flattened params and one pending execution per step", () => {
    twice(t, () => start(t));
    assert.equal(count(t.db, "pipelines"), 1);
    assert.equal(count(t.db, "runs"), 1);
    assert.equal(count(t.db, "run_params"), 3);
    assert.equal(count(t.db, "executions", "state = 'pending'"), plan.steps.length);
    const run = getRun(t.db, RUN)!;
    assert.equal(run.run.gitCommit, "abc123");
    assert.equal(run.pipeline.specText, specTextOf(plan));
    assert.deepEqual(
      run.executions.map((e) => [e.execution.stepId, e.execution.specStepId, e.execution.kind]),
      [
        ["data", "data", "data/mnist"],
        ["tokenize", "tokenize", "tokenize/vq"],
        ["train[lr=0.001]", "train", "train/stage"],
        ["eval", "eval", "eval/accuracy"],
      ],
    );
    assert.equal(run.executions[2]!.execution.matrixJson, JSON.stringify({ lr: 0.001 }));
  });

  it("a second run of the same spec shares its pipeline row; a reused run id with another plan is refused", () => {
    start(t);
    recordRunStart(t.db, { runId: "run-2", workflowId: "wf-2", plan, specText: specTextOf(plan) });
    assert.equal(count(t.db, "pipelines"), 1);
    const other = makePlan({ lr: 0.1, steps: 100, dataset: "mnist" });
    assert.throws(
      () => recordRunStart(t.db, { runId: RUN, workflowId: "wf-1", plan: other, specText: specTextOf(other) }),
      /run "run-1" is already recorded with plan .* new run id/,
    );
  });

  it("recordExecutionStart, recordStepReport, recordMetrics, recordExecutionEnd", () => {
    start(t);
    const input = ref("raw mnist", "dataset", { images: 10 });
    twice(t, () =>
      recordExecutionStart(t.db, {
        executionId: DATA,
        attempt: 1,
        worker: "w1",
        cacheKey: "k-data",
        cacheComponents: { kind: "data/mnist@1" },
        inputs: { source: input },
      }),
    );
    assert.equal(count(t.db, "executions", "state = 'running'"), 1);
    assert.equal(count(t.db, "events", "direction = 'input'"), 1);

    twice(t, () => recordStepReport(t.db, DATA, stepReport({ progress: { percent: 50 }, checkpoints: [{ step: 10, artifact: ref("ckpt 10", "checkpoint") }] })));
    twice(t, () => recordMetrics(t.db, DATA, [{ key: "loss", value: 2.5, step: 10 }]));
    twice(t, () =>
      recordExecutionEnd(t.db, {
        executionId: DATA,
        state: "succeeded",
        outputs: { out: ref("tokens") },
        metrics: [{ key: "loss", value: 1.5 }, { key: "loss", value: 2, step: 20 }],
      }),
    );
    assert.equal(count(t.db, "artifacts"), 3);
    assert.equal(count(t.db, "events"), 3);
    assert.equal(count(t.db, "metrics"), 3);
    const data = getRun(t.db, RUN)!.executions[0]!;
    assert.equal(data.execution.state, "succeeded");
    assert.equal(data.execution.progressJson, JSON.stringify({ percent: 50 }));
    assert.deepEqual(data.inputs.source!.meta, { images: 10 });
    assert.equal(data.outputs.out!.sha256, ref("tokens").sha256);
    assert.deepEqual(data.checkpoints.map((c) => c.step), [10]);
  });

  it("recordExecutionCached points its outputs at the source's artifacts", () => {
    start(t);
    recordRunStart(t.db, { runId: "run-2", workflowId: "wf-2", plan, specText: specTextOf(plan) });
    const out = ref("tokens");
    recordExecutionStart(t.db, { executionId: DATA, attempt: 1, worker: "w", cacheKey: "k", cacheComponents: {}, inputs: {} });
    recordExecutionEnd(t.db, { executionId: DATA, state: "succeeded", outputs: { out } });
    const cached = executionIdOf("run-2", "data");
    twice(t, () =>
      recordExecutionCached(t.db, { executionId: cached, cacheKey: "k", cacheComponents: { a: 1 }, cachedFrom: DATA, outputs: { out }, inputs: {} }),
    );
    assert.equal(count(t.db, "artifacts"), 1);
    assert.equal(count(t.db, "events", "direction = 'output'"), 2);
    const row = getRun(t.db, "run-2")!.executions[0]!.execution;
    assert.equal(row.state, "cached");
    assert.equal(row.cachedFrom, DATA);
    const artifact = t.db.sqlite.prepare("SELECT producer_execution_id AS p FROM artifacts").get() as { p: string };
    assert.equal(artifact.p, DATA, "the producer stays the execution that really ran");
  });

  it("recordRunEnd keeps its first finish time and closes steps that never finished", () => {
    start(t);
    recordExecutionStart(t.db, { executionId: DATA, attempt: 1, worker: "w", cacheKey: "k", cacheComponents: {}, inputs: {} });
    twice(t, () => recordRunEnd(t.db, { runId: RUN, status: "failed", error: "worker lost" }));
    const run = getRun(t.db, RUN)!;
    assert.equal(run.run.status, "failed");
    assert.equal(run.run.error, "worker lost");
    assert.deepEqual(
      run.executions.map((e) => e.execution.state),
      ["cancelled", "skipped", "skipped", "skipped"],
    );
  });

  it("a new attempt restarts the execution and replaces (not appends) its events", () => {
    start(t);
    const begin = (attempt: number, input: string) =>
      recordExecutionStart(t.db, { executionId: TOKENIZE, attempt, worker: "w", cacheKey: "k", cacheComponents: {}, inputs: { data: ref(input) } });
    begin(1, "a");
    recordExecutionEnd(t.db, { executionId: TOKENIZE, state: "failed", error: "OOM" });
    begin(2, "b");
    const e = getRun(t.db, RUN)!.executions[1]!;
    assert.equal(e.execution.attempt, 2);
    assert.equal(e.execution.error, null);
    assert.equal(e.execution.finishedAt, null);
    assert.deepEqual(Object.keys(e.inputs), ["data"]);
    assert.equal(e.inputs.data!.sha256, ref("b").sha256);
  });

  it("a step report names the real attempt and worker, but never reopens or renames a finished step", () => {
    start(t);
    recordExecutionStart(t.db, { executionId: DATA, attempt: 1, worker: "(queued)", cacheKey: "k", cacheComponents: {}, inputs: {} });
    twice(t, () => recordStepReport(t.db, DATA, stepReport({ attempt: 2, worker: "host:42" })));
    const row = getRun(t.db, RUN)!.executions[0]!.execution;
    assert.deepEqual([row.state, row.attempt, row.worker], ["running", 2, "host:42"]);
    recordExecutionEnd(t.db, { executionId: DATA, state: "failed", error: "boom" });
    const late = ref("late ckpt", "checkpoint");
    recordStepReport(t.db, DATA, stepReport({ attempt: 3, worker: "zombie", checkpoints: [{ step: 5, artifact: late }] }));
    const after = getRun(t.db, RUN)!.executions[0]!;
    assert.deepEqual([after.execution.state, after.execution.attempt, after.execution.worker], ["failed", 2, "host:42"]);
    assert.deepEqual(after.checkpoints.map((c) => c.step), [5], "a checkpoint it reports is still recorded");
    assert.throws(() => recordStepReport(t.db, "nope/x", stepReport({})), /executionId "nope\/x" is not in the run database/);
  });

  it("metrics: NaN survives as NaN, a resumed attempt overwrites a step's value", () => {
    start(t);
    recordMetrics(t.db, DATA, [{ key: "loss", value: Number.NaN, step: 1 }]);
    recordMetrics(t.db, DATA, [{ key: "loss", value: 0.5, step: 2 }, { key: "acc", value: Number.NaN }]);
    recordMetrics(t.db, DATA, [{ key: "loss", value: 0.25, step: 2 }]);
    assert.equal(count(t.db, "metrics"), 3);
    const metrics = getRun(t.db, RUN)!.executions[0]!.metrics;
    assert.deepEqual(
      metrics.map((m) => [m.key, m.value, m.step]),
      [
        ["acc", Number.NaN, undefined],
        ["loss", 0.25, 2],
      ],
    );
  });

  it("says what is wrong when called with unknown ids or bad values", () => {
    start(t);
    assert.throws(() => recordRunEnd(t.db, { runId: "nope", status: "succeeded" }), /no run "nope"/);
    assert.throws(() => recordMetrics(t.db, DATA, [{ key: "loss", value: 1, step: -1 }]), /steps are integers >= 0/);
    assert.throws(
      () => recordExecutionCached(t.db, { executionId: DATA, cacheKey: "k", cacheComponents: {}, cachedFrom: "r/x", outputs: {}, inputs: {} }),
      /cachedFrom "r\/x"/,
    );
    assert.throws(
      () => recordExecutionEnd(t.db, { executionId: DATA, state: "cached" as "succeeded" }),
      /recordExecutionCached/,
    );
    const a = ref("x");
    recordStepReport(t.db, DATA, stepReport({ checkpoints: [{ step: 1, artifact: a }] }));
    assert.throws(
      () => recordStepReport(t.db, DATA, stepReport({ checkpoints: [{ step: 2, artifact: { ...a, sha256: "f".repeat(64) } }] })),
      /content-addressed/,
    );
    assert.equal(count(t.db, "events"), 1, "the failed call rolled back entirely");
  });
});

describe("openRunDb", () => {
  it("creates parent folders, uses WAL and foreign keys, and reopens an existing file", () => {
    const t = tempDb();
    try {
      start(t);
      assert.equal(t.db.sqlite.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(t.db.sqlite.pragma("foreign_keys", { simple: true }), 1);
      closeRunDb(t.db);
      const again = openRunDb(t.file);
      assert.equal(getRun(again, RUN)?.run.id, RUN);
      closeRunDb(again);
    } finally {
      t.cleanup();
    }
  });
});

describe("flattenParams", () => {
  it("flattens nested objects to dotted keys and keeps types", () => {
    assert.deepEqual(flattenParams({ train: { lr: 0.001, warm: { steps: 5 } }, name: "a", on: true, none: null, list: [1, 2] }), [
      { key: "train.lr", value: "0.001", type: "number" },
      { key: "train.warm.steps", value: "5", type: "number" },
      { key: "name", value: "a", type: "string" },
      { key: "on", value: "true", type: "boolean" },
      { key: "none", value: "null", type: "null" },
      { key: "list", value: "[1,2]", type: "json" },
    ]);
  });
});
