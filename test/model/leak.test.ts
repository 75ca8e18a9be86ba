// No tensor outlives a step: 100 mixed-task training steps and 100 inference calls leave
// tf.memory().numTensors where the first steps left it (the only persistent tensors are the
// parameters, the optimizer moments and the cached RoPE tables).
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initBackend } from "../../model/backend.ts";
import { makeConfig } from "../../model/config.ts";
import { chatLayout, layoutContext, lmLayout, mmuLayout, t2iLayout } from "../../model/layouts.ts";
import { mixedLoss, tokenLogProbs } from "../../model/loss.ts";
import { maskBatch } from "../../model/masking.ts";
import { AdamW } from "../../model/optim.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { gradientStep } from "../../model/gradient-step.ts";
import { createModel, disposeModel, logitsFn } from "../../model/transformer.ts";
import { TEST_BACKEND } from "./test-backend.ts";

before(async () => {
  await initBackend(TEST_BACKEND);
});

const STEPS = 100;
const WARMUP_STEPS = 3;

describe("tensor leaks", () => {
  it(`numTensors is flat over ${STEPS} training steps and ${STEPS} inference calls`, () => {
    const tok = new CharTokenizer();
    const config = makeConfig({ textVocabSize: tok.vocabSize, textLength: 12, gridH: 2, gridW: 2, codebookSize: 8, dModel: 32, nHeads: 2, nLayers: 2, mlpHidden: 64, dropout: 0.1 });
    const rng = new Rng(1);
    const model = createModel(config, rng);
    const ctx = layoutContext(config, tok);
    const rows = [
      t2iLayout(ctx, "a 7", [1, 2, 3, 4], { rng }),
      lmLayout(ctx, "Call me."),
      mmuLayout(ctx, [0, 1, 2, 3], "digit?", "7"),
      chatLayout(ctx, "1+1?", "<think>1+1=2</think>2"),
    ];
    const opt = new AdamW(model.params);
    const counts: number[] = [];
    for (let s = 0; s < STEPS; s++) {
      const batch = maskBatch(rows, rng, config.maskEps);
      gradientStep({ params: model.params, loss: () => mixedLoss(model, batch, { t2i: 1, lm: 0.1, mmu: 1 }, { training: true, rng }), optimizer: opt, lr: 1e-3, step: s });
      counts.push(tf.memory().numTensors);
    }
    assert.equal(counts[STEPS - 1], counts[WARMUP_STEPS], `training: ${counts[WARMUP_STEPS]} tensors after step ${WARMUP_STEPS}, ${counts[STEPS - 1]} after ${STEPS}`);

    const f = logitsFn(model);
    const before = tf.memory().numTensors;
    for (let s = 0; s < STEPS; s++) {
      const batch = maskBatch(rows, rng, config.maskEps);
      tf.tidy(() => {
        const shape: [number, number] = [batch.batch, batch.length];
        const logits = f(tf.tensor2d(batch.inputIds, shape, "int32"));
        tokenLogProbs(logits, tf.tensor2d(batch.labels, shape, "int32"), tf.tensor2d(batch.masked, shape)).dataSync();
      });
    }
    assert.equal(tf.memory().numTensors, before, "inference leaked tensors");
    disposeModel(model);
  });
});
