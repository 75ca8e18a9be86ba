// AdamW, cosine schedule and gradient clipping against hand-computed references.
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initBackend } from "../../model/backend.ts";
import { clipByGlobalNorm, globalNorm } from "../../model/clip.ts";
import { AdamW } from "../../model/optim.ts";
import { cosineWithWarmup, validateCosineSchedule } from "../../model/schedule.ts";
import type { Params } from "../../model/ops.ts";
import { TEST_BACKEND } from "./test-backend.ts";

before(async () => {
  await initBackend(TEST_BACKEND);
});

function makeParams(): Params {
  return {
    w: tf.variable(tf.tensor2d([[0.5, -1.0], [2.0, 0.25]]), true),
    b: tf.variable(tf.tensor1d([0.1, -0.2]), true),
  };
}

function disposeParams(p: Params): void {
  for (const v of Object.values(p)) v.dispose();
}

/** torch.optim.AdamW in float64, one parameter vector. */
function referenceAdamW(p: number[], grads: number[][], lr: number, wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  let x = [...p];
  grads.forEach((g, i) => {
    const t = i + 1;
    x = x.map((xi, j) => {
      const decayed = xi * (1 - lr * wd);
      m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
      v[j] = b2 * v[j]! + (1 - b2) * g[j]! ** 2;
      const denom = Math.sqrt(v[j]!) / Math.sqrt(1 - b2 ** t) + eps;
      return decayed - (lr / (1 - b1 ** t)) * (m[j]! / denom);
    });
  });
  return x;
}

describe("AdamW", () => {
  it("matches the PyTorch AdamW update (matrix decayed, bias not)", () => {
    const params = makeParams();
    const opt = new AdamW(params, { weightDecay: 0.1 });
    const gw = [[0.3, -0.1, 0.2, 0.05], [-0.4, 0.2, 0.0, 0.1], [0.1, 0.1, -0.3, 0.2]];
    const gb = [[1.0, -2.0], [0.5, 0.5], [-1.0, 0.25]];
    const lr = 0.05;
    for (let i = 0; i < gw.length; i++) {
      tf.tidy(() => opt.step({ w: tf.tensor2d(gw[i]!, [2, 2]), b: tf.tensor1d(gb[i]!) }, lr));
    }
    const wantW = referenceAdamW([0.5, -1.0, 2.0, 0.25], gw, lr, 0.1);
    const wantB = referenceAdamW([0.1, -0.2], gb, lr, 0);
    const gotW = Array.from(params.w!.dataSync());
    const gotB = Array.from(params.b!.dataSync());
    gotW.forEach((x, j) => assert.ok(Math.abs(x - wantW[j]!) < 1e-6, `w[${j}] ${x} vs ${wantW[j]}`));
    gotB.forEach((x, j) => assert.ok(Math.abs(x - wantB[j]!) < 1e-6, `b[${j}] ${x} vs ${wantB[j]}`));
    assert.equal(opt.stepCount, 3);
    opt.dispose();
    disposeParams(params);
  });

  it("decays weights even with a zero gradient, and skips params without a gradient", () => {
    const params = makeParams();
    const opt = new AdamW(params, { weightDecay: 0.5 });
    tf.tidy(() => opt.step({ w: tf.zeros([2, 2]) }, 0.1));
    assert.deepEqual(Array.from(params.w!.dataSync()), [0.5, -1.0, 2.0, 0.25].map((x) => Math.fround(x * Math.fround(0.95))));
    assert.deepEqual(Array.from(params.b!.dataSync()), [0.1, -0.2].map(Math.fround));
    opt.dispose();
    disposeParams(params);
  });

  it("restores state exactly: a copy continues bit-identically", () => {
    const a = makeParams();
    const b = makeParams();
    const optA = new AdamW(a);
    const optB = new AdamW(b);
    const grad = (s: number) => ({ w: tf.tensor2d([[s, -s], [0.5 * s, 1]]), b: tf.tensor1d([s, 2 * s]) });
    for (let s = 1; s <= 3; s++) tf.tidy(() => optA.step(grad(s), 0.01));
    const state = optA.getState();
    optB.setState(state);
    tf.dispose(Object.values(state.slots));
    for (const k of Object.keys(a)) b[k]!.assign(a[k]!);
    tf.tidy(() => optA.step(grad(4), 0.01));
    tf.tidy(() => optB.step(grad(4), 0.01));
    for (const k of Object.keys(a)) assert.deepEqual(Array.from(b[k]!.dataSync()), Array.from(a[k]!.dataSync()));
    assert.equal(optB.stepCount, 4);
    optA.dispose();
    optB.dispose();
    disposeParams(a);
    disposeParams(b);
  });

  it("refuses state for a different model with a clear message", () => {
    const params = makeParams();
    const opt = new AdamW(params);
    const bad = { meta: opt.meta(), slots: { "m/w": tf.zeros([3, 3]), "v/w": tf.zeros([2, 2]) } };
    assert.throws(() => opt.setState(bad), /m\/w has shape \[3,3\].*missing m\/b/);
    tf.dispose(Object.values(bad.slots));
    opt.dispose();
    disposeParams(params);
  });

  it("leaks no tensors per step", () => {
    const params = makeParams();
    const opt = new AdamW(params);
    tf.tidy(() => opt.step({ w: tf.ones([2, 2]), b: tf.ones([2]) }, 0.01));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.tidy(() => opt.step({ w: tf.ones([2, 2]), b: tf.ones([2]) }, 0.01));
    assert.equal(tf.memory().numTensors, before);
    opt.dispose();
    disposeParams(params);
  });
});

describe("clipByGlobalNorm", () => {
  it("scales to maxNorm when above, keeps gradients when below, reports the pre-clip norm", () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) }; // norm 5
    const clipped = clipByGlobalNorm(grads, 1);
    assert.ok(Math.abs(clipped.norm - 5) < 1e-6);
    assert.ok(Math.abs(globalNorm(clipped.grads) - 1) < 1e-5);
    assert.deepEqual(Array.from(clipped.grads.a!.dataSync()).map((x) => +x.toFixed(5)), [0.6, 0]);
    const loose = clipByGlobalNorm(grads, 10);
    assert.deepEqual(Array.from(loose.grads.b!.dataSync()), [0, 4]);
    const off = clipByGlobalNorm(grads, 0);
    assert.deepEqual(Array.from(off.grads.a!.dataSync()), [3, 0]);
    tf.dispose([...Object.values(grads), ...Object.values(clipped.grads), ...Object.values(loose.grads), ...Object.values(off.grads)]);
  });

  it("reports a non-finite norm instead of hiding it", () => {
    const grads = { a: tf.tensor1d([Number.NaN, 1]) };
    const out = clipByGlobalNorm(grads, 1);
    assert.ok(Number.isNaN(out.norm));
    tf.dispose([grads.a, out.grads.a!]);
  });
});

describe("cosineWithWarmup", () => {
  const sched = cosineWithWarmup({ peakLr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 110 });

  it("warms up linearly, peaks, decays by cosine to the floor and stays there", () => {
    assert.ok(sched(0) > 0 && sched(0) < sched(5) && sched(5) < sched(9));
    assert.ok(Math.abs(sched(10) - 1e-3) < 1e-12);
    assert.ok(Math.abs(sched(60) - 5.5e-4) < 1e-12); // halfway: (peak + min) / 2
    for (let s = 10; s < 110; s++) assert.ok(sched(s + 1) <= sched(s));
    assert.equal(sched(110), 1e-4);
    assert.equal(sched(10_000), 1e-4);
  });

  it("reports every invalid option", () => {
    const errors = validateCosineSchedule({ peakLr: -1, warmupSteps: 5, totalSteps: 2 });
    assert.equal(errors.length, 3); // peakLr, minLr (derived from it), totalSteps < warmupSteps
    assert.throws(() => cosineWithWarmup({ peakLr: 1, warmupSteps: 1.5, totalSteps: 10 }), /warmupSteps must be an integer/);
  });
});
