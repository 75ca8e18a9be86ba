// `npm run bench:recognition`: can the model read a digit from its image tokens? A diagnostic, not
// a score (BENCHMARKS.md "Main job: what was wrong" has what it found). Given a run's `tokens` and
// `dataset` artifacts (paths from `mmada lineage <run>`) it prints
//   1. the information ceiling: a linear probe (softmax regression) from the codes to the digit,
//      on the one-hot codes by position and on the bag of codes (what position-free values can sum);
//   2. whether a fresh default-size model learns to read: trained on "which digit?" -> name with the
//      paper's masking and loss (mmu layout, EOS padding), scored on validation digits every
//      --every steps by the likelihood of each of the ten names (the answer region fully masked);
//   3. with --checkpoint, the same scoring of a trained model on training and test digits, with the
//      names it chooses (a model that ignores the image picks one name for every digit).
// --images label|first replaces the codes with controls: the label's code (or the first code)
// repeated over every position.
//   npm run bench:recognition -- --tokens <artifacts/../tokens> --dataset <artifacts/../dataset>
//     [--steps 600] [--every 150] [--lr 0.002] [--images codes|label|first] [--checkpoint model.ckpt]
import * as tf from "@tensorflow/tfjs-core";
import { readDataset } from "../activities/mmada/dataset.ts";
import { loadModelCheckpoint } from "../activities/mmada/model-io.ts";
import { imageCodes, readTokens, type Tokens } from "../activities/mmada/tokens-artifact.ts";
import type { Split } from "../activities/mmada/data/vocab.ts";
import { DIGIT_NAMES } from "../activities/mmada/data/templates.ts";
import { initBackend } from "../model/backend.ts";
import { makeConfig } from "../model/config.ts";
import { gradientStep } from "../model/gradient-step.ts";
import { layoutContext, mmuLayout, type Layout, type LayoutContext } from "../model/layouts.ts";
import { mixedLoss } from "../model/loss.ts";
import { maskBatch } from "../model/masking.ts";
import { AdamW } from "../model/optim.ts";
import { Rng } from "../model/rng.ts";
import { cosineWithWarmup } from "../model/schedule.ts";
import { CharTokenizer } from "../model/text-tokenizer.ts";
import { createModel, forward, type MMaDA } from "../model/transformer.ts";
import { MASK_ID } from "../model/vocab.ts";

const QUESTION = "which digit?";
const BATCH = 32;
const SCORED = 200;

const args = process.argv.slice(2);
const valueOf = (flag: string, fallback?: string): string => {
  const i = args.indexOf(flag);
  const v = i >= 0 ? args[i + 1] : fallback;
  if (v === undefined) throw new Error(`${flag} is required (npm run bench:recognition -- --tokens DIR --dataset DIR)`);
  return v;
};
const IMAGES = valueOf("--images", "codes");
if (!["codes", "label", "first"].includes(IMAGES)) throw new Error(`--images ${IMAGES}: use codes, label or first`);

interface Digits {
  split: Split;
  labels: number[];
  codes: (i: number) => Int32Array;
}

function digits(tokens: Tokens, labels: number[], split: Split): Digits {
  const n = tokens.meta.tokensPerImage;
  const codes = (i: number): Int32Array => {
    if (IMAGES === "label") return new Int32Array(n).fill(labels[i]!);
    const real = imageCodes(tokens, split, i);
    return IMAGES === "first" ? new Int32Array(n).fill(real[0]!) : real;
  };
  return { split, labels, codes };
}

/** Softmax regression by full-batch gradient descent; returns test accuracy. */
function linearProbe(xTrain: Float32Array[], yTrain: number[], xTest: Float32Array[], yTest: number[], iters = 500, lr = 1): number {
  const d = xTrain[0]!.length;
  const w = new Float32Array(d * 10);
  const b = new Float32Array(10);
  const scores = (x: Float32Array): Float64Array => {
    const z = new Float64Array(10);
    for (let k = 0; k < 10; k++) z[k] = b[k]!;
    for (let j = 0; j < d; j++) if (x[j] !== 0) for (let k = 0; k < 10; k++) z[k]! += x[j]! * w[j * 10 + k]!;
    return z;
  };
  for (let it = 0; it < iters; it++) {
    const gw = new Float64Array(d * 10);
    const gb = new Float64Array(10);
    xTrain.forEach((x, i) => {
      const z = scores(x);
      const max = Math.max(...z);
      let sum = 0;
      for (let k = 0; k < 10; k++) sum += (z[k] = Math.exp(z[k]! - max));
      for (let k = 0; k < 10; k++) {
        const g = z[k]! / sum - (k === yTrain[i] ? 1 : 0);
        gb[k]! += g;
        for (let j = 0; j < d; j++) if (x[j] !== 0) gw[j * 10 + k]! += g * x[j]!;
      }
    });
    for (let j = 0; j < w.length; j++) w[j]! -= (lr * gw[j]!) / xTrain.length;
    for (let k = 0; k < 10; k++) b[k]! -= (lr * gb[k]!) / xTrain.length;
  }
  const argmax = (z: Float64Array) => z.indexOf(Math.max(...z));
  return xTest.filter((x, i) => argmax(scores(x)) === yTest[i]).length / xTest.length;
}

function features(d: Digits, count: number, k: number, bag: boolean): Float32Array[] {
  return Array.from({ length: count }, (_, i) => {
    const c = d.codes(i);
    const x = new Float32Array(bag ? k : c.length * k);
    c.forEach((code, p) => (x[(bag ? 0 : p * k) + code]! += 1));
    return x;
  });
}

/** Likelihood-scored ten-way choice over the first `count` digits: accuracy and chosen names. */
async function readAccuracy(model: MMaDA, ctx: LayoutContext, d: Digits, count: number): Promise<{ accuracy: number; chosen: number[] }> {
  const L = ctx.length;
  const chosen = new Array<number>(10).fill(0);
  let right = 0;
  const PER_CALL = 16;
  for (let lo = 0; lo < count; lo += PER_CALL) {
    const items = Array.from({ length: Math.min(PER_CALL, count - lo) }, (_, j) => lo + j);
    const rows = items.flatMap((i) => DIGIT_NAMES.map((name) => mmuLayout(ctx, d.codes(i), QUESTION, name)));
    const ids = new Int32Array(rows.length * L);
    rows.forEach((r, j) => {
      ids.set(r.ids, j * L);
      ids.fill(MASK_ID, j * L + r.answerStart, (j + 1) * L);
    });
    const logp = tf.tidy(() => tf.logSoftmax(forward(model, tf.tensor2d(ids, [rows.length, L], "int32"))));
    const lp = (await logp.data()) as Float32Array;
    logp.dispose();
    const V = lp.length / (rows.length * L);
    items.forEach((i, n) => {
      const score = DIGIT_NAMES.map((_, digit) => {
        const j = n * 10 + digit;
        const r = rows[j]!;
        let s = 0;
        for (let p = r.answerStart; p < L; p++) s += lp[(j * L + p) * V + r.ids[p]!]!;
        return s;
      });
      const best = score.indexOf(Math.max(...score));
      chosen[best]!++;
      if (best === d.labels[i]) right++;
    });
  }
  return { accuracy: right / count, chosen };
}

async function trainToRead(ctx: LayoutContext, train: Digits, val: Digits, steps: number, every: number, peak: number): Promise<void> {
  const config = makeConfig({ textVocabSize: ctx.textVocabSize, codebookSize: ctx.codebookSize, gridH: Math.sqrt(ctx.imageTokens), gridW: Math.sqrt(ctx.imageTokens), seed: 0 });
  const model = createModel(config, new Rng(0));
  const optimizer = new AdamW(model.params, { weightDecay: 0.01 });
  const lr = cosineWithWarmup({ peakLr: peak, minLr: peak / 10, warmupSteps: 50, totalSteps: steps });
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) {
    const rng = new Rng(1000 + step);
    const layouts: Layout[] = Array.from({ length: BATCH }, () => {
      const i = rng.int(train.labels.length);
      return mmuLayout(ctx, train.codes(i), QUESTION, DIGIT_NAMES[train.labels[i]!]!);
    });
    const info = gradientStep({
      params: model.params,
      loss: () => mixedLoss(model, maskBatch(layouts, rng, config.maskEps), { t2i: 1, lm: 1, mmu: 1 }).total,
      optimizer,
      lr: lr(step),
      step,
    });
    if ((step + 1) % every === 0 || step + 1 === steps) {
      const { accuracy } = await readAccuracy(model, ctx, val, Math.min(SCORED, val.labels.length));
      console.log(`  step ${step + 1}: loss ${info.loss.toFixed(3)}, validation digits read ${accuracy.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
  optimizer.dispose();
  tf.dispose(Object.values(model.params));
}

async function main(): Promise<void> {
  console.log(`backend ${await initBackend()}`);
  const tokens = await readTokens(valueOf("--tokens"));
  const dataset = await readDataset(valueOf("--dataset"));
  const of = (split: Split) => digits(tokens, dataset.splits[split].images.labels, split);
  const [train, val, test] = [of("train"), of("val"), of("test")];
  const k = tokens.meta.codebookSize;
  const n = tokens.meta.tokensPerImage;
  console.log(`${n} tokens per image, ${k} codes, images: ${IMAGES}; ${train.labels.length} training digits`);

  const checkpoint = args.includes("--checkpoint") ? valueOf("--checkpoint") : undefined;
  if (checkpoint) {
    const { model, tokenizer } = await loadModelCheckpoint(checkpoint);
    const ctx = layoutContext(model.config, tokenizer);
    for (const d of [train, test]) {
      const { accuracy, chosen } = await readAccuracy(model, ctx, d, Math.min(SCORED, d.labels.length));
      console.log(`checkpoint reads ${accuracy.toFixed(3)} of ${d.split} digits; names chosen ${chosen.map((c, i) => `${DIGIT_NAMES[i]} ${c}`).join(", ")}`);
    }
    tf.dispose(Object.values(model.params));
    return;
  }

  const probeTrain = Math.min(train.labels.length, 3000);
  const y = (d: Digits, count: number) => d.labels.slice(0, count);
  const oneHot = linearProbe(features(train, probeTrain, k, false), y(train, probeTrain), features(test, test.labels.length, k, false), test.labels);
  const bag = linearProbe(features(train, probeTrain, k, true), y(train, probeTrain), features(test, test.labels.length, k, true), test.labels, 1500, 0.5);
  console.log(`linear probe on ${probeTrain} training digits, test digits read: one-hot codes ${oneHot.toFixed(3)}, bag of codes ${bag.toFixed(3)}`);

  const tok = new CharTokenizer();
  const ctx = layoutContext(makeConfig({ textVocabSize: tok.vocabSize, codebookSize: k, gridH: Math.sqrt(n), gridW: Math.sqrt(n) }), tok);
  const steps = Number(valueOf("--steps", "600"));
  console.log(`a fresh model trained on "${QUESTION}" -> name, batch ${BATCH}:`);
  await trainToRead(ctx, train, val, steps, Number(valueOf("--every", "150")), Number(valueOf("--lr", "0.002")));
}

await main();
