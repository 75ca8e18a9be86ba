// Specification of UniGRPO (docs/mmada.md §4, §7): advantages, mask ratios, response-only masks shared by
// policy / old / reference, old log-probs taken once, means over masked tokens, and a real update.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../model/backend.ts";
import { makeConfig } from "../../model/config.ts";
import { chatLayout, layoutContext, ROLE_ANSWER } from "../../model/layouts.ts";
import { tokenLogProbs } from "../../model/loss.ts";
import { type LogitsFn, matmul2d, type Params } from "../../model/ops.ts";
import { AdamW } from "../../model/optim.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { createModel, disposeModel, logitsFn } from "../../model/transformer.ts";
import { DIFFUSION_STEPS, type Group, groupAdvantages, maskRatios, responseMasks, unigrpoUpdate } from "../../model/unigrpo.ts";
import { MASK_ID } from "../../model/vocab.ts";
import { TEST_BACKEND } from "./test-backend.ts";

// Unified vocabulary of the tiny model: text 0..9, image codes 10..14, MASK 15.
const TEXT_VOCAB = 10;
const CODEBOOK = 5;
const MASK = TEXT_VOCAB + CODEBOOK;
const VOCAB = MASK + 1;
const LENGTH = 10;
const PROMPT_LEN = 4;
const WIDTH = 16;

let modelCount = 0;

/** A tiny bidirectional model: one-hot embedding + positions + mean-pooled context, tanh, output layer. */
function forward(w: Record<string, tf.Tensor>): LogitsFn {
  return (tokens) =>
    tf.tidy(() => {
      const [b, l] = tokens.shape;
      const onehot = tf.reshape(tf.oneHot(tokens, VOCAB), [b * l, VOCAB]) as tf.Tensor2D; // [B*L, V]
      const emb = tf.reshape(matmul2d(onehot, w.embed as tf.Tensor2D), [b, l, WIDTH]); // [B, L, D]
      const context = tf.mean(emb, 1, true); // [B, 1, D]
      const h = tf.tanh(tf.add(tf.add(emb, tf.expandDims(w.pos!, 0)), context)); // [B, L, D]
      return tf.reshape(matmul2d(tf.reshape(h, [b * l, WIDTH]) as tf.Tensor2D, w.out as tf.Tensor2D), [b, l, VOCAB]) as tf.Tensor3D;
    });
}

function tinyModel(seed: number): { params: Params; policy: LogitsFn; frozen: () => LogitsFn } {
  const rng = new Rng(seed);
  const init = (shape: [number, number], scale: number) => tf.tensor2d(rng.fill(shape[0] * shape[1], () => scale * rng.normal()), shape);
  const id = modelCount++;
  const params: Params = {
    embed: tf.variable(init([VOCAB, WIDTH], 1), true, `unigrpo-test-${id}/embed`),
    pos: tf.variable(init([LENGTH, WIDTH], 0.5), true, `unigrpo-test-${id}/pos`),
    out: tf.variable(init([WIDTH, VOCAB], 0.5), true, `unigrpo-test-${id}/out`),
  };
  // A frozen copy of the current weights (the reference policy, or a snapshot before an update).
  const frozen = () => forward(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, tf.clone(v)])));
  return { params, policy: forward(params), frozen };
}

/** Records every input it sees. */
function spy(fn: LogitsFn): { fn: LogitsFn; inputs: Int32Array[] } {
  const inputs: Int32Array[] = [];
  return { inputs, fn: (tokens) => (inputs.push(Int32Array.from(tokens.dataSync())), fn(tokens)) };
}

/** G rows: prompt of `promptId`, response ids given per row; response length may differ per row. */
function group(promptId: number, responses: number[][], rewards: number[]): Group {
  const rows = new Int32Array(responses.length * LENGTH);
  const responseMask = new Uint8Array(responses.length * LENGTH);
  responses.forEach((resp, i) => {
    rows.fill(promptId, i * LENGTH, i * LENGTH + PROMPT_LEN);
    rows.set(resp, i * LENGTH + PROMPT_LEN);
    responseMask.fill(1, i * LENGTH + PROMPT_LEN, i * LENGTH + PROMPT_LEN + resp.length);
  });
  return { rows, responseMask, rewards };
}

/** The UniGRPO likelihood estimate: sum per row of log p(x0) at the MASKed positions of `masked`. */
async function responseLogLik(fn: LogitsFn, g: Group, masked: Int32Array, maskId: number): Promise<number[]> {
  const rows = g.rewards.length;
  const length = g.rows.length / rows;
  const input = tf.tensor2d(masked, [rows, length], "int32");
  const targets = tf.tensor2d(g.rows, [rows, length], "int32");
  const mask = tf.tensor2d(Array.from(masked, (id) => (id === maskId ? 1 : 0)), [rows, length], "float32");
  const lp = tf.tidy(() => tf.sum(tokenLogProbs(fn(input), targets, mask), 1)); // [R]
  const data = Array.from(await lp.data());
  tf.dispose([input, targets, mask, lp]);
  return data;
}

const BASE = { maskId: MASK, lr: 0.01, clip: 1, eps: 0.2, beta: 0.04 };

before(async () => {
  await initBackend(TEST_BACKEND);
});

describe("groupAdvantages", () => {
  it("z-scores rewards with the unbiased std + 1e-6", () => {
    const a = groupAdvantages([0, 1])!;
    assert.ok(Math.abs(a[0]! + 0.5 / (Math.SQRT1_2 + 1e-6)) < 1e-9 && Math.abs(a[1]! - 0.5 / (Math.SQRT1_2 + 1e-6)) < 1e-9);
    fc.assert(
      fc.property(fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 2, maxLength: 16 }), (r) => {
        const adv = groupAdvantages(r);
        if (r.every((x) => x === r[0])) return assert.equal(adv, null);
        const mean = r.reduce((s, x) => s + x, 0) / r.length;
        const std = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / (r.length - 1));
        assert.ok(Math.abs(adv!.reduce((s, x) => s + x, 0)) < 1e-6, "mean 0");
        const variance = adv!.reduce((s, x) => s + x * x, 0) / (r.length - 1);
        const expected = (std / (std + 1e-6)) ** 2; // unit variance up to the 1e-6 in the denominator
        assert.ok(Math.abs(variance - expected) < 1e-6, `variance ${variance}, expected ${expected}`);
      }),
    );
  });

  it("centered (Dr. GRPO, an option) only subtracts the mean: near-equal rewards get near-zero advantages", () => {
    assert.deepEqual(groupAdvantages([0, 2, 2.5, 0.5], "centered"), [-1.25, 0.75, 1.25, -0.75]);
    const noise = groupAdvantages([0.199, 0.2, 0.198, 0.2], "centered")!;
    assert.ok(noise.every((a) => Math.abs(a) < 0.002), "a noise group moves the policy by its noise, not by full-size advantages");
    assert.ok(groupAdvantages([0.199, 0.2, 0.198, 0.2])!.some((a) => Math.abs(a) > 0.8), "as z-scores do");
    assert.equal(groupAdvantages([1, 1], "centered"), null);
  });

  it("skips zero-variance and single-sample groups", () => {
    assert.equal(groupAdvantages([2.5, 2.5, 2.5]), null);
    assert.notEqual(groupAdvantages([0, 0, 1]), null);
    assert.equal(groupAdvantages([1]), null);
  });
});

describe("maskRatios", () => {
  it("is uniformly spaced from floor(U T_d)/T_d to 1 (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.nat(), (mu, seed) => {
        const t1 = Math.floor(new Rng(seed).uniform() * DIFFUSION_STEPS);
        const ratios = maskRatios(mu, new Rng(seed));
        assert.equal(ratios.length, mu);
        assert.equal(ratios[0], t1 / DIFFUSION_STEPS);
        assert.equal(ratios[mu - 1], 1);
        const gap = (DIFFUSION_STEPS - t1) / (mu - 1);
        ratios.forEach((r, n) => {
          assert.ok(Number.isInteger(Math.round(r * DIFFUSION_STEPS)) && r >= 0 && r <= 1);
          assert.equal(r, Math.floor((n / (mu - 1)) * (DIFFUSION_STEPS - t1) + t1) / DIFFUSION_STEPS, "t_n = floor((n-1)/(mu-1) (T_d - t_1) + t_1)");
          if (n > 0) assert.ok(Math.abs(r - ratios[n - 1]! - gap / DIFFUSION_STEPS) <= 1 / DIFFUSION_STEPS + 1e-12, "even spacing");
        });
      }),
    );
  });

  it("with mu = 1 returns the single ratio t_1 / T_d", () => {
    const t1 = Math.floor(new Rng(42).uniform() * DIFFUSION_STEPS);
    assert.deepEqual(maskRatios(1, new Rng(42)), [t1 / DIFFUSION_STEPS]);
  });
});

describe("responseMasks", () => {
  it("masks round(ratio * response length) response tokens, at least one, never the question (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 5 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(), (lens, ratio, seed) => {
        const g = group(1, lens.map((n) => new Array<number>(n).fill(2)), lens.map(() => 0));
        const masked = responseMasks(g.responseMask, lens.length, ratio, new Rng(seed));
        lens.forEach((n, r) => {
          let count = 0;
          for (let l = 0; l < LENGTH; l++) {
            if (masked[r * LENGTH + l]) {
              assert.equal(g.responseMask[r * LENGTH + l], 1, "only response positions");
              count++;
            }
          }
          assert.equal(count, n === 0 ? 0 : Math.max(1, Math.round(ratio * n)));
        });
      }),
    );
  });
});

describe("unigrpoUpdate", () => {
  it("shares masks across policy, old and reference; old log-probs once, before any step; skips flat groups", async () => {
    const mu = 3;
    const model = tinyModel(1);
    const policy = spy(model.policy);
    const ref = spy(model.frozen());
    const stepsAt: number[] = [];
    const adam = new AdamW(model.params);
    const optimizer = { step: (g: Record<string, tf.Tensor>, lr: number) => (stepsAt.push(policy.inputs.length), adam.step(g, lr)) };
    const kept = group(1, [[2, 3, 4], [5, 6, 7, 8], [2, 2]], [1, 0, 0.5]);
    const flat = group(9, [[2, 3], [4, 5]], [1, 1]);
    const result = await unigrpoUpdate({ ...BASE, policyLogits: policy.fn, refLogits: ref.fn, params: model.params, optimizer, groups: [kept, flat], mu, rng: new Rng(2) });

    assert.equal(result.skippedGroups, 1);
    assert.equal(result.steps, mu);
    assert.ok(Math.abs(result.meanReward - 3.5 / 5) < 1e-12, "mean over all rewards");
    assert.equal(policy.inputs.length, 2 * mu, "mu old passes + mu update passes");
    assert.equal(ref.inputs.length, mu);
    assert.deepEqual(stepsAt, [mu + 1, mu + 2, mu + 3], "every old pass happens before the first step");
    const ratios = maskRatios(mu, new Rng(2));
    for (let n = 0; n < mu; n++) {
      const input = policy.inputs[n]!;
      assert.deepEqual(ref.inputs[n], input, "reference sees the same masked rows");
      assert.deepEqual(policy.inputs[mu + n], input, "the update sees the same masked rows");
      assert.equal(input.length, kept.rows.length, "only the kept group's rows");
      [3, 4, 2].forEach((len, r) => {
        let count = 0;
        for (let l = 0; l < LENGTH; l++) {
          const i = r * LENGTH + l;
          if (!kept.responseMask[i]) assert.equal(input[i], kept.rows[i], "question never masked");
          else if (input[i] === MASK) count++;
        }
        assert.equal(count, Math.max(1, Math.round(ratios[n]! * len)));
      });
    }
    assert.ok(result.clipFrac >= 0 && result.clipFrac <= 1 && Number.isFinite(result.loss) && result.kl >= 0);
  });

  it("does nothing when every group has zero variance", async () => {
    const model = tinyModel(2);
    const policy = spy(model.policy);
    const optimizer = { step: () => assert.fail("no step expected") };
    const result = await unigrpoUpdate({ ...BASE, policyLogits: policy.fn, refLogits: model.policy, params: model.params, optimizer, groups: [group(1, [[2], [3]], [0, 0])], mu: 2, rng: new Rng(1) });
    assert.deepEqual({ ...result, gradNorms: [] }, { loss: 0, kl: 0, meanReward: 0, skippedGroups: 1, clipFrac: 0, steps: 0, gradNorms: [] });
    assert.equal(policy.inputs.length, 0);
  });

  it("reports loss = -mean_i mean_{masked t}(s - beta kl), a mean over masked tokens, not a sum", async () => {
    const model = tinyModel(3);
    const ref = tinyModel(4).policy; // a different reference so kl > 0
    const before = model.frozen();
    const policy = spy(model.policy);
    const g = group(1, [[2, 3, 4, 5, 6, 7], [5, 6], [8, 9, 2, 3]], [1, 0, 0.2]);
    const beta = 0.5;
    // A seed whose single mask ratio is high, so rows mask different numbers of tokens.
    let seed = 0;
    while (new Rng(seed).uniform() < 0.8) seed++;
    const result = await unigrpoUpdate({ ...BASE, beta, policyLogits: policy.fn, refLogits: ref, params: model.params, optimizer: { step: () => {} }, groups: [g], mu: 1, rng: new Rng(seed) });
    // Recompute from the recorded masked rows: with mu = 1, rho = 1 so s = A.
    const input = tf.tensor2d(policy.inputs[0]!, [3, LENGTH], "int32");
    const targets = tf.tensor2d(g.rows, [3, LENGTH], "int32");
    const [lp, lpRef] = await Promise.all([before, ref].map(async (fn) => {
      const t = tf.tidy(() => tokenLogProbs(fn(input), targets, tf.onesLike(targets)));
      const d = await t.data();
      t.dispose();
      return d;
    }));
    tf.dispose([input, targets]);
    const adv = groupAdvantages(g.rewards)!;
    let loss = 0;
    let kl = 0;
    let summed = 0;
    adv.forEach((a, r) => {
      const masked = [...Array(LENGTH).keys()].filter((l) => policy.inputs[0]![r * LENGTH + l] === MASK);
      const klTok = masked.map((l) => Math.exp(lpRef![r * LENGTH + l]! - lp![r * LENGTH + l]!) - (lpRef![r * LENGTH + l]! - lp![r * LENGTH + l]!) - 1);
      const terms = klTok.map((k) => a - beta * k);
      loss -= terms.reduce((s, t) => s + t, 0) / masked.length / adv.length;
      kl += klTok.reduce((s, t) => s + t, 0) / masked.length / adv.length;
      summed -= terms.reduce((s, t) => s + t, 0) / adv.length;
    });
    assert.ok(Math.abs(result.loss - loss) < 1e-4, `loss ${result.loss} vs expected ${loss}`);
    assert.ok(Math.abs(result.kl - kl) < 1e-4, `kl ${result.kl} vs expected ${kl}`);
    assert.ok(Math.abs(summed - loss) > 1e-3, "the check distinguishes a sum from a mean");
    assert.equal(result.clipFrac, 0, "rho = 1 on the first inner step");
  });

  it("raises the log-likelihood of a positive-advantage response and lowers the negative one (core transformer)", async () => {
    const tokenizer = new CharTokenizer();
    const config = makeConfig({ textVocabSize: tokenizer.vocabSize, codebookSize: 8, gridH: 2, gridW: 2, textLength: 12, dModel: 32, nHeads: 2, nLayers: 1, mlpHidden: 64 });
    const ctx = layoutContext(config, tokenizer);
    const policy = createModel(config, new Rng(0));
    const reference = createModel(config, new Rng(0)); // the frozen stage-2 weights
    // Answers that fill the answer region, so the two responses share (almost) no tokens.
    const layouts = [chatLayout(ctx, "2+2", "the sum is 4"), chatLayout(ctx, "2+2", "no idea: 5?!")];
    const g: Group = {
      rows: Int32Array.from(layouts.flatMap((l) => Array.from(l.ids))),
      responseMask: Uint8Array.from(layouts.flatMap((l) => Array.from(l.roles, (r) => (r === ROLE_ANSWER ? 1 : 0)))),
      rewards: [2.5, 0],
    };
    const seen = spy(logitsFn(policy));
    const result = await unigrpoUpdate({
      ...BASE, maskId: MASK_ID, lr: 1e-3, beta: 0.01, policyLogits: seen.fn, refLogits: logitsFn(reference), params: policy.params,
      optimizer: new AdamW(policy.params), groups: [g], mu: 1, rng: new Rng(3),
    });
    assert.equal(result.steps, 1);
    // Likelihoods on the masked rows of the update, before (= the reference's identical weights) and after the step.
    const before = await responseLogLik(logitsFn(reference), g, seen.inputs[0]!, MASK_ID);
    const after = await responseLogLik(logitsFn(policy), g, seen.inputs[0]!, MASK_ID);
    assert.ok(after[0]! > before[0]!, `positive advantage: ${before[0]} -> ${after[0]}`);
    assert.ok(after[1]! < before[1]!, `negative advantage: ${before[1]} -> ${after[1]}`);
    disposeModel(policy);
    disposeModel(reference);
  });
});
