// VQ-VAE: patch layout, gradients through the quantiser, and a short real-MNIST training run.
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { initBackend } from "../../model/backend.ts";
import { gatherRows, patchify, unpatchify } from "../../model/images.ts";
import { AdamW } from "../../model/optim.ts";
import { Rng } from "../../model/rng.ts";
import {
  codebookStats,
  createVq,
  decode,
  DEFAULT_VQ_CONFIG,
  disposeVq,
  encode,
  encodeLatents,
  loadVq,
  numTokens,
  reconstructionMse,
  saveVq,
  vqDecayFilter,
  vqLoss,
} from "../../model/vq.ts";
import { initCodebookKmeans, isCodebookInitialised, trainVqStep } from "../../model/vq-train.ts";
import { loadMnist, PIXELS } from "./mnist-fixture.ts";
import { TEST_BACKEND } from "./test-backend.ts";

before(async () => {
  await initBackend(TEST_BACKEND);
});

describe("patches", () => {
  for (const patch of [7, 4]) {
    it(`patchify lists ${patch}x${patch} patches row-major and unpatchify inverts it`, () => {
      const g = 28 / patch;
      const img = tf.tensor2d(Float32Array.from({ length: 2 * PIXELS }, (_, i) => i), [2, PIXELS]);
      const patches = patchify(img, 28, patch);
      assert.deepEqual(patches.shape, [2 * g * g, patch * patch]);
      const data = patches.dataSync();
      // token (gy=1, gx=2) of image 1, pixel (py=1, px=0)
      const token = g * g + 1 * g + 2;
      assert.equal(data[token * patch * patch + patch], PIXELS + (1 * patch + 1) * 28 + 2 * patch);
      const back = unpatchify(patches, 28, patch);
      assert.deepEqual(back.dataSync(), img.dataSync());
      tf.dispose([img, patches, back]);
    });
  }

  it("passes gradients through the patch permutation", () => {
    const w = tf.tensor2d(Float32Array.from({ length: PIXELS }, (_, i) => i % 13), [1, PIXELS]);
    const grad = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(unpatchify(p as tf.Tensor2D, 28, 7), w)));
    const g = grad(tf.zeros([16, 49]));
    const want = patchify(w, 28, 7);
    assert.deepEqual(g.dataSync(), want.dataSync());
    tf.dispose([w, g, want]);
  });

  it("rejects a patch size that does not tile the image", () => {
    assert.throws(() => createVq({ ...DEFAULT_VQ_CONFIG, patchSize: 5 }, new Rng(1)), /patchSize 5 must be a positive divisor of imageSize 28/);
  });
});

describe("VQ-VAE", () => {
  it("straight-through: the loss reaches encoder, codebook and decoder, never the usage counter", () => {
    const vq = createVq({ ...DEFAULT_VQ_CONFIG, patchSize: 4, decoder: "patch" }, new Rng(2));
    const rng = new Rng(3);
    const x = tf.tensor2d(rng.fill(2 * PIXELS, () => rng.uniform()), [2, PIXELS]);
    const trainable = Object.entries(vq.params).filter(([, v]) => v.trainable);
    const { grads, value } = tf.variableGrads(() => {
      const out = vqLoss(vq, x);
      out.codes.dispose();
      return out.total;
    }, trainable.map(([, v]) => v));
    for (const [name, v] of trainable) {
      const g = grads[v.name];
      assert.ok(g, `no gradient for ${name}`);
      assert.ok(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!) > 0, `zero gradient for ${name}`);
    }
    assert.equal(vq.params.usage!.trainable, false);
    assert.equal(numTokens(vq.config), 49);
    tf.dispose([x, value, ...Object.values(grads)]);
    tf.dispose(Object.values(vq.params));
  });

  it("learns to reconstruct real MNIST digits with a live codebook (N=16, K=64), and reloads exactly", async () => {
    const { train, test } = loadMnist(100, 20);
    const cfg = DEFAULT_VQ_CONFIG;
    const rng = new Rng(1);
    const vq = createVq(cfg, rng);
    const opt = new AdamW(vq.params, { decay: vqDecayFilter });
    const steps = 150;
    const batch = 32;
    const startTensors = tf.memory().numTensors;
    const t0 = performance.now();
    let last;
    for (let s = 0; s < steps; s++) {
      const x = gatherRows(train.images, PIXELS, Array.from({ length: batch }, () => rng.int(train.n)));
      last = trainVqStep(vq, opt, x, { lr: 3e-3, rng, step: s });
      x.dispose();
    }
    const msPerStep = (performance.now() - t0) / steps;
    assert.ok(tf.memory().numTensors <= startTensors + 1, "tensors leaked across steps");
    assert.ok(isCodebookInitialised(vq));

    const xt = tf.tensor2d(test.images, [test.n, PIXELS]);
    const mse = reconstructionMse(vq, xt);
    const baseline = meanImageMse(test.images, PIXELS);
    const codes = encode(vq, xt);
    assert.equal(codes.length, test.n * numTokens(cfg));
    assert.ok(codes.every((c) => c >= 0 && c < cfg.codebookSize));
    const stats = codebookStats(codes, cfg.codebookSize);
    console.log(`vq N=16 K=64: ${msPerStep.toFixed(0)} ms/step, held-out recon MSE ${mse.toFixed(4)} vs mean-image ` +
      `${baseline.toFixed(4)}, usage ${(stats.usage * 100).toFixed(0)}%, perplexity ${stats.perplexity.toFixed(1)}, last ${JSON.stringify(last)}`);
    assert.ok(mse < 0.6 * baseline, `recon MSE ${mse} not clearly below the mean-image baseline ${baseline}`);
    assert.ok(stats.usage > 0.5, `codebook usage ${stats.usage}`);
    const img = decode(vq, codes.subarray(0, 2 * numTokens(cfg)));
    assert.deepEqual(img.shape, [2, PIXELS]);
    assert.ok(img.dataSync().every((p) => p >= 0 && p <= 1));
    assert.throws(() => decode(vq, Int32Array.from({ length: 16 }, () => 64)), /code 64 outside \[0, 64\)/);
    const dir = await mkdtemp(join(tmpdir(), "vq-test-"));
    await saveVq(join(dir, "vq.ckpt"), vq);
    const loaded = await loadVq(join(dir, "vq.ckpt"));
    assert.deepEqual(encode(loaded, xt), codes);
    await rm(dir, { recursive: true, force: true });
    tf.dispose([xt, img]);
    opt.dispose();
    disposeVq(vq);
    disposeVq(loaded);
  });

  for (const encoder of ["patch", "global"] as const) {
    it(`${encoder} encoder: a change in one corner moves ${encoder === "patch" ? "that patch's code vector only" : "every code vector"}`, () => {
      const vq = createVq({ ...DEFAULT_VQ_CONFIG, encoder }, new Rng(4));
      const rng = new Rng(5);
      const a = rng.fill(PIXELS, () => rng.uniform());
      const b = Float32Array.from(a);
      b[0] = 1 - b[0]!; // top-left pixel: token 0's patch
      const x = tf.tensor2d([...a, ...b], [2, PIXELS]);
      const z = encodeLatents(vq, x); // [2 * N, d]
      const n = numTokens(vq.config);
      const d = vq.config.codeDim;
      const zs = z.dataSync();
      const moved = Array.from({ length: n }, (_, t) => zs.slice(t * d, (t + 1) * d).some((v, k) => v !== zs[(n + t) * d + k]));
      assert.deepEqual(moved, encoder === "patch" ? moved.map((_, t) => t === 0) : moved.map(() => true));
      tf.dispose([x, z]);
      disposeVq(vq);
    });
  }

  it("reads a tokenizer saved before the encoder option as a patch encoder", async () => {
    const { encoder: _dropped, ...old } = DEFAULT_VQ_CONFIG;
    const vq = createVq(DEFAULT_VQ_CONFIG, new Rng(6));
    const dir = await mkdtemp(join(tmpdir(), "vq-test-"));
    await saveVq(join(dir, "vq.ckpt"), { ...vq, config: old as typeof DEFAULT_VQ_CONFIG });
    const loaded = await loadVq(join(dir, "vq.ckpt"));
    assert.equal(loaded.config.encoder, "patch");
    await rm(dir, { recursive: true, force: true });
    disposeVq(vq);
    disposeVq(loaded);
  });

  it("k-means initialisation puts every code on the data", () => {
    const { train } = loadMnist(10, 1);
    const vq = createVq({ ...DEFAULT_VQ_CONFIG, codebookSize: 32 }, new Rng(5));
    assert.equal(isCodebookInitialised(vq), false);
    const x = tf.tensor2d(train.images, [train.n, PIXELS]);
    initCodebookKmeans(vq, x, new Rng(6));
    const stats = codebookStats(encode(vq, x), 32);
    assert.ok(stats.usage > 0.9, `usage after k-means ${stats.usage}`);
    tf.dispose([x, ...Object.values(vq.params)]);
  });
});

/** MSE of predicting every image by the per-pixel mean image: the floor a reconstruction must beat. */
function meanImageMse(images: Float32Array, pixels: number): number {
  const n = images.length / pixels;
  const mean = new Float64Array(pixels);
  for (let i = 0; i < images.length; i++) mean[i % pixels]! += images[i]! / n;
  let se = 0;
  for (let i = 0; i < images.length; i++) se += (images[i]! - mean[i % pixels]!) ** 2;
  return se / images.length;
}
