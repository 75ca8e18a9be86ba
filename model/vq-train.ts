// Training the VQ-VAE of vq.ts, with the two tricks that keep a small codebook alive:
// - k-means initialisation: before the first update the codebook becomes k-means centroids of the
//   encoder outputs, so every code starts inside the data (random codes mostly never win);
// - dead-code restart: a code whose usage EMA falls far below uniform is moved onto a random encoder
//   output of the current batch (as in Jukebox / "improved VQGAN" practice).
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer } from "./optim.ts";
import type { Rng } from "./rng.ts";
import { gradientStep } from "./gradient-step.ts";
import { bincount, codebookStats, encodeLatents, nearestCodes, type Vq, vqLoss } from "./vq.ts";

/** Usage EMA decay per step: a code unused for ~60 steps drops below the dead threshold. */
export const USAGE_DECAY = 0.95;
/** Dead = usage EMA below this fraction of the uniform share 1/K. */
export const DEAD_FRACTION_OF_UNIFORM = 0.05;
export const KMEANS_ITERS = 10;

/** True once initCodebookKmeans ran (the usage EMA is all zeros before, positive after). */
export function isCodebookInitialised(vq: Vq): boolean {
  return tf.tidy(() => tf.sum(vq.params.usage!).dataSync()[0]!) > 0;
}

/** Lloyd's k-means on the encoder outputs of `images`, seeded by k-means++ (MNIST has many identical
 *  blank patches: plain random seeding picks duplicates that can never win a point). */
export function initCodebookKmeans(vq: Vq, images: tf.Tensor2D, rng: Rng, iters = KMEANS_ITERS): void {
  const k = vq.config.codebookSize;
  const d = vq.config.codeDim;
  const z = encodeLatents(vq, images); // [M, d]
  const m = z.shape[0];
  if (m < k) {
    z.dispose();
    throw new Error(`initCodebookKmeans: ${m} latents for ${k} codes; pass at least ${Math.ceil(k / (m / images.shape[0]))} images`);
  }
  let centroids = tf.tensor2d(kmeansPlusPlus(z.dataSync() as Float32Array, m, d, k, rng), [k, d]); // [K, d]
  for (let it = 0; it < iters; it++) {
    const next = tf.tidy(() => {
      const onehot = tf.oneHot(nearestCodes(z, centroids), k); // [M, K]
      const sums = tf.matMul(tf.transpose(onehot), z); // [K, d]
      const counts = tf.reshape(tf.sum(onehot, 0), [k, 1]); // [K, 1]
      // an empty cluster keeps its previous centroid
      return tf.where(tf.greater(counts, 0), tf.div(sums, tf.maximum(counts, 1)), centroids) as tf.Tensor2D;
    });
    centroids.dispose();
    centroids = next;
  }
  vq.params.codebook!.assign(centroids);
  tf.tidy(() => vq.params.usage!.assign(tf.fill([k], 1 / k)));
  tf.dispose([z, centroids]);
}

/** k-means++ seeds: each next seed drawn with probability proportional to its squared distance to
 *  the nearest seed so far (uniformly once every point coincides with a seed). */
function kmeansPlusPlus(z: Float32Array, m: number, d: number, k: number, rng: Rng): Float32Array {
  const seeds = new Float32Array(k * d);
  const best = new Float64Array(m).fill(Number.POSITIVE_INFINITY);
  let pick = rng.int(m);
  for (let c = 0; c < k; c++) {
    seeds.set(z.subarray(pick * d, (pick + 1) * d), c * d);
    let total = 0;
    for (let i = 0; i < m; i++) {
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (z[i * d + j]! - seeds[c * d + j]!) ** 2;
      if (dist < best[i]!) best[i] = dist;
      total += best[i]!;
    }
    if (total === 0) {
      pick = rng.int(m);
      continue;
    }
    let r = rng.uniform() * total;
    pick = m - 1;
    for (let i = 0; i < m; i++) {
      r -= best[i]!;
      if (r < 0) {
        pick = i;
        break;
      }
    }
  }
  return seeds;
}

/** Moves dead codes onto random encoder outputs of `images`; returns how many were revived. */
export function reviveDeadCodes(vq: Vq, images: tf.Tensor2D, rng: Rng): number {
  const k = vq.config.codebookSize;
  const usage = vq.params.usage!.dataSync();
  const dead: number[] = [];
  for (let i = 0; i < k; i++) if (usage[i]! < DEAD_FRACTION_OF_UNIFORM / k) dead.push(i);
  if (dead.length === 0) return 0;
  const d = vq.config.codeDim;
  const z = encodeLatents(vq, images); // [M, d]
  const zData = z.dataSync();
  const m = z.shape[0];
  z.dispose();
  const book = Float32Array.from(vq.params.codebook!.dataSync());
  const newUsage = Float32Array.from(usage);
  for (const code of dead) {
    const row = rng.int(m);
    book.set(zData.subarray(row * d, (row + 1) * d), code * d);
    newUsage[code] = 1 / k; // a grace period before it can be declared dead again
  }
  tf.tidy(() => {
    vq.params.codebook!.assign(tf.tensor2d(book, [k, d]));
    vq.params.usage!.assign(tf.tensor1d(newUsage));
  });
  return dead.length;
}

export interface VqStepOptions {
  lr: number;
  rng: Rng;
  /** Max global grad norm (default 1.0). */
  clip?: number;
  /** Step index for messages (and NonFiniteLossError). */
  step?: number;
}

export interface VqStepResult {
  loss: number;
  recon: number;
  codebook: number;
  commit: number;
  gradNorm: number;
  /** Codebook usage of this batch: fraction of codes used, perplexity. */
  usage: number;
  perplexity: number;
  revived: number;
}

/** One VQ-VAE update on images [B, S*S]: k-means init on the first call, gradient step, usage EMA,
 *  dead-code restart. Throws NonFiniteLossError (params untouched) if training diverges. */
export function trainVqStep(vq: Vq, optimizer: Optimizer, images: tf.Tensor2D, opts: VqStepOptions): VqStepResult {
  const k = vq.config.codebookSize;
  if (!isCodebookInitialised(vq)) initCodebookKmeans(vq, images, opts.rng);
  let codesT: tf.Tensor | undefined;
  const info = gradientStep({
    params: vq.params,
    loss: () => {
      const out = vqLoss(vq, images);
      codesT = tf.keep(out.codes);
      return out;
    },
    optimizer,
    lr: opts.lr,
    clip: opts.clip,
    step: opts.step ?? 0,
  });
  const codes = new Int32Array(codesT!.dataSync());
  codesT!.dispose();
  const counts = bincount(codes, k);
  tf.tidy(() => {
    const share = tf.tensor1d(Float32Array.from(counts, (c) => c / codes.length));
    vq.params.usage!.assign(tf.add(tf.mul(vq.params.usage!, USAGE_DECAY), tf.mul(share, 1 - USAGE_DECAY)));
  });
  const revived = reviveDeadCodes(vq, images, opts.rng);
  const stats = codebookStats(codes, k);
  return {
    loss: info.loss,
    recon: info.parts.recon!,
    codebook: info.parts.codebook!,
    commit: info.parts.commit!,
    gradNorm: info.gradNorm,
    usage: stats.usage,
    perplexity: stats.perplexity,
    revived,
  };
}
