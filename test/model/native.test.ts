// The native kernels (model/native) against the plain tfjs path, which stays the reference: logits,
// loss parts and every parameter's gradient agree to float32 rounding on random small configs and
// on the default one; thread counts do not change a single bit; nothing leaks; 50 training steps
// (fused loss + fused AdamW vs tfjs ops) give the same loss curve. Skipped, with the reason, when
// the add-on is not built.
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { initBackend } from "../../model/backend.ts";
import { DEFAULT_CONFIG, makeConfig, type ModelConfig } from "../../model/config.ts";
import { chatLayout, type Layout, layoutContext, lmLayout, mmuLayout, t2iLayout } from "../../model/layouts.ts";
import { mixedLoss, STAGE1_COEFFICIENTS, tokenLogProbs } from "../../model/loss.ts";
import { maskBatch, type MaskedBatch } from "../../model/masking.ts";
import { type Kernels, nativeAddon, nativeStatus, useThreads } from "../../model/native/index.ts";
import { AdamW } from "../../model/optim.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { gradientStep } from "../../model/gradient-step.ts";
import { createModel, disposeModel, forward, type MMaDA, paramShapes } from "../../model/transformer.ts";
import { TEST_BACKEND } from "./test-backend.ts";

/** |native - tfjs| <= REL_TOL * max|tfjs| per tensor: float32 rounding of sums over ~10^3 terms. */
const REL_TOL = 2e-5;
/** Loss curves: |native - tfjs| <= CURVE_TOL * max(1, |loss|) at each of CURVE_STEPS steps at lr 1e-3
 *  (seen: <= 4e-6 on losses 15 -> 7; at a higher lr training turns chaotic and amplifies rounding). */
const CURVE_TOL = 1e-5;
const CURVE_STEPS = 50;

const tok = new CharTokenizer();
let threadsBefore = 1;
before(async () => {
  await initBackend(TEST_BACKEND);
  const s = nativeStatus();
  if (s.loaded) threadsBefore = s.addon.threads();
});
after(() => {
  if (nativeStatus().loaded) useThreads(threadsBefore);
});

/** Skips the test, visibly, when the add-on is not built. */
function needsNative(t: TestContext): boolean {
  const s = nativeStatus();
  if (!s.loaded) t.skip(s.reason);
  return s.loaded;
}

/** A mixed [t2i | lm | mmu | chat] batch of `rows` rows drawn from rng. */
function mixedBatch(config: ModelConfig, rows: number, rng: Rng): MaskedBatch {
  const ctx = layoutContext(config, tok);
  const codes = () => Array.from({ length: ctx.imageTokens }, () => rng.int(config.codebookSize));
  const makers: Array<() => Layout> = [
    () => t2iLayout(ctx, `a ${rng.int(10)}`, codes(), { rng }),
    () => lmLayout(ctx, `I am ${rng.int(10)}.`),
    () => mmuLayout(ctx, codes(), "n?", `${rng.int(10)}`),
    () => chatLayout(ctx, "1+1?", "<think>2</think>2"),
  ];
  return maskBatch(Array.from({ length: rows }, (_, i) => makers[(i + rng.int(4)) % 4]!()), rng, config.maskEps);
}

/** Random norm gains (not all 1) and larger weights than the default init, so every term matters. */
function jittered(config: ModelConfig, seed: number): MMaDA {
  const rng = new Rng(seed);
  const model = createModel({ ...config, initStd: 0.2 }, rng);
  for (const [name, shape] of paramShapes(config)) {
    if (shape.length === 1) model.params[name]!.assign(tf.tensor1d(rng.fill(shape[0]!, () => 1 + 0.3 * rng.normal())));
  }
  return model;
}

interface Evaluated {
  loss: number;
  parts: Record<string, number>;
  grads: Record<string, Float32Array>;
}

function lossAndGrads(model: MMaDA, batch: MaskedBatch, kernels: Kernels): Evaluated {
  const names = new Map(Object.entries(model.params).map(([k, v]) => [v.name, k]));
  let parts: Record<string, number> = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = mixedLoss(model, batch, STAGE1_COEFFICIENTS, { training: true, kernels });
    parts = Object.fromEntries(Object.entries(out.parts).map(([k, t]) => [k, t.dataSync()[0]!]));
    return out.total;
  }, Object.values(model.params));
  const out = { loss: value.dataSync()[0]!, parts, grads: Object.fromEntries(Object.entries(grads).map(([v, g]) => [names.get(v)!, g.dataSync() as Float32Array])) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

function assertClose(a: number, b: number, what: string, tol = REL_TOL): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: native ${a} vs tfjs ${b}`);
}

function assertGradsClose(native: Evaluated, plain: Evaluated, what: string): void {
  assert.deepEqual(Object.keys(native.grads).sort(), Object.keys(plain.grads).sort());
  for (const [name, ref] of Object.entries(plain.grads)) {
    const got = native.grads[name]!;
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < ref.length; i++) {
      scale = Math.max(scale, Math.abs(ref[i]!));
      diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
    }
    assert.ok(scale > 0, `${what}: gradient of ${name} is all zero`);
    assert.ok(diff <= REL_TOL * scale, `${what}: gradient of ${name} differs by ${diff} (max |g| ${scale})`);
  }
}

function compareLoss(model: MMaDA, batch: MaskedBatch, what: string): void {
  const native = lossAndGrads(model, batch, "native");
  const plain = lossAndGrads(model, batch, "tfjs");
  assertClose(native.loss, plain.loss, `${what}: loss`);
  for (const [task, v] of Object.entries(plain.parts)) assertClose(native.parts[task]!, v, `${what}: part ${task}`);
  assertGradsClose(native, plain, what);
}

function logits(model: MMaDA, batch: MaskedBatch, kernels: Kernels): Float32Array {
  const y = tf.tidy(() => forward(model, tf.tensor2d(batch.inputIds, [batch.batch, batch.length], "int32"), { kernels }));
  const out = y.dataSync() as Float32Array;
  y.dispose();
  return out;
}

describe("native kernels", () => {
  it("give the logits, loss parts and gradients of the tfjs path on random small configs", (t) => {
    if (!needsNative(t)) return;
    const rng = new Rng(7);
    for (let trial = 0; trial < 6; trial++) {
      const nHeads = 1 + rng.int(4);
      const config = makeConfig({
        textVocabSize: tok.vocabSize, textLength: 10 + rng.int(16), gridH: 1 + rng.int(3), gridW: 1 + rng.int(3),
        codebookSize: 4 + rng.int(13), dModel: nHeads * 2 * (1 + rng.int(8)), nHeads, nLayers: 1 + rng.int(3), mlpHidden: 8 + rng.int(90),
        ropeBase: trial % 2 ? 10000 : 500, normEps: trial % 3 ? 1e-5 : 1e-3,
      });
      // One row, a few rows, and enough rows for several shards with a short last one.
      const rows = [1, 2 + rng.int(6), 30 + rng.int(9)][trial % 3]!;
      const model = jittered(config, 100 + trial);
      const batch = mixedBatch(config, rows, rng);
      const what = `trial ${trial} (d${config.dModel} h${config.nHeads} l${config.nLayers} f${config.mlpHidden}, B=${rows}, L=${batch.length})`;
      const [a, b] = [logits(model, batch, "native"), logits(model, batch, "tfjs")];
      const scale = Math.max(...b.map(Math.abs));
      a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= REL_TOL * scale, `${what}: logit ${i}: ${x} vs ${b[i]}`));
      compareLoss(model, batch, what);
      disposeModel(model);
    }
  });

  it("give the gradients of the tfjs path on the default config (batch 16)", (t) => {
    if (!needsNative(t)) return;
    const model = createModel(DEFAULT_CONFIG, new Rng(0));
    compareLoss(model, mixedBatch(DEFAULT_CONFIG, 16, new Rng(1)), "default config");
    disposeModel(model);
  });

  it("differentiate a loss on the logits (UniGRPO's log-probs) like the tfjs path", (t) => {
    if (!needsNative(t)) return;
    const config = makeConfig({ textVocabSize: tok.vocabSize, textLength: 12, gridH: 2, gridW: 2, codebookSize: 8, dModel: 32, nHeads: 2, nLayers: 2, mlpHidden: 40 });
    const model = jittered(config, 5);
    const batch = mixedBatch(config, 6, new Rng(6));
    const shape: [number, number] = [batch.batch, batch.length];
    const run = (kernels: Kernels): Evaluated => {
      const names = new Map(Object.entries(model.params).map(([k, v]) => [v.name, k]));
      const { value, grads } = tf.variableGrads(() => {
        const lp = tokenLogProbs(forward(model, tf.tensor2d(batch.inputIds, shape, "int32"), { kernels }), tf.tensor2d(batch.labels, shape, "int32"), tf.tensor2d(batch.masked, shape));
        return tf.neg(tf.sum(tf.mul(lp, tf.linspace(0.5, 1.5, shape[1])))) as tf.Scalar;
      }, Object.values(model.params));
      const out = { loss: value.dataSync()[0]!, parts: {}, grads: Object.fromEntries(Object.entries(grads).map(([v, g]) => [names.get(v)!, g.dataSync() as Float32Array])) };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const [native, plain] = [run("native"), run("tfjs")];
    assertClose(native.loss, plain.loss, "loss on logits");
    assertGradsClose(native, plain, "loss on logits");
    disposeModel(model);
  });

  it("give bit-identical results with 1 and 2 threads", (t) => {
    if (!needsNative(t)) return;
    const model = createModel(DEFAULT_CONFIG, new Rng(3));
    const batch = mixedBatch(DEFAULT_CONFIG, 16, new Rng(4));
    const runs = [1, 2].map((n) => {
      useThreads(n);
      return { ...lossAndGrads(model, batch, "native"), logits: logits(model, batch, "native") };
    });
    useThreads(threadsBefore);
    const [one, two] = runs as [(typeof runs)[0], (typeof runs)[0]];
    assert.equal(two.loss, one.loss);
    assert.deepEqual(two.parts, one.parts);
    assert.deepEqual(two.logits, one.logits);
    for (const name of Object.keys(one.grads)) assert.deepEqual(two.grads[name], one.grads[name], `gradient of ${name}`);
    disposeModel(model);
  });

  it(`train ${CURVE_STEPS} steps (fused loss + fused AdamW) on the loss curve of the tfjs path`, (t) => {
    if (!needsNative(t)) return;
    const config = makeConfig({ textVocabSize: tok.vocabSize, textLength: 16, gridH: 2, gridW: 2, codebookSize: 8, dModel: 48, nHeads: 2, nLayers: 2, mlpHidden: 96 });
    const data = new Rng(9);
    const batches = Array.from({ length: CURVE_STEPS }, () => mixedBatch(config, 8, data));
    const curve = (kernels: Kernels) => {
      const model = createModel(config, new Rng(10));
      const optimizer = new AdamW(model.params, { kernels });
      const losses = batches.map((batch, step) =>
        gradientStep({ params: model.params, loss: () => mixedLoss(model, batch, STAGE1_COEFFICIENTS, { training: true, kernels }), optimizer, lr: 1e-3, step }).loss);
      optimizer.dispose();
      disposeModel(model);
      return losses;
    };
    const [native, plain] = [curve("native"), curve("tfjs")];
    assert.ok(plain[CURVE_STEPS - 1]! < plain[0]! * 0.8, `the model should learn: ${plain[0]} -> ${plain[CURVE_STEPS - 1]}`);
    native.forEach((x, i) => assertClose(x, plain[i]!, `step ${i}`, CURVE_TOL));
    t.diagnostic(`max |loss difference| over ${CURVE_STEPS} steps: ${Math.max(...native.map((x, i) => Math.abs(x - plain[i]!))).toExponential(2)}`);
  });

  it("run AdamW with clipping like the tfjs ops, moments included (getState)", (t) => {
    if (!needsNative(t)) return;
    const rng = new Rng(12);
    const shapes: Record<string, number[]> = { w: [7, 5], g: [5], e: [3, 4] };
    const make = () => {
      const init = new Rng(13);
      return Object.fromEntries(Object.entries(shapes).map(([n, s]) =>
        [n, tf.variable(tf.tensor(init.fill(s.reduce((a, b) => a * b, 1), () => 0.5 * init.normal()), s), true)])) as Record<string, tf.Variable>;
    };
    const grads = Array.from({ length: 6 }, () => Object.fromEntries(Object.entries(shapes).map(([n, s]) =>
      [n, rng.fill(s.reduce((a, b) => a * b, 1), () => 3 * rng.normal())])));
    const run = (kernels: Kernels) => {
      const params = make();
      const opt = new AdamW(params, { kernels });
      const norms = grads.map((g, i) => {
        const gt = Object.fromEntries(Object.entries(g).map(([n, v]) => [n, tf.tensor(v, shapes[n])]));
        const norm = i % 2 ? opt.clipAndStep(gt, 1, 1e-2) : (opt.step(gt, 1e-2), 0);
        tf.dispose(Object.values(gt));
        return norm;
      });
      const state = opt.getState();
      const out = { norms, params: Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.dataSync() as Float32Array])),
        slots: Object.fromEntries(Object.entries(state.slots).map(([n, v]) => [n, v.dataSync() as Float32Array])) };
      tf.dispose(Object.values(state.slots));
      opt.dispose();
      tf.dispose(Object.values(params));
      return out;
    };
    const [native, plain] = [run("native"), run("tfjs")];
    native.norms.forEach((n, i) => assertClose(n, plain.norms[i]!, `norm ${i}`, 1e-6));
    for (const [what, a, b] of [["param", native.params, plain.params], ["slot", native.slots, plain.slots]] as const) {
      for (const [n, ref] of Object.entries(b)) {
        ref.forEach((x, i) => assert.ok(Math.abs(a[n]![i]! - x) <= 1e-6 * Math.max(1, Math.abs(x)), `${what} ${n}[${i}]: ${a[n]![i]} vs ${x}`));
      }
    }
  });

  it("leak no tensors over training steps and inference calls", (t) => {
    if (!needsNative(t)) return;
    const config = makeConfig({ textVocabSize: tok.vocabSize, textLength: 12, gridH: 2, gridW: 2, codebookSize: 8, dModel: 32, nHeads: 2, nLayers: 2, mlpHidden: 64 });
    const model = createModel(config, new Rng(1));
    const optimizer = new AdamW(model.params, { kernels: "native" });
    const rng = new Rng(2);
    const counts: number[] = [];
    for (let step = 0; step < 20; step++) {
      const batch = mixedBatch(config, 4, rng);
      gradientStep({ params: model.params, loss: () => mixedLoss(model, batch, STAGE1_COEFFICIENTS, { training: true, kernels: "native" }), optimizer, lr: 1e-3, step });
      logits(model, batch, "native");
      counts.push(tf.memory().numTensors);
    }
    assert.equal(counts[19], counts[2], `tensors: ${counts.join(" ")}`);
    optimizer.dispose();
    disposeModel(model);
  });

  it("leave dropout to the tfjs path, and say why when native kernels are demanded for it", (t) => {
    if (!needsNative(t)) return;
    const config = makeConfig({ textVocabSize: tok.vocabSize, textLength: 10, gridH: 1, gridW: 2, codebookSize: 4, dModel: 16, nHeads: 2, nLayers: 1, mlpHidden: 16, dropout: 0.1 });
    const model = createModel(config, new Rng(1));
    const batch = mixedBatch(config, 2, new Rng(2));
    assert.throws(() => mixedLoss(model, batch, STAGE1_COEFFICIENTS, { training: true, rng: new Rng(3), kernels: "native" }), /native kernels do not implement dropout/);
    // Inference has no dropout: native is fine there.
    assert.equal(logits(model, batch, "native").length, batch.batch * batch.length * (config.textVocabSize + config.codebookSize));
    disposeModel(model);
  });

  it("reject token ids outside the vocabulary with a clear error", (t) => {
    if (!needsNative(t)) return;
    const config = makeConfig({ textVocabSize: tok.vocabSize, textLength: 8, gridH: 1, gridW: 2, codebookSize: 4, dModel: 16, nHeads: 2, nLayers: 1, mlpHidden: 16 });
    const model = createModel(config, new Rng(1));
    assert.throws(() => forward(model, tf.tensor2d([[0, 1, 100000]], [1, 3], "int32"), { kernels: "native" }), /token id 100000 outside the vocabulary/);
    assert.equal(nativeAddon().threads() >= 1, true);
    disposeModel(model);
  });
});
