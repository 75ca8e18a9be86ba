// A small MLP digit classifier on raw pixels, frozen after training. At tiny scale it stands in for
// the paper's scorers (docs/mmada.md §4): CLIP-like = probability of the prompted class of a generated
// image; ImageReward-like = its margin, the prompted class's probability minus the best other
// class's (confidence alone would reward a confident wrong digit). With numClasses=2
// the same code trains a real-vs-generated critic.
import * as tf from "@tensorflow/tfjs-core";
import { assignParams, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { addMlpParams, mlpForward } from "./dense.ts";
import { gatherRows } from "./images.ts";
import { AdamW } from "./optim.ts";
import { Rng } from "./rng.ts";
import { cosineWithWarmup, type LrSchedule } from "./schedule.ts";
import { gradientStep, type StepInfo } from "./gradient-step.ts";
import type { Params } from "./ops.ts";

export interface ClassifierConfig {
  inputSize: number;
  hidden: number[];
  numClasses: number;
  /** Images side (for shift augmentation); inputSize must equal imageSize^2. */
  imageSize: number;
}

export const DEFAULT_CLASSIFIER_CONFIG: ClassifierConfig = { inputSize: 784, hidden: [256, 128], numClasses: 10, imageSize: 28 };

export interface Classifier {
  config: ClassifierConfig;
  params: Params;
}

export function validateClassifierConfig(c: ClassifierConfig): string[] {
  const errors: string[] = [];
  if (c.inputSize !== c.imageSize * c.imageSize) errors.push(`inputSize ${c.inputSize} must be imageSize^2 (${c.imageSize}^2)`);
  if (!(Number.isInteger(c.numClasses) && c.numClasses >= 2)) errors.push(`numClasses must be an integer >= 2, got ${c.numClasses}`);
  if (!c.hidden.every((h) => Number.isInteger(h) && h > 0)) errors.push(`hidden sizes must be positive integers, got [${c.hidden}]`);
  return errors;
}

export function createClassifier(config: ClassifierConfig, rng: Rng): Classifier {
  const errors = validateClassifierConfig(config);
  if (errors.length > 0) throw new Error(`invalid classifier config: ${errors.join("; ")}`);
  const params: Params = {};
  addMlpParams(params, rng, "mlp", [config.inputSize, ...config.hidden, config.numClasses]);
  return { config, params };
}

/** images [B, inputSize] -> logits [B, C]. */
export function classifierLogits(clf: Classifier, images: tf.Tensor2D): tf.Tensor2D {
  return mlpForward(clf.params, "mlp", images);
}

/** Mean cross-entropy of the labels [B]. */
export function classifierLoss(clf: Classifier, images: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(classifierLogits(clf, images)); // [B, C]
    const target = tf.oneHot(tf.tensor1d(labels, "int32"), clf.config.numClasses); // [B, C]
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, target), 1))) as tf.Scalar;
  });
}

export interface DigitData {
  /** [n, inputSize] row-major. */
  images: Float32Array;
  labels: Int32Array;
}

export interface TrainClassifierOptions {
  steps: number;
  batchSize?: number;
  /** Peak LR of the cosine schedule (warmup 5% of steps). */
  lr?: number;
  rng: Rng;
  /** Random translation by up to this many pixels per image (robustness to generated digits). */
  maxShift?: number;
  onStep?(info: StepInfo): void;
}

const DEFAULT_BATCH = 64;
const DEFAULT_LR = 2e-3;
const WARMUP_FRACTION = 0.05;

/** What each classifier update needs: the data, the optimizer and schedule, the batch stream. */
export interface ClassifierTraining {
  clf: Classifier;
  data: DigitData;
  optimizer: AdamW;
  lr: LrSchedule;
  batch: number;
  maxShift: number;
  rng: Rng;
}

/** AdamW + cosine schedule over `steps`; the caller disposes `optimizer`. */
export function classifierTraining(clf: Classifier, data: DigitData, opts: TrainClassifierOptions): ClassifierTraining {
  const n = data.labels.length;
  if (data.images.length !== n * clf.config.inputSize) {
    throw new Error(`trainClassifier: ${data.images.length} pixels for ${n} labels; expected ${n * clf.config.inputSize} (${clf.config.inputSize} per image)`);
  }
  return {
    clf,
    data,
    optimizer: new AdamW(clf.params),
    lr: cosineWithWarmup({ peakLr: opts.lr ?? DEFAULT_LR, warmupSteps: Math.floor(opts.steps * WARMUP_FRACTION), totalSteps: opts.steps }),
    batch: opts.batchSize ?? DEFAULT_BATCH,
    maxShift: opts.maxShift ?? 0,
    rng: opts.rng,
  };
}

/** One update on a random batch, each image shifted by up to maxShift pixels. */
export function classifierStep(t: ClassifierTraining, step: number): StepInfo {
  const { clf, data, rng } = t;
  const { inputSize, imageSize } = clf.config;
  return gradientStep({
    params: clf.params,
    loss: () => {
      const idx = Array.from({ length: t.batch }, () => rng.int(data.labels.length));
      const labels = Int32Array.from(idx, (i) => data.labels[i]!);
      const x = t.maxShift ? shiftedRows(data.images, imageSize, idx, t.maxShift, rng) : gatherRows(data.images, inputSize, idx);
      return classifierLoss(clf, x, labels);
    },
    optimizer: t.optimizer,
    lr: t.lr(step),
    step,
  });
}

/** Trains in place for `steps` updates (the step kind runs classifierStep in its resumable loop). */
export async function trainClassifier(clf: Classifier, data: DigitData, opts: TrainClassifierOptions): Promise<{ lastLoss: number }> {
  const t = classifierTraining(clf, data, opts);
  let lastLoss = Number.NaN;
  try {
    for (let step = 0; step < opts.steps; step++) {
      const info = classifierStep(t, step);
      lastLoss = info.loss;
      opts.onStep?.(info);
    }
    return { lastLoss };
  } finally {
    t.optimizer.dispose();
  }
}

/** Rows `idx`, each translated by a random (dy, dx) in [-maxShift, maxShift], zero fill. */
function shiftedRows(images: Float32Array, side: number, idx: number[], maxShift: number, rng: Rng): tf.Tensor2D {
  const px = side * side;
  const out = new Float32Array(idx.length * px);
  for (let r = 0; r < idx.length; r++) {
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    const src = idx[r]! * px;
    for (let y = 0; y < side; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= side) continue;
      for (let x = 0; x < side; x++) {
        const sx = x - dx;
        if (sx >= 0 && sx < side) out[r * px + y * side + x] = images[src + sy * side + sx]!;
      }
    }
  }
  return tf.tensor2d(out, [idx.length, px]);
}

/** Class probabilities [B*C] (row-major [B, C]) for images [B, inputSize]. */
export function predictProbs(clf: Classifier, images: tf.Tensor2D): Float32Array {
  const probs = tf.tidy(() => tf.softmax(classifierLogits(clf, images)));
  const out = probs.dataSync() as Float32Array;
  probs.dispose();
  return out;
}

export interface ImageScores {
  /** CLIP-like: probability of the prompted class. */
  clip: Float32Array;
  /** Max class probability (how clearly it is SOME digit; earned by any confident digit). */
  confidence: Float32Array;
  /** ImageReward-like: probability of the prompted class minus the best other class's, in [-1, 1]:
   *  high only when the image is clearly the PROMPTED digit, -1 for a confident wrong one. */
  margin: Float32Array;
  predicted: Int32Array;
}

/** Scores generated images [B, inputSize] against their prompted classes [B]. */
export function scoreImages(clf: Classifier, images: tf.Tensor2D, prompted: Int32Array): ImageScores {
  const c = clf.config.numClasses;
  const b = images.shape[0];
  if (prompted.length !== b) throw new Error(`scoreImages: ${prompted.length} prompted classes for ${b} images`);
  const probs = predictProbs(clf, images);
  const clip = new Float32Array(b);
  const confidence = new Float32Array(b);
  const margin = new Float32Array(b);
  const predicted = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    const row = probs.subarray(i * c, (i + 1) * c);
    const want = prompted[i]!;
    if (!(want >= 0 && want < c)) throw new Error(`scoreImages: prompted class ${want} outside [0, ${c})`);
    let best = 0;
    let bestOther = -1;
    for (let k = 0; k < c; k++) {
      if (row[k]! > row[best]!) best = k;
      if (k !== want && (bestOther < 0 || row[k]! > row[bestOther]!)) bestOther = k;
    }
    clip[i] = row[want]!;
    confidence[i] = row[best]!;
    margin[i] = row[want]! - row[bestOther]!;
    predicted[i] = best;
  }
  return { clip, confidence, margin, predicted };
}

/** Fraction of images [n, inputSize] whose argmax class equals the label (evaluated in chunks). */
export function accuracy(clf: Classifier, data: DigitData, chunk = 500): number {
  const n = data.labels.length;
  let correct = 0;
  for (let start = 0; start < n; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, n - start) }, (_, i) => start + i);
    const x = gatherRows(data.images, clf.config.inputSize, idx);
    const { predicted } = scoreImages(clf, x, Int32Array.from(idx, (i) => data.labels[i]!));
    x.dispose();
    predicted.forEach((p, i) => { if (p === data.labels[idx[i]!]) correct++; });
  }
  return correct / n;
}

export async function saveClassifier(path: string, clf: Classifier, extra: Record<string, unknown> = {}) {
  return saveCheckpoint(path, { config: clf.config, params: clf.params, step: 0, extra: { kind: "classifier", ...extra } });
}

/** Loads a classifier saved by saveClassifier (verified; frozen: its variables are not trainable). */
export async function loadClassifier(path: string): Promise<Classifier> {
  const ckpt = await loadCheckpoint<ClassifierConfig>(path);
  const clf = createClassifier(ckpt.config, new Rng(0));
  assignParams(clf.params, ckpt.tensors, path);
  tf.dispose(Object.values(ckpt.tensors));
  for (const v of Object.values(clf.params)) v.trainable = false;
  return clf;
}
