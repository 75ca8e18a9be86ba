// What the engine asks before running a step: is there a cache hit, and what did the last execution
// of this step look like; and the checkpoints a step reported, as the run's detail shows them.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { ArtifactRef } from "../../contract/step-io.ts";
import {
  executionIdOf,
  findCachedOutputs,
  getRun,
  lastExecutionOfStep,
  recordExecutionCached,
  recordExecutionEnd,
  type RecordExecutionEndInput,
  recordExecutionStart,
  recordRunStart,
  recordStepReport,
} from "../../runs/index.ts";
import { makePlan, ref, specTextOf, stepReport, tempDb, type TempDb } from "./fixtures.ts";

const KEY = "cache-key-data";
const plan = makePlan();

describe("cache lookups", () => {
  let t: TempDb;
  beforeEach(() => {
    t = tempDb();
  });
  afterEach(() => t.cleanup());

  /** Runs step `data` of a new run `runId` with KEY and ends it in `state` with output `content`. */
  function runData(runId: string, state: RecordExecutionEndInput["state"] | "running", content: string, cacheKey = KEY): string {
    recordRunStart(t.db, { runId, workflowId: `wf-${runId}`, plan, specText: specTextOf(plan) });
    const executionId = executionIdOf(runId, "data");
    recordExecutionStart(t.db, { executionId, attempt: 1, worker: "w", cacheKey, cacheComponents: { seed: runId }, inputs: {} });
    if (state !== "running") recordExecutionEnd(t.db, { executionId, state, outputs: { out: ref(content, "dataset", { n: 3 }) } });
    return executionId;
  }

  it("finds the newest succeeded execution and returns its outputs exactly as recorded", () => {
    assert.equal(findCachedOutputs(t.db, KEY), undefined);
    runData("r1", "succeeded", "v1");
    const newest = runData("r2", "succeeded", "v2");
    runData("r3", "failed", "v3");
    runData("r4", "running", "v4");
    runData("r5", "succeeded", "other", "another-key");
    const hit = findCachedOutputs(t.db, KEY);
    const expected: ArtifactRef = ref("v2", "dataset", { n: 3 });
    assert.deepEqual(hit, { executionId: newest, outputs: { out: expected } });
  });

  it("never returns a cache hit (state cached) as a source", () => {
    const source = runData("r1", "succeeded", "v1");
    recordRunStart(t.db, { runId: "r2", workflowId: "wf", plan, specText: specTextOf(plan) });
    recordExecutionCached(t.db, {
      executionId: executionIdOf("r2", "data"),
      cacheKey: KEY,
      cacheComponents: {},
      cachedFrom: source,
      outputs: { out: ref("v1", "dataset", { n: 3 }) },
      inputs: {},
    });
    assert.equal(findCachedOutputs(t.db, KEY)?.executionId, source);
  });

  it("an execution's detail lists every checkpoint its reports named, once each, newest step first", () => {
    const failed = runData("r1", "failed", "x");
    recordStepReport(t.db, failed, stepReport({ checkpoints: [{ step: 100, artifact: ref("c100", "checkpoint") }] }));
    recordStepReport(t.db, failed, stepReport({ checkpoints: [{ step: 100, artifact: ref("c100", "checkpoint") }, { step: 200, artifact: ref("c200", "checkpoint") }] }));
    recordStepReport(t.db, failed, stepReport({ checkpoints: [{ step: 50, artifact: ref("c50", "checkpoint") }] }));
    const detail = getRun(t.db, "r1")!.executions.find((e) => e.execution.id === failed)!;
    assert.deepEqual(
      detail.checkpoints.map((c) => [c.step, c.artifact.sha256]),
      [
        [200, ref("c200").sha256],
        [100, ref("c100").sha256],
        [50, ref("c50").sha256],
      ],
    );
  });

  it("lastExecutionOfStep: newest execution of the step in that pipeline, with its cache components", () => {
    runData("r1", "succeeded", "v1", "k1");
    runData("r2", "failed", "v2", "k2");
    // A pending execution has no cache key yet: not a candidate.
    recordRunStart(t.db, { runId: "r3", workflowId: "wf", plan, specText: specTextOf(plan) });
    const other = makePlan(undefined, "other-pipeline");
    recordRunStart(t.db, { runId: "o1", workflowId: "wf", plan: other, specText: specTextOf(other) });
    recordExecutionStart(t.db, { executionId: executionIdOf("o1", "data"), attempt: 1, worker: "w", cacheKey: "ko", cacheComponents: {}, inputs: {} });

    assert.deepEqual(lastExecutionOfStep(t.db, "tiny", "data"), {
      runId: "r2",
      executionId: executionIdOf("r2", "data"),
      cacheKey: "k2",
      cacheComponents: { seed: "r2" },
      state: "failed",
    });
    assert.equal(lastExecutionOfStep(t.db, "tiny", "tokenize"), undefined);
    assert.equal(lastExecutionOfStep(t.db, "nope", "data"), undefined);
  });
});
