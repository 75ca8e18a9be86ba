// VQ-VAE image tokenizer for 28x28 digits (van den Oord et al. 2017). MMaDA turns every image into
// N discrete codes (docs/mmada.md §1: image_id = text_vocab_size + code). Dense patch layers instead of
// convolutions, because wasm has no conv2d filter gradient:
//   images [B, 784] -> patches [B*N, P*P] -> encoder MLP -> z [B*N, d] -> nearest code -> z_q
//   -> decoder -> pixels [B, 784] (sigmoid).
// The encoder is "patch" (each code from its own patch) or "global" (one MLP from the whole image to
// all N code vectors: every code sees the whole digit, as MAGVIT's deep convolutional encoder's do);
// the decoder likewise "patch" (each patch from its own code) or "global" (one MLP over all N
// code vectors: smoother digits).
// Loss = MSE(recon) + ||sg(z) - z_q||^2 + beta ||z - sg(z_q)||^2, straight-through gradient.
// Training (k-means init, dead-code restarts, one optimizer step) lives in vq-train.ts.
import * as tf from "@tensorflow/tfjs-core";
import { assignParams, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { addMlpParams, mlpForward, normalVariable, toVariable } from "./dense.ts";
import { patchify, unpatchify } from "./images.ts";
import { linear } from "./ops.ts";
import { Rng } from "./rng.ts";
import { numTokens, validateVqConfig, type VqConfig } from "./vq-config.ts";

export { DEFAULT_VQ_CONFIG, numTokens, validateVqConfig, type VqConfig } from "./vq-config.ts";
import type { Params } from "./ops.ts";

export interface Vq {
  config: VqConfig;
  /** enc.*, codebook [K, d], dec.*, and the non-trainable usage EMA [K] (saved with checkpoints). */
  params: Params;
}

export function createVq(config: VqConfig, rng: Rng): Vq {
  const errors = validateVqConfig(config);
  if (errors.length > 0) throw new Error(`invalid VQ config: ${errors.join("; ")}`);
  const { patchSize: p, codeDim: d, hidden: h, codebookSize: k } = config;
  const n = numTokens(config);
  const params: Params = {};
  if (config.encoder === "patch") addMlpParams(params, rng, "enc", [p * p, h, h, d]);
  else addMlpParams(params, rng, "enc", [config.imageSize ** 2, h, h, n * d]);
  params.codebook = normalVariable(rng, [k, d], 1); // replaced by k-means on first training step
  if (config.decoder === "patch") addMlpParams(params, rng, "dec", [d, h, h, p * p]);
  else addMlpParams(params, rng, "dec", [n * d, config.decoderHidden, config.decoderHidden, config.imageSize ** 2]);
  params.usage = toVariable(tf.zeros([k]), false);
  return { config, params };
}

/** Weight decay for the autoencoder matrices but not the codebook (decay would pull codes to 0). */
export const vqDecayFilter = (name: string, p: tf.Variable): boolean => p.rank >= 2 && name !== "codebook";

/** Encoder output z [B*N, d] for images [B, S*S]. */
export function encodeLatents(vq: Vq, images: tf.Tensor2D): tf.Tensor2D {
  const { imageSize, patchSize, encoder, codeDim } = vq.config;
  if (encoder === "patch") return tf.tidy(() => mlpForward(vq.params, "enc", patchify(images, imageSize, patchSize)));
  return tf.tidy(() => tf.reshape(mlpForward(vq.params, "enc", images), [images.shape[0] * numTokens(vq.config), codeDim]) as tf.Tensor2D);
}

/** Index of the nearest code for each row of z [M, d] -> int32 [M]. */
export function nearestCodes(z: tf.Tensor2D, codebook: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const zz = tf.sum(tf.square(z), 1, true); // [M, 1]
    const cc = tf.reshape(tf.sum(tf.square(codebook), 1), [1, -1]); // [1, K]
    const zc = linear(z, tf.transpose(codebook) as tf.Tensor2D); // [M, K]
    return tf.argMin(tf.sub(tf.add(zz, cc), tf.mul(zc, 2)), 1) as tf.Tensor1D; // [M]
  });
}

/** Codes for images [B, S*S] -> Int32Array [B*N], row-major [B, N]. */
export function encode(vq: Vq, images: tf.Tensor2D): Int32Array {
  const codes = tf.tidy(() => nearestCodes(encodeLatents(vq, images), vq.params.codebook as tf.Tensor2D));
  const out = new Int32Array(codes.dataSync());
  codes.dispose();
  return out;
}

/** Images [B, S*S] in [0, 1] from codes [B*N] (row-major [B, N]). */
export function decode(vq: Vq, codes: Int32Array): tf.Tensor2D {
  const n = numTokens(vq.config);
  const k = vq.config.codebookSize;
  if (codes.length % n !== 0) throw new Error(`decode: ${codes.length} codes is not a multiple of N=${n} tokens per image`);
  for (const c of codes) {
    if (!(c >= 0 && c < k)) throw new Error(`decode: code ${c} outside [0, ${k}); map vocabulary ids back with id - textVocabSize first`);
  }
  return tf.tidy(() => {
    const zq = lookup(tf.tensor1d(codes, "int32"), vq.params.codebook as tf.Tensor2D, k); // [B*N, d]
    return decodeLatents(vq, zq);
  });
}

function lookup(codes: tf.Tensor1D, codebook: tf.Tensor2D, k: number): tf.Tensor2D {
  // one-hot matmul instead of gather: wasm has no gather gradient
  return linear(tf.oneHot(codes, k), codebook) as tf.Tensor2D; // [M, d]
}

function decodeLatents(vq: Vq, zq: tf.Tensor2D): tf.Tensor2D {
  const { imageSize, patchSize, decoder, codeDim } = vq.config;
  if (decoder === "patch") {
    return unpatchify(tf.sigmoid(mlpForward(vq.params, "dec", zq)), imageSize, patchSize);
  }
  const b = zq.shape[0] / numTokens(vq.config);
  const flat = tf.reshape(zq, [b, numTokens(vq.config) * codeDim]) as tf.Tensor2D; // [B, N*d]
  return tf.sigmoid(mlpForward(vq.params, "dec", flat)); // [B, S*S]
}

/** sg(x): identity forward, zero gradient (tfjs-core has no stop_gradient op). */
const stopGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)] };
}) as <T extends tf.Tensor>(x: T) => T;

export interface VqLoss {
  total: tf.Scalar;
  parts: { recon: tf.Scalar; codebook: tf.Scalar; commit: tf.Scalar };
  /** Codes chosen for this batch [B*N] (no gradient). */
  codes: tf.Tensor1D;
}

/** The VQ-VAE objective on images [B, S*S]; differentiable in vq.params (usage excluded). */
export function vqLoss(vq: Vq, images: tf.Tensor2D): VqLoss {
  const codebook = vq.params.codebook as tf.Tensor2D;
  const z = encodeLatents(vq, images); // [B*N, d]
  const codes = nearestCodes(stopGradient(z), stopGradient(codebook)); // [B*N]
  const zq = lookup(codes, codebook, vq.config.codebookSize); // [B*N, d]
  const zSt = tf.add(z, stopGradient(tf.sub(zq, z))) as tf.Tensor2D; // value zq, gradient to z
  const recon = tf.mean(tf.squaredDifference(decodeLatents(vq, zSt), images)) as tf.Scalar;
  const codebookLoss = tf.mean(tf.squaredDifference(stopGradient(z), zq)) as tf.Scalar;
  const commit = tf.mul(tf.mean(tf.squaredDifference(z, stopGradient(zq))), vq.config.beta) as tf.Scalar;
  return { total: tf.addN([recon, codebookLoss, commit]) as tf.Scalar, parts: { recon, codebook: codebookLoss, commit }, codes };
}

/** Fraction of the K codes used and the perplexity exp(H) of their empirical distribution. */
export function codebookStats(codes: Int32Array, codebookSize: number): { usage: number; perplexity: number } {
  const counts = bincount(codes, codebookSize);
  let used = 0;
  let entropy = 0;
  for (const c of counts) {
    if (c === 0) continue;
    used++;
    const p = c / codes.length;
    entropy -= p * Math.log(p);
  }
  return { usage: used / codebookSize, perplexity: Math.exp(entropy) };
}

/** Mean squared reconstruction error of images [B, S*S] through encode + decode. */
export function reconstructionMse(vq: Vq, images: tf.Tensor2D): number {
  const recon = decode(vq, encode(vq, images));
  const mse = tf.tidy(() => tf.mean(tf.squaredDifference(recon, images)).dataSync()[0]!);
  recon.dispose();
  return mse;
}

export function bincount(codes: Int32Array, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (const c of codes) counts[c]! += 1;
  return counts;
}

export function disposeVq(vq: Vq): void {
  tf.dispose(Object.values(vq.params));
}

/** Saves a trained tokenizer as a verified checkpoint (config + weights + usage EMA). */
export async function saveVq(path: string, vq: Vq, extra: Record<string, unknown> = {}) {
  return saveCheckpoint(path, { config: vq.config, params: vq.params, step: 0, extra: { kind: "vq", ...extra } });
}

/** Loads a tokenizer saved by saveVq; its weights are frozen (not trainable). */
export async function loadVq(path: string): Promise<Vq> {
  const ckpt = await loadCheckpoint<VqConfig>(path);
  const config: VqConfig = { ...ckpt.config, encoder: ckpt.config.encoder ?? "patch" }; // older files predate the encoder option
  const errors = validateVqConfig(config);
  if (errors.length > 0) throw new Error(`${path}: not a VQ tokenizer checkpoint (${errors.join("; ")})`);
  const vq = createVq(config, new Rng(0));
  assignParams(vq.params, ckpt.tensors, path);
  tf.dispose(Object.values(ckpt.tensors));
  for (const v of Object.values(vq.params)) v.trainable = false;
  return vq;
}
