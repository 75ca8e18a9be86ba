// The MMaDA kinds chained as a pipeline would run them, on tiny data: train-vq -> tokenize-images,
// train-classifier, then train stage 1 and stage 2 (init from stage 1). Checks the artifacts each
// produces, their metrics, heartbeats and checkpoint pruning.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { KINDS } from "../../activities/registry.ts";
import { listCheckpoints } from "../../activities/kit/training-loop.ts";
import { loadModelCheckpoint } from "../../mmada/training/checkpoints.ts";
import { readTokens } from "../../mmada/data/tokens.ts";
import type { MetricPoint } from "../../contract/step-io.ts";
import { loadClassifier } from "../../model/classifier.ts";
import { disposeModel } from "../../model/transformer.ts";
import { disposeVq, loadVq } from "../../model/vq.ts";
import * as tf from "@tensorflow/tfjs-core";
import { makeContext, makeWorkspace, TINY_VQ, type Workspace } from "./helpers.ts";
import { buildUpstream, tinyStage, type Upstream } from "./upstream.ts";
import { kindRunner } from "../kind-runner.ts";

const runTrain = kindRunner("train");
const runTrainClassifier = kindRunner("train-classifier");

let ws: Workspace;
let up: Upstream;

const metric = (ms: MetricPoint[], key: string) => ms.find((m) => m.key === key && m.step === undefined)?.value;

before(async () => {
  ws = await makeWorkspace();
  up = await buildUpstream(ws);
});

after(async () => {
  await ws.cleanup();
});

describe("registry", () => {
  it("every registered kind has an implementation", async () => {
    for (const [name, entry] of Object.entries(KINDS)) {
      assert.equal(entry.definition.name, name);
      assert.equal(typeof (await entry.load()), "function", `no run function for '${name}'`);
    }
  });
});

describe("train-vq and tokenize-images", () => {
  it("train-vq stores a loadable tokenizer and reports recon MSE and codebook use on val", async () => {
    const { vqResult, vq } = up;
    assert.equal(vq.kind, "vq");
    assert.deepEqual(vq.meta && [vq.meta.codebookSize, vq.meta.gridH, vq.meta.tokensPerImage], [16, 2, 4]);
    const curve = vqResult.metrics.filter((m) => m.key === "recon");
    assert.deepEqual(curve.map((m) => m.step), [5, 10, 15, 20, 25, 30]);
    assert.ok(curve.at(-1)!.value < curve[0]!.value, `recon ${curve[0]!.value} -> ${curve.at(-1)!.value}`);
    const mse = metric(vqResult.metrics, "val_recon_mse")!;
    assert.ok(mse > 0 && mse < 0.2, `val MSE ${mse}`);
    const usage = metric(vqResult.metrics, "val_codebook_usage")!;
    assert.ok(usage > 0.2 && usage <= 1, `usage ${usage}`);
    assert.ok(metric(vqResult.metrics, "val_codebook_perplexity")! > 2);
    const loaded = await loadVq(join(ws.root, vq.uri));
    assert.equal(loaded.config.codebookSize, TINY_VQ.codebookSize);
    disposeVq(loaded);
  });

  it("tokenize-images writes every split's codes with the VQ and dataset hashes", async () => {
    const tokens = await readTokens(join(ws.root, up.tokens.uri));
    assert.equal(up.tokens.kind, "tokens");
    assert.deepEqual(tokens.meta.counts, { train: 40, val: 12, test: 12 });
    assert.equal(tokens.meta.tokensPerImage, 4);
    assert.equal(tokens.meta.vqSha256, up.vq.sha256);
    assert.equal(tokens.meta.datasetSha256, up.dataset.sha256);
    assert.equal(tokens.codes.train.length, 40 * 4);
    assert.ok(tokens.codes.train.every((c) => c >= 0 && c < 16));
    // the test digits are bars at a per-class height: a top bar (0) and a bottom bar (9) code differently
    const code = (i: number) => Array.from(tokens.codes.train.subarray(i * 4, i * 4 + 4)).join(",");
    assert.notEqual(code(0), code(9));
    assert.ok(metric(up.tokensResult.metrics, "usage.train")! > 0);
  });
});

describe("train-classifier", () => {
  it("learns the digits and stores a loadable, frozen classifier", async () => {
    const ctx = await makeContext(ws, "clf", "train-classifier");
    const r = await runTrainClassifier(ctx, { dataset: up.dataset, steps: 60, batch: 16, hidden: [32], logEvery: 20 });
    assert.deepEqual(r.metrics.filter((m) => m.key === "loss").map((m) => m.step), [20, 40, 60]);
    assert.ok(metric(r.metrics, "accuracy.val")! >= 0.5, `val accuracy ${metric(r.metrics, "accuracy.val")}`);
    assert.ok(metric(r.metrics, "accuracy.test")! >= 0.5);
    const clf = await loadClassifier(ctx.pathOf(r.artifacts.classifier!));
    assert.deepEqual(clf.config.hidden, [32]);
    assert.ok(Object.values(clf.params).every((v) => !v.trainable));
    tf.dispose(Object.values(clf.params));
  });
});

describe("train: stage 1 then stage 2", () => {
  it("stage 1 trains every task, heartbeats, prunes to the last K plus the best, stores the final model", async () => {
    const ctx = await makeContext(ws, "pretrain", "train");
    const started = Date.now();
    const r = await runTrain(ctx, tinyStage(up, { steps: 8, keep: 1 }));
    // metrics: the loss curve with steps, per loss part, and final val loss per mix task
    const loss = r.metrics.filter((m) => m.key === "loss");
    assert.deepEqual(loss.map((m) => m.step), [1, 2, 3, 4, 5, 6, 7, 8]);
    for (const part of ["t2i", "lm", "mmu", "chat"]) assert.equal(r.metrics.filter((m) => m.key === `loss.${part}`).length, 8, part);
    for (const task of ["t2i", "lm", "mmu", "cot", "mmcot"]) assert.ok(metric(r.metrics, `val_loss.${task}`)! > 0, task);
    assert.ok(metric(r.metrics, "val_loss")! > 0);
    // heartbeats: every step, with percent, step/totalSteps and a loss message
    const beats = ctx.progressCalls.filter((p) => p.percent !== undefined && p.step !== undefined);
    assert.ok(beats.length >= 8);
    assert.ok(beats.every((p) => p.totalSteps === 8 && /loss \d/.test(p.message ?? "") || p.percent === 0 || p.percent === 100));
    const times = [started, ...ctx.progressCalls.map((p) => p.at)];
    assert.ok(times.every((t, i) => i === 0 || t - times[i - 1]! < 2000), "a gap of 2 s without progress");
    // checkpoints: every 2 steps announced; on disk the newest and the best remain
    assert.deepEqual(ctx.checkpoints.map((c) => c.step), [2, 4, 6, 8]);
    const left = (await listCheckpoints(ctx.checkpointDir)).map((f) => f.step);
    assert.ok(left.includes(8) && left.length <= 2, `left ${left}`);
    // the output: a model checkpoint with its tokenizer, stage and VQ
    const out = r.artifacts.checkpoint!;
    assert.equal(out.kind, "checkpoint");
    assert.equal(out.meta?.stage, "pretrain");
    const loaded = await loadModelCheckpoint(ctx.pathOf(out));
    assert.equal(loaded.step, 8);
    assert.equal(loaded.extra.stage, "pretrain");
    assert.equal(loaded.extra.vqSha256, up.vq.sha256);
    assert.deepEqual(loaded.extra.cursor, { t2i: 8, lm: 8, mmu: 8, cot: 8, mmcot: 8 });
    assert.equal(loaded.model.config.dModel, 32);
    assert.equal(loaded.tokenizer.vocabSize, loaded.model.config.textVocabSize);
    assert.ok(loaded.optimizerState && loaded.optimizerState.meta.step === 8);
    disposeModel(loaded.model);
    tf.dispose(Object.values(loaded.optimizerState.slots));
  });

  it("stage 2 starts from stage 1's weights with a fresh optimizer, a new mix and coefficients", async () => {
    const s1ctx = await makeContext(ws, "s1", "train");
    const s1 = await runTrain(s1ctx, tinyStage(up, { steps: 4 }));
    const ctx = await makeContext(ws, "s2", "train");
    const w = tinyStage(up, {
      init: s1.artifacts.checkpoint,
      stage: "cot-sft",
      mix: { cot: 2, mmcot: 2, t2i: 1 },
      coefficients: { t2i: 0.05, lm: 0.6, mmu: 0.4 },
      steps: 2,
    });
    delete w.model;
    const r = await runTrain(ctx, w);
    assert.ok(ctx.logs.some((l) => l.includes("initialised from pretrain checkpoint (step 4); fresh optimizer")));
    assert.deepEqual(Object.keys(Object.fromEntries(r.metrics.filter((m) => m.key.startsWith("val_loss.")).map((m) => [m.key, 1]))).sort(), ["val_loss.cot", "val_loss.mmcot", "val_loss.t2i"]);
    assert.ok(!r.metrics.some((m) => m.key === "loss.lm"), "lm is not in the stage-2 mix");
    const loaded = await loadModelCheckpoint(ctx.pathOf(r.artifacts.checkpoint!));
    assert.equal(loaded.extra.stage, "cot-sft");
    assert.equal(loaded.optimizerState!.meta.step, 2, "the optimizer started fresh");
    assert.equal(loaded.model.config.dModel, 32, "the config came from init");
    const s1model = await loadModelCheckpoint(s1ctx.pathOf(s1.artifacts.checkpoint!));
    assert.notDeepEqual(Array.from(loaded.model.params.embed!.dataSync()), Array.from(s1model.model.params.embed!.dataSync()));
    for (const l of [loaded, s1model]) {
      disposeModel(l.model);
      tf.dispose(Object.values(l.optimizerState!.slots));
    }
    // the stage-1 file itself is untouched input
    assert.ok((await readFile(s1ctx.pathOf(s1.artifacts.checkpoint!))).length > 0);
  });
});
