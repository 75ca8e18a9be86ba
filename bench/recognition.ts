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
import { DIGIT_NAMES, type Split, type Tokens, imageCodes, readDataset, readTokens } from "../mmada/data.ts";
import { loadModelCheckpoint } from "../mmada/training.ts";
import { initBackend } from "../model/backend.ts";
import { makeConfig, type ModelConfig } from "../model/config.ts";
import { gradientStep } from "../model/gradient-step.ts";
import { layoutContext, mmuLayout, type Layout, type LayoutContext } from "../model/layouts.ts";
import { mixedLoss, tokenLogProbs } from "../model/loss.ts";
import { maskBatch } from "../model/masking.ts";
import { AdamW } from "../model/optim.ts";
import { Rng } from "../model/rng.ts";
import { cosineWithWarmup } from "../model/schedule.ts";
import { CharTokenizer } from "../model/text-tokenizer.ts";
import { createModel, forward, type MMaDA } from "../model/transformer.ts";
import { MASK_ID } from "../model/vocab.ts";
import { readFlags } from "./kit.ts";

const QUESTION = "which digit?";
const BATCH = 32;
const SCORED = 200;

const flags = readFlags(process.argv.slice(2), "npm run bench:recognition -- --tokens DIR --dataset DIR");
type Images = "codes" | "label" | "first";

/** Every flag, read and checked before any work starts. */
function options() {
  const images = flags.text("--images", "codes");
  if (!["codes", "label", "first"].includes(images)) throw new Error(`--images ${images}: use codes, label or first`);
  return {
    tokens: flags.text("--tokens"),
    dataset: flags.text("--dataset"),
    checkpoint: flags.has("--checkpoint") ? flags.text("--checkpoint") : undefined,
    images: images as Images,
    steps: flags.positive("--steps", "600", true),
    every: flags.positive("--every", "150", true),
    lr: flags.positive("--lr", "0.002", false),
  };
}

interface Digits {
  split: Split;
  labels: number[];
  codes: (i: number) => Int32Array;
}

function digits(tokens: Tokens, labels: number[], split: Split, images: Images): Digits {
  const n = tokens.meta.tokensPerImage;
  const codes = (i: number): Int32Array => {
    if (images === "label") return new Int32Array(n).fill(labels[i]!);
    const real = imageCodes(tokens, split, i);
    return images === "first" ? new Int32Array(n).fill(real[0]!) : real;
  };
  return { split, labels, codes };
}

/** A sparse feature row: the non-zero columns and their values. */
interface Sparse {
  cols: number[];
  vals: number[];
}

/** Softmax regression by full-batch gradient descent over `d` columns; returns test accuracy. */
function linearProbe(d: number, xTrain: Sparse[], yTrain: number[], xTest: Sparse[], yTest: number[], iters = 500, lr = 1): number {
  const w = new Float64Array(d * 10);
  const b = new Float64Array(10);
  const scores = (x: Sparse): Float64Array => {
    const z = Float64Array.from(b);
    x.cols.forEach((j, n) => {
      for (let k = 0; k < 10; k++) z[k]! += x.vals[n]! * w[j * 10 + k]!;
    });
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
        x.cols.forEach((j, n) => (gw[j * 10 + k]! += g * x.vals[n]!));
      }
    });
    for (let j = 0; j < w.length; j++) w[j]! -= (lr * gw[j]!) / xTrain.length;
    for (let k = 0; k < 10; k++) b[k]! -= (lr * gb[k]!) / xTrain.length;
  }
  const argmax = (z: Float64Array) => z.indexOf(Math.max(...z));
  return xTest.filter((x, i) => argmax(scores(x)) === yTest[i]).length / xTest.length;
}

/** One-hot codes by position (columns p * k + code), or the bag of codes (columns code, counts). */
function features(d: Digits, count: number, k: number, bag: boolean): Sparse[] {
  return Array.from({ length: count }, (_, i) => {
    const counts = new Map<number, number>();
    d.codes(i).forEach((code, p) => {
      const col = bag ? code : p * k + code;
      counts.set(col, (counts.get(col) ?? 0) + 1);
    });
    return { cols: [...counts.keys()], vals: [...counts.values()] };
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
    const clean = new Int32Array(rows.length * L);
    const answer = new Int32Array(rows.length * L); // 1 over each row's answer region (name + EOS padding)
    rows.forEach((r, j) => {
      clean.set(r.ids, j * L);
      answer.fill(1, j * L + r.answerStart, (j + 1) * L);
    });
    const masked = clean.map((id, k) => (answer[k] ? MASK_ID : id));
    // log p(name and padding | image, question, answer fully masked), summed per row: [rows]
    const perRow = tf.tidy(() => {
      const shape: [number, number] = [rows.length, L];
      const logits = forward(model, tf.tensor2d(masked, shape, "int32"));
      return tf.sum(tokenLogProbs(logits, tf.tensor2d(clean, shape, "int32"), tf.tensor2d(answer, shape, "int32")), 1);
    });
    const score = (await perRow.data()) as Float32Array;
    perRow.dispose();
    items.forEach((i, n) => {
      const names = Array.from(score.subarray(n * 10, (n + 1) * 10));
      const best = names.indexOf(Math.max(...names));
      chosen[best]!++;
      if (best === d.labels[i]) right++;
    });
  }
  return { accuracy: right / count, chosen };
}

async function trainToRead(config: ModelConfig, ctx: LayoutContext, train: Digits, val: Digits, steps: number, every: number, peak: number): Promise<void> {
  const model = createModel(config, new Rng(0));
  const optimizer = new AdamW(model.params, { weightDecay: 0.01 });
  const lr = cosineWithWarmup({ peakLr: peak, minLr: peak / 10, warmupSteps: Math.min(50, steps), totalSteps: steps });
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
  const o = options();
  console.log(`backend ${await initBackend()}`);
  const tokens = await readTokens(o.tokens);
  const dataset = await readDataset(o.dataset);
  const of = (split: Split) => digits(tokens, dataset.splits[split].images.labels, split, o.images);
  const [train, val, test] = [of("train"), of("val"), of("test")];
  const k = tokens.meta.codebookSize;
  const n = tokens.meta.tokensPerImage;
  console.log(`${n} tokens per image, ${k} codes, images: ${o.images}; ${train.labels.length} training digits`);

  if (o.checkpoint) {
    const { model, tokenizer } = await loadModelCheckpoint(o.checkpoint);
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
  const oneHot = linearProbe(n * k, features(train, probeTrain, k, false), y(train, probeTrain), features(test, test.labels.length, k, false), test.labels);
  const bag = linearProbe(k, features(train, probeTrain, k, true), y(train, probeTrain), features(test, test.labels.length, k, true), test.labels, 1500, 0.5);
  console.log(`linear probe on ${probeTrain} training digits, test digits read: one-hot codes ${oneHot.toFixed(3)}, bag of codes ${bag.toFixed(3)}`);

  const tok = new CharTokenizer();
  const config = makeConfig({ textVocabSize: tok.vocabSize, codebookSize: k, gridH: tokens.meta.gridH, gridW: tokens.meta.gridW, seed: 0 });
  console.log(`a fresh model trained on "${QUESTION}" -> name, batch ${BATCH}:`);
  await trainToRead(config, layoutContext(config, tok), train, val, o.steps, o.every, o.lr);
}

try {
  await main();
} catch (err) {
  console.error(`bench:recognition: ${(err as Error).message}`);
  process.exitCode = 1;
}
