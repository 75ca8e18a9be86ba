// train resumes from its checkpoint folder and reproduces the uninterrupted run exactly: from an
// older checkpoint, past a damaged newest one, and after a cancellation.
import assert from "node:assert/strict";
import { copyFile, readFile, truncate, writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { checkpointPath, listCheckpoints } from "../../activities/kit/training-loop.ts";
import { loadModelCheckpoint } from "../../mmada/training/checkpoints.ts";
import type { StepResult } from "../../contract/step-io.ts";
import { disposeModel } from "../../model/transformer.ts";
import { makeContext, makeWorkspace, type TestContext, type Workspace } from "./helpers.ts";
import { buildUpstream, tinyStage, type Upstream } from "./upstream.ts";
import { kindRunner } from "../kind-runner.ts";

const runTrain = kindRunner("train");

let ws: Workspace;
let up: Upstream;
let baseline: { result: StepResult; ctx: TestContext; weights: Record<string, number[]> };

async function finalWeights(ctx: TestContext, result: StepResult): Promise<Record<string, number[]>> {
  const loaded = await loadModelCheckpoint(ctx.pathOf(result.artifacts.checkpoint!));
  const out = Object.fromEntries(Object.entries(loaded.model.params).map(([k, v]) => [k, Array.from(v.dataSync())]));
  disposeModel(loaded.model);
  return out;
}

/** A fresh context for a run whose checkpoint folder starts with `seed` (files copied from the baseline). */
async function contextWith(key: string, seedSteps: number[]): Promise<TestContext> {
  const ctx = await makeContext(ws, key, "train");
  for (const s of seedSteps) await copyFile(checkpointPath(baseline.ctx.checkpointDir, s), checkpointPath(ctx.checkpointDir, s));
  return ctx;
}

function assertSameRun(result: StepResult, weights: Record<string, number[]>): void {
  assert.equal(result.artifacts.checkpoint!.sha256, baseline.result.artifacts.checkpoint!.sha256, "final checkpoint bytes differ");
  assert.deepEqual(weights, baseline.weights);
  // every training metric is identical; only where this attempt started differs
  const training = (r: StepResult) => r.metrics.filter((m) => m.key !== "resumed_from_step");
  assert.deepEqual(training(result), training(baseline.result));
}

before(async () => {
  ws = await makeWorkspace();
  up = await buildUpstream(ws);
  const ctx = await makeContext(ws, "baseline", "train");
  const result = await runTrain(ctx, tinyStage(up));
  baseline = { result, ctx, weights: await finalWeights(ctx, result) };
});

after(async () => {
  await ws.cleanup();
});

describe("train resume", () => {
  it("the uninterrupted run checkpoints every 2 steps and reports a full loss curve", () => {
    assert.deepEqual(baseline.ctx.checkpoints.map((c) => c.step), [2, 4, 6]);
    const losses = baseline.result.metrics.filter((m) => m.key === "loss");
    assert.deepEqual(losses.map((m) => m.step), [1, 2, 3, 4, 5, 6]);
    assert.ok(losses.every((m) => Number.isFinite(m.value)));
  });

  it("continues from an older checkpoint and ends with exactly the same model, loss and metrics", async () => {
    const ctx = await contextWith("from-2", [2]);
    const result = await runTrain(ctx, tinyStage(up));
    assert.deepEqual(ctx.checkpoints.map((c) => c.step), [4, 6], "steps 1-2 must not run again");
    assert.ok(ctx.logs.some((l) => l.includes("resuming from") && l.includes("step-2.ckpt")));
    assertSameRun(result, await finalWeights(ctx, result));
  });

  it("skips a damaged newest checkpoint (logged with its path) and falls back to the previous one", async () => {
    const ctx = await contextWith("damaged", [2, 4]);
    const damaged = checkpointPath(ctx.checkpointDir, 4);
    const size = (await readFile(damaged)).length;
    await truncate(damaged, Math.floor(size / 2));
    const result = await runTrain(ctx, tinyStage(up));
    assert.ok(ctx.logs.some((l) => l.includes("skipping damaged checkpoint") && l.includes(damaged)), ctx.logs.join("\n"));
    assert.deepEqual(ctx.checkpoints.map((c) => c.step), [4, 6]);
    assertSameRun(result, await finalWeights(ctx, result));
  });

  it("a checkpoint that is not a checkpoint at all is skipped too", async () => {
    const ctx = await contextWith("garbage", [2]);
    await writeFile(checkpointPath(ctx.checkpointDir, 4), "not a checkpoint");
    const result = await runTrain(ctx, tinyStage(up));
    assertSameRun(result, await finalWeights(ctx, result));
  });

  it("a cancelled run keeps a checkpoint at the step it stopped and the next attempt finishes identically", async () => {
    const first = await makeContext(ws, "cancelled", "train");
    const report = first.progress;
    first.progress = (p) => {
      report(p);
      if (p.step === 3 && p.percent !== undefined) first.abort.abort();
    };
    await assert.rejects(runTrain(first, tinyStage(up)), /cancelled after step 3; checkpoint step-3\.ckpt is kept/);
    assert.deepEqual(first.checkpoints.map((c) => c.step), [2, 3]);
    const retry = await makeContext(ws, "cancelled", "train"); // same cache key: same folder
    const result = await runTrain(retry, tinyStage(up));
    assert.deepEqual(retry.checkpoints.map((c) => c.step), [4, 6]);
    assertSameRun(result, await finalWeights(retry, result));
  });

  it("a search branch trains in parts (to each rung, then to its budget) and ends with exactly the same model", async () => {
    const ctx = await makeContext(ws, "parts", "train");
    const rungs = [2, 4];
    const valAt = (r: StepResult, step: number) => r.metrics.find((m) => m.key === "val_loss" && m.step === step)?.value;
    for (const until of rungs) {
      ctx.input = { ...ctx.input, budget: { until, rungs } };
      const part = await runTrain(ctx, tinyStage(up, { keep: 1 }));
      assert.deepEqual(part.artifacts, {}, "a part stopped at a rung has no outputs yet");
      assert.equal(valAt(part, until), valAt(baseline.result, until), `val_loss at the rung ${until}`);
    }
    assert.deepEqual(ctx.checkpoints.map((c) => c.step), [2, 4]);
    ctx.input = { ...ctx.input, budget: { until: 6, rungs } };
    const result = await runTrain(ctx, tinyStage(up, { keep: 1 }));
    assert.deepEqual((await listCheckpoints(ctx.checkpointDir)).map((c) => c.step), [6, 4, 2], "rung checkpoints outlive keep: 1");
    assertSameRun(result, await finalWeights(ctx, result));
  });

  it("a part resumes at or before its rung, even when later checkpoints exist, and scores an off-cadence rung", async () => {
    const ctx = await contextWith("rung-3", [2, 6]);
    ctx.input = { ...ctx.input, budget: { until: 3, rungs: [3] } };
    const part = await runTrain(ctx, tinyStage(up));
    assert.ok(ctx.logs.some((l) => l.includes("resuming from") && l.includes("step-2.ckpt")), ctx.logs.join("\n"));
    assert.deepEqual(ctx.checkpoints.map((c) => c.step), [3]);
    assert.ok(Number.isFinite(part.metrics.find((m) => m.key === "val_loss" && m.step === 3)?.value), "val_loss at step 3");
  });

  it("a run whose final checkpoint exists already just stores it", async () => {
    const ctx = await contextWith("finished", [6]);
    const result = await runTrain(ctx, tinyStage(up));
    assert.deepEqual(ctx.checkpoints, []);
    assertSameRun(result, await finalWeights(ctx, result));
  });
});
