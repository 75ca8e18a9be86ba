// What the engine asks before running a step: is there a cache hit, a checkpoint to resume from, and
// what did the last execution of this step look like.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { ArtifactRef } from "../../contract/artifacts.ts";
import {
  executionIdOf,
  findCachedOutputs,
  findCheckpoints,
  lastExecutionOfStep,
  recordCheckpoint,
  recordExecutionCached,
  recordExecutionEnd,
  recordExecutionStart,
  recordRunStart,
  type RecordExecutionEndInput,
} from "../../runs/index.ts";
import { makePlan, ref, specTextOf, tempDb, type TempDb } from "./fixtures.ts";

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

  it("lists checkpoints of every execution with the key, newest step first", () => {
    const failed = runData("r1", "failed", "x");
    const running = runData("r2", "running", "y");
    runData("r3", "running", "z", "unrelated");
    recordCheckpoint(t.db, { executionId: failed, artifact: ref("c100", "checkpoint"), step: 100 });
    recordCheckpoint(t.db, { executionId: failed, artifact: ref("c200", "checkpoint"), step: 200 });
    recordCheckpoint(t.db, { executionId: running, artifact: ref("c300", "checkpoint"), step: 300 });
    recordCheckpoint(t.db, { executionId: running, artifact: ref("c50", "checkpoint"), step: 50 });
    recordCheckpoint(t.db, { executionId: executionIdOf("r3", "data"), artifact: ref("c999", "checkpoint"), step: 999 });
    const found = findCheckpoints(t.db, KEY);
    assert.deepEqual(
      found.map((c) => [c.executionId, c.step, c.artifact.sha256]),
      [
        [running, 300, ref("c300").sha256],
        [failed, 200, ref("c200").sha256],
        [failed, 100, ref("c100").sha256],
        [running, 50, ref("c50").sha256],
      ],
    );
    assert.deepEqual(findCheckpoints(t.db, "no-such-key"), []);
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
