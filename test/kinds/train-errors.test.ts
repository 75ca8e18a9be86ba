// What a user can get wrong with a train step, and divergence: each is a non-retryable error that
// says what, where and what to do next.
import assert from "node:assert/strict";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { checkpointPath, listCheckpoints } from "../../activities/kit/training-loop.ts";
import { loadModelCheckpoint } from "../../mmada/training/checkpoints.ts";
import { BadInputError, StepFailure } from "../../contract/failures.ts";
import { disposeModel } from "../../model/transformer.ts";
import { makeContext, makeWorkspace, tinyDataset, type Workspace } from "./helpers.ts";
import { buildUpstream, tinyStage, type Upstream } from "./upstream.ts";
import { kindRunner } from "../kind-runner.ts";

const runTrain = kindRunner("train");

let ws: Workspace;
let up: Upstream;

before(async () => {
  ws = await makeWorkspace();
  up = await buildUpstream(ws);
});

after(async () => {
  await ws.cleanup();
});

describe("train: divergence", () => {
  it("an absurd learning rate stops with NonFiniteLoss; no checkpoint after it, the last good one loads", async () => {
    const ctx = await makeContext(ws, "diverge", "train");
    const err = await runTrain(ctx, tinyStage(up, { lr: { peak: 1e6, warmup: 0 }, checkpointEvery: 1 })).then(
      () => assert.fail("training with lr=1e6 should diverge"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StepFailure, String(err));
    assert.equal(err.type, "NonFiniteLoss");
    const m = /^diverge: (loss|gradient norm) is (NaN|-?Infinity).* at step (\d+) \(lr=[\d.e+]+\); the last good checkpoint step-(\d+)\.ckpt is kept; lower the learning rate/.exec(err.message);
    assert.ok(m, err.message);
    const failedAt = Number(m[3]);
    const kept = Number(m[4]);
    assert.equal(kept, failedAt - 1);
    assert.deepEqual(ctx.checkpoints.map((c) => c.step), Array.from({ length: kept }, (_, i) => i + 1), "a checkpoint per completed step, none after");
    const files = await listCheckpoints(ctx.checkpointDir);
    assert.equal(files[0]!.step, kept);
    const loaded = await loadModelCheckpoint(files[0]!.path);
    assert.equal(loaded.step, kept);
    assert.ok(Object.values(loaded.model.params).every((v) => v.dataSync().every(Number.isFinite)));
    disposeModel(loaded.model);
  });
});

describe("train: bad inputs", () => {
  it("a truncated init checkpoint is a BadInputError naming the file", async () => {
    const stage1 = await makeContext(ws, "stage1", "train");
    const out = await runTrain(stage1, tinyStage(up, { steps: 2 }));
    const bytes = await readFile(stage1.pathOf(out.artifacts.checkpoint!));
    const broken = join(ws.root, "broken-init.ckpt");
    await writeFile(broken, bytes.subarray(0, bytes.length - 100));
    const ctx = await makeContext(ws, "stage2", "train");
    const w = tinyStage(up, { init: broken, stage: "cot-sft" });
    delete w.model; // init brings its own config
    await assert.rejects(runTrain(ctx, w), (e: unknown) => {
      assert.ok(e instanceof BadInputError, String(e));
      assert.match(e.message, /with\.init \(broken-init\.ckpt\).*TRUNCATED/);
      return true;
    });
  });

  it("model overrides together with init are refused", async () => {
    const stage1 = await makeContext(ws, "stage1-b", "train");
    const out = await runTrain(stage1, tinyStage(up, { steps: 2 }));
    const ctx = await makeContext(ws, "stage2-b", "train");
    await assert.rejects(runTrain(ctx, tinyStage(up, { init: out.artifacts.checkpoint })), /only applies to a fresh model, but init is given/);
  });

  it("every problem of the stage block is reported at once", async () => {
    const ctx = await makeContext(ws, "bad-with", "train");
    await assert.rejects(runTrain(ctx, tinyStage(up, { batch: 3, lr: { peak: 1e-3, warmup: 50, min: 1e-2 } })), (e: unknown) => {
      assert.ok(e instanceof BadInputError);
      assert.match(e.message, /batch 3 is smaller than the 5 tasks/);
      assert.match(e.message, /lr\.warmup \(50\) exceeds steps \(6\)/);
      assert.match(e.message, /lr\.min \(0\.01\) is above lr\.peak/);
      return true;
    });
  });

  it("tokens of another dataset are refused", async () => {
    const other = await tinyDataset(ws, 2, { images: { train: 30, val: 12, test: 12 }, records: { train: 8, val: 4, test: 4 } });
    const ctx = await makeContext(ws, "other-data", "train");
    await assert.rejects(runTrain(ctx, tinyStage(up, { dataset: other })), /with\.tokens does not belong to with\.dataset \(train: 40 coded images, the dataset has 30/);
  });

  it("a task in the mix whose records never fit the model names the record and the fix", async () => {
    const ctx = await makeContext(ws, "too-long", "train");
    await assert.rejects(runTrain(ctx, tinyStage(up, { model: { textLength: 12, dModel: 32, nHeads: 2, nLayers: 1, mlpHidden: 64 } })), (e: unknown) => {
      assert.ok(e instanceof BadInputError);
      assert.match(e.message, /no usable \w+ training records .*raise model\.textLength/);
      return true;
    });
  });

  it("a checkpoint of another stage in the folder is not resumed", async () => {
    const stage1 = await makeContext(ws, "stage-a", "train");
    await runTrain(stage1, tinyStage(up, { steps: 2 }));
    const ctx = await makeContext(ws, "stage-b", "train");
    await copyFile(checkpointPath(stage1.checkpointDir, 2), checkpointPath(ctx.checkpointDir, 2));
    await runTrain(ctx, tinyStage(up, { steps: 2, stage: "other" }));
    assert.ok(ctx.logs.some((l) => l.includes("skipping") && l.includes("written by stage 'pretrain'")));
    assert.deepEqual(ctx.checkpoints.map((c) => c.step), [2]);
  });
});
