// The backbone: shapes and stable parameter names, bidirectional attention, dropout through the
// Rng, and an overfit run over one example of each task (the whole objective can be learned).
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initBackend } from "../../model/backend.ts";
import { makeConfig, seqLength } from "../../model/config.ts";
import { chatLayout, layoutContext, lmLayout, mmuLayout, t2iLayout } from "../../model/layouts.ts";
import { mixedLoss, tokenLogProbs } from "../../model/loss.ts";
import { maskBatch } from "../../model/masking.ts";
import { AdamW } from "../../model/optim.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { gradientStep } from "../../model/gradient-step.ts";
import { createModel, disposeModel, forward, logitsFn, parameterCount, paramShapes } from "../../model/transformer.ts";
import { MASK_ID, vocabSize } from "../../model/vocab.ts";
import { TEST_BACKEND } from "./test-backend.ts";

before(async () => {
  await initBackend(TEST_BACKEND);
});

const tok = new CharTokenizer();
const tiny = makeConfig({ textVocabSize: tok.vocabSize, textLength: 16, gridH: 2, gridW: 2, codebookSize: 8, dModel: 64, nHeads: 4, nLayers: 2, mlpHidden: 128 });
const L = seqLength(tiny);
const V = vocabSize(tiny);

describe("transformer", () => {
  it("maps [B, L] ids to [B, L, V] logits with stable parameter names", () => {
    const model = createModel(tiny, new Rng(1));
    assert.deepEqual(paramShapes(tiny).slice(0, 10).map(([n]) => n), [
      "embed",
      "layers.0.attn_norm",
      "layers.0.attn.wq",
      "layers.0.attn.wk",
      "layers.0.attn.wv",
      "layers.0.attn.wo",
      "layers.0.mlp_norm",
      "layers.0.mlp.w_gate",
      "layers.0.mlp.w_up",
      "layers.0.mlp.w_down",
    ]);
    assert.deepEqual(Object.keys(model.params), paramShapes(tiny).map(([n]) => n));
    const counted = Object.values(model.params).reduce((s, p) => s + p.size, 0);
    assert.equal(counted, parameterCount(tiny));
    const logits = forward(model, tf.fill([3, L], MASK_ID, "int32") as tf.Tensor2D);
    assert.deepEqual(logits.shape, [3, L, V]);
    tf.dispose(logits);
    disposeModel(model);
  });

  it("is bidirectional: changing a LATER token changes an EARLIER position's logits", () => {
    const model = createModel(tiny, new Rng(2));
    const ids = Int32Array.from({ length: L }, (_, i) => 20 + (i % 30));
    const changed = Int32Array.from(ids);
    changed[L - 1] = MASK_ID;
    const f = logitsFn(model);
    const [a, b] = [ids, changed].map((x) => tf.tidy(() => tf.slice(f(tf.tensor2d(x, [1, L], "int32")), [0, 0, 0], [1, 1, V]).dataSync()));
    const diff = Math.max(...a!.map((v, i) => Math.abs(v - b![i]!)));
    assert.ok(diff > 1e-4, `position 0 did not see position ${L - 1} (max diff ${diff})`);
    disposeModel(model);
  });

  it("is deterministic in inference; training dropout draws from the Rng", () => {
    const model = createModel({ ...tiny, dropout: 0.2 }, new Rng(3));
    const x = tf.tensor2d(Int32Array.from({ length: 2 * L }, (_, i) => 13 + (i % 50)), [2, L], "int32");
    const read = (t: tf.Tensor) => {
      const d = t.dataSync().slice();
      t.dispose();
      return d;
    };
    assert.deepEqual(read(forward(model, x)), read(forward(model, x)));
    assert.deepEqual(read(forward(model, x, { training: true, rng: new Rng(9) })), read(forward(model, x, { training: true, rng: new Rng(9) })));
    assert.notDeepEqual(read(forward(model, x, { training: true, rng: new Rng(9) })), read(forward(model, x)));
    assert.throws(() => forward(model, x, { training: true }), /needs opts.rng/);
    x.dispose();
    disposeModel(model);
  });

  it("overfits one example of each task (t2i, lm, mmu, chat)", () => {
    const rng = new Rng(5);
    const model = createModel(tiny, rng);
    const ctx = layoutContext(tiny, tok);
    const rows = [
      t2iLayout(ctx, "a seven", [1, 5, 2, 7], { dropCaption: false }),
      lmLayout(ctx, "Call me Ishmael."),
      mmuLayout(ctx, [3, 3, 0, 6], "digit?", "seven"),
      chatLayout(ctx, "3*2?", "<think>3*2=6</think>6"),
    ];
    const STEPS = 450;
    const PEAK_LR = 5e-3;
    const WARMUP = 20;
    const opt = new AdamW(model.params, { weightDecay: 0 });
    // the chat row shares the lm slice's mean (docs/mmada.md §2), halving each row's weight there: lm 2
    // gives every row the weight it has alone
    const coeffs = { t2i: 1, lm: 2, mmu: 1 };
    let first = 0;
    for (let s = 0; s < STEPS; s++) {
      const batch = maskBatch(rows, rng, tiny.maskEps);
      const lr = PEAK_LR * Math.min(1, (s + 1) / WARMUP) * (1 - s / STEPS);
      const info = gradientStep({ params: model.params, loss: () => mixedLoss(model, batch, coeffs), optimizer: opt, lr, step: s });
      if (s === 0) first = info.loss;
    }
    // Mean CE per masked token over fresh masks. A fully masked lm row is all-identical input, which
    // a RoPE-only bidirectional model cannot tell apart position by position (as in LLaDA), so lm
    // is judged on draws that leave half of the row visible.
    const ce: Record<string, [number, number]> = {};
    for (let i = 0; i < 30; i++) {
      const b = maskBatch(rows, rng, tiny.maskEps);
      const lp = tf.tidy(() => {
        const logits = forward(model, tf.tensor2d(b.inputIds, [b.batch, b.length], "int32"));
        return tokenLogProbs(logits, tf.tensor2d(b.labels, [b.batch, b.length], "int32"), tf.tensor2d(b.masked, [b.batch, b.length])).dataSync();
      });
      b.tasks.forEach((t, r) => {
        if (t === "lm" && b.maskProb[r]! > 0.5) return;
        const acc = (ce[t] ??= [0, 0]);
        for (let k = r * b.length; k < (r + 1) * b.length; k++) {
          if (!b.masked[k]) continue;
          acc[0] -= lp[k]!;
          acc[1]++;
        }
      });
    }
    const mean = Object.fromEntries(Object.entries(ce).map(([t, [s, n]]) => [t, s / n]));
    assert.ok(first > 5, `initial loss ${first}`);
    for (const t of ["t2i", "mmu", "chat"]) assert.ok(mean[t]! < 0.03, `${t} CE per masked token ${mean[t]} (all: ${JSON.stringify(mean)})`);
    assert.ok(mean.lm! < 0.2, `lm CE per masked token ${mean.lm}`);
    disposeModel(model);
  });
});
