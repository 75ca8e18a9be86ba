// Mixed-task loss (docs/mmada.md §2) on logits whose cross-entropy is known in closed form, and the
// per-token log-probs UniGRPO uses.
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initBackend } from "../../model/backend.ts";
import { makeConfig } from "../../model/config.ts";
import { chatLayout, layoutContext, lmLayout, mmuLayout, t2iLayout } from "../../model/layouts.ts";
import { lossFromLogits, tokenLogProbs } from "../../model/loss.ts";
import { maskBatch } from "../../model/masking.ts";
import { oneHotFloat } from "../../model/ops.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { vocabSize } from "../../model/vocab.ts";
import { TEST_BACKEND } from "./test-backend.ts";

before(async () => {
  await initBackend(TEST_BACKEND);
});

const tok = new CharTokenizer();
const config = makeConfig({ textVocabSize: tok.vocabSize, textLength: 20, gridH: 2, gridW: 2, codebookSize: 8 });
const ctx = layoutContext(config, tok);
const V = vocabSize(config);
const rng = new Rng(11);
const rows = [
  t2iLayout(ctx, "a 7", [1, 2, 3, 4], { dropCaption: false }),
  t2iLayout(ctx, "a 1", [5, 6, 7, 0], { dropCaption: false }),
  lmLayout(ctx, "Call me Ishmael."),
  mmuLayout(ctx, [1, 1, 2, 2], "digit?", "7"),
  chatLayout(ctx, "3*2?", "<think>3*2=6</think>6"),
];

describe("lossFromLogits", () => {
  it("uniform logits give CE = log V at every masked position, weighted per task", () => {
    const batch = maskBatch(rows, rng, config.maskEps);
    const L = batch.length;
    const logits = tf.zeros([rows.length, L, V]) as tf.Tensor3D;
    const coeffs = { t2i: 1, lm: 0.1, mmu: 0.5 };
    const out = lossFromLogits(logits, batch, coeffs);
    const expected = { t2i: 0, lm: 0, mmu: 0, chat: 0 };
    batch.tasks.forEach((t, b) => {
      for (let i = 0; i < L; i++) expected[t] += batch.weights[b * L + i]! * Math.log(V);
    });
    assertClose(out.parts.t2i.dataSync()[0]!, Math.log(V)); // t2i weights sum to 1
    for (const t of ["lm", "mmu", "chat"] as const) assertClose(out.parts[t].dataSync()[0]!, expected[t]);
    // chat rows sit in the lm slice (the reference): they carry the lm coefficient
    assertClose(out.total.dataSync()[0]!, expected.t2i + 0.1 * (expected.lm + expected.chat) + 0.5 * expected.mmu);
    const withChat = lossFromLogits(logits, batch, { ...coeffs, chat: 0 });
    assertClose(withChat.total.dataSync()[0]!, expected.t2i + 0.1 * expected.lm + 0.5 * expected.mmu);
    tf.dispose([logits, out.total, ...Object.values(out.parts), withChat.total, ...Object.values(withChat.parts)]);
  });

  it("the lm slice averages lm and chat rows together; chatSlice 'own' keeps them apart with the mmu coefficient", () => {
    const lmRows = [rows[2]!, rows[4]!]; // one lm row, one chat row
    const inLm = maskBatch(lmRows, new Rng(5), config.maskEps);
    const own = maskBatch(lmRows, new Rng(5), config.maskEps, { chatSlice: "own" });
    const L = inLm.length;
    assert.deepEqual(inLm.masked, own.masked, "same masks: only the normalisation differs");
    // the slice holds 2 rows: every weight is half of its own-slice value
    for (let i = 0; i < 2 * L; i++) assertClose(inLm.weights[i]!, own.weights[i]! / 2);
    const logits = tf.zeros([2, L, V]) as tf.Tensor3D;
    const coeffs = { t2i: 1, lm: 0.1, mmu: 0.5 };
    const a = lossFromLogits(logits, inLm, coeffs);
    const b = lossFromLogits(logits, own, coeffs);
    const [lmA, chatA, lmB, chatB] = [a.parts.lm, a.parts.chat, b.parts.lm, b.parts.chat].map((t) => t.dataSync()[0]!);
    assertClose(a.total.dataSync()[0]!, 0.1 * (lmA! + chatA!));
    assertClose(b.total.dataSync()[0]!, 0.1 * lmB! + 0.5 * chatB!);
    tf.dispose([logits, a.total, b.total, ...Object.values(a.parts), ...Object.values(b.parts)]);
  });

  it("a confident correct prediction has ~zero loss, and absent tasks contribute 0", () => {
    const batch = maskBatch([rows[2]!], rng, config.maskEps);
    const BIG = 30;
    const logits = tf.tidy(() => tf.reshape(tf.mul(oneHotFloat(tf.tensor1d(batch.labels, "int32"), V), BIG), [1, batch.length, V]) as tf.Tensor3D);
    const out = lossFromLogits(logits, batch, { t2i: 1, lm: 1, mmu: 1 });
    assert.ok(out.total.dataSync()[0]! < 1e-6);
    assert.equal(out.parts.t2i.dataSync()[0], 0);
    tf.dispose([logits, out.total, ...Object.values(out.parts)]);
  });
});

describe("tokenLogProbs", () => {
  it("returns log softmax at the targets where mask = 1, zero elsewhere, and is differentiable", () => {
    const B = 2;
    const L = 3;
    const Vs = 5;
    const logitsData = Float32Array.from({ length: B * L * Vs }, (_, i) => Math.sin(i) * 2);
    const targets = [0, 4, 2, 1, 3, 3];
    const mask = [1, 0, 1, 1, 1, 0];
    const logits = tf.tensor3d(logitsData, [B, L, Vs]);
    const lp = tokenLogProbs(logits, tf.tensor2d(targets, [B, L], "int32"), tf.tensor2d(mask, [B, L]));
    const got = lp.dataSync();
    for (let k = 0; k < B * L; k++) {
      const row = logitsData.subarray(k * Vs, (k + 1) * Vs);
      const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
      assertClose(got[k]!, mask[k] ? row[targets[k]!]! - lse : 0, 1e-5);
    }
    const g = tf.grad((x: tf.Tensor) => tf.sum(tokenLogProbs(x as tf.Tensor3D, tf.tensor2d(targets, [B, L], "int32"), tf.tensor2d(mask, [B, L]))))(logits);
    const gd = g.dataSync();
    // d/dlogit of log p(target) = onehot - softmax: the target column is positive where masked, 0 rows where not.
    assert.ok(gd[0 * Vs + targets[0]!]! > 0);
    assert.ok(gd.slice(1 * Vs, 2 * Vs).every((x) => x === 0));
    tf.dispose([logits, lp, g]);
  });
});

function assertClose(a: number, b: number, rel = 1e-5): void {
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b)), `${a} != ${b}`);
}
