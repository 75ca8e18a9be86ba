// One gradient update: it learns, and it detects divergence before applying anything.
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initBackend } from "../../model/backend.ts";
import { AdamW } from "../../model/optim.ts";
import { Rng } from "../../model/rng.ts";
import { cosineWithWarmup } from "../../model/schedule.ts";
import { NonFiniteLossError, type StepInfo } from "../../model/gradient-step.ts";
import { constantLr, runSteps } from "./run-steps.ts";
import type { Params } from "../../model/ops.ts";
import { TEST_BACKEND } from "./test-backend.ts";

before(async () => {
  await initBackend(TEST_BACKEND);
});

const IN = 4;
const TRUE_W = [1.5, -2, 0.5, 3];

/** Linear regression y = x . TRUE_W on rng-drawn batches. */
function regression(params: Params) {
  return (_step: number, rng: Rng) => {
    const b = 16;
    const x = rng.fill(b * IN, () => rng.normal());
    const y = new Float32Array(b);
    for (let i = 0; i < b; i++) for (let j = 0; j < IN; j++) y[i]! += x[i * IN + j]! * TRUE_W[j]!;
    const pred = tf.squeeze(tf.matMul(tf.tensor2d(x, [b, IN]), params.w as tf.Tensor2D));
    const mse = tf.mean(tf.squaredDifference(pred, tf.tensor1d(y))) as tf.Scalar;
    return { total: mse, parts: { mse } };
  };
}

function freshParams(): Params {
  return { w: tf.variable(tf.zeros([IN, 1]), true) };
}

describe("gradientStep", () => {
  it("fits a regression and reports loss, parts, lr and grad norm per step", async () => {
    const params = freshParams();
    const opt = new AdamW(params, { weightDecay: 0 });
    const infos: StepInfo[] = [];
    const lr = cosineWithWarmup({ peakLr: 0.1, warmupSteps: 5, totalSteps: 150 });
    await runSteps({ params, lossFn: regression(params), steps: 150, lr, optimizer: opt, rng: new Rng(3), onStep: (i) => void infos.push(i) });
    assert.equal(infos.length, 150);
    assert.deepEqual(infos.map((i) => i.step), Array.from({ length: 150 }, (_, i) => i));
    assert.ok(infos[0]!.loss > 5 && infos[149]!.loss < 0.05, `loss ${infos[0]!.loss} -> ${infos[149]!.loss}`);
    assert.equal(infos[10]!.lr, lr(10));
    assert.equal(infos[3]!.parts.mse, infos[3]!.loss);
    assert.ok(infos.every((i) => i.gradNorm > 0 && i.msPerStep >= 0));
    const w = Array.from(params.w!.dataSync());
    w.forEach((x, j) => assert.ok(Math.abs(x - TRUE_W[j]!) < 0.2, `w=${w}`));
    opt.dispose();
    params.w!.dispose();
  });

  it("stops with NonFiniteLossError before applying the update of a NaN loss", async () => {
    const params = freshParams();
    const opt = new AdamW(params);
    const base = regression(params);
    let afterStep2: number[] = [];
    const lossFn = (step: number, rng: Rng) => {
      const out = base(step, rng);
      if (step !== 3) return out;
      return { total: tf.mul(out.total, Number.NaN) as tf.Scalar, parts: out.parts };
    };
    await assert.rejects(
      runSteps({ params, lossFn, steps: 10, lr: constantLr(0.01), optimizer: opt, rng: new Rng(1),
        onStep: (i) => { if (i.step === 2) afterStep2 = Array.from(params.w!.dataSync()); },
      }),
      (err: unknown) => {
        assert.ok(err instanceof NonFiniteLossError);
        assert.equal(err.step, 3);
        assert.ok(Number.isNaN(err.loss));
        assert.match(err.message, /step 3.*not applied.*resume/);
        return true;
      },
    );
    assert.deepEqual(Array.from(params.w!.dataSync()), afterStep2);
    assert.equal(opt.stepCount, 3);
    opt.dispose();
    params.w!.dispose();
  });

  it("stops on a non-finite gradient norm even when the loss is finite", async () => {
    const params = freshParams();
    const opt = new AdamW(params);
    // sqrt at 0: value 0, derivative infinite
    const lossFn = () => tf.sum(tf.sqrt(tf.mul(params.w!, 0))) as tf.Scalar;
    const before = Array.from(params.w!.dataSync());
    await assert.rejects(runSteps({ params, lossFn, steps: 3, lr: constantLr(0.01), optimizer: opt, rng: new Rng(1) }),
      (err: unknown) => err instanceof NonFiniteLossError && err.loss === 0 && !Number.isFinite(err.gradNorm) && err.step === 0);
    assert.deepEqual(Array.from(params.w!.dataSync()), before);
    opt.dispose();
    params.w!.dispose();
  });

});
