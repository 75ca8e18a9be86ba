// The mixed-task objective (docs/mmada.md §2): one forward over the mixed batch, cross-entropy of the
// clean token at every masked position times that position's weight (masking.ts puts each task's
// normalisation there), summed per task, then Total = c_t2i L_t2i + c_lm L_lm + c_mmu L_mmu.
//
// Chat / chain-of-thought rows are logged as their own part L_chat. Where they count depends on the
// batch's chatSlice (masking.ts): "lm" (the reference) puts them in the lm slice, so their part is
// normalised with the lm rows and carries c_lm (L_lm slice = part lm + part chat); "own" gives them
// their own mean and c_chat, which defaults to c_mmu. `coeffs.chat` overrides either.
import * as tf from "@tensorflow/tfjs-core";
import { type Task, TASKS } from "./layouts.ts";
import type { ChatSlice, MaskedBatch } from "./masking.ts";
import { nativeLossParts } from "./native/ops.ts";
import { oneHotFloat } from "./ops.ts";
import { forward, type ForwardOptions, kernelsFor, type MMaDA, orderedParams } from "./transformer.ts";

export interface LossCoefficients {
  t2i: number;
  lm: number;
  mmu: number;
  /** Defaults to `lm` (chat rows in the lm slice) or `mmu` (chat rows in their own slice). */
  chat?: number;
}

/** MMaDA's stage-1 coefficients (docs/mmada.md §2). */
export const STAGE1_COEFFICIENTS: LossCoefficients = { t2i: 1.0, lm: 0.1, mmu: 1.0 };

// A type alias (not an interface) so that tf.tidy accepts it as a TensorContainer.
export type MixedLoss = {
  /** Scalar to differentiate. */
  total: tf.Scalar;
  /** Per-task parts before the coefficients (0 for tasks absent from the batch). */
  parts: Record<Task, tf.Scalar>;
};

/** Forward + mixed loss (training mode when opts.training). The native kernels fuse the loss into
 *  the forward (the logits never become a tensor); the tfjs path computes it from the logits. */
export function mixedLoss(model: MMaDA, batch: MaskedBatch, coeffs: LossCoefficients, opts: ForwardOptions = {}): MixedLoss {
  if (kernelsFor(model.config, opts) === "native") {
    const rowPart = Int32Array.from(batch.tasks, (t) => TASKS.indexOf(t));
    return tf.tidy(() => combineParts(nativeLossParts(model.config, orderedParams(model), { ...batch, rowPart }, TASKS.length), coeffs, batch.chatSlice));
  }
  return tf.tidy(() => {
    const tokens = tf.tensor2d(batch.inputIds, [batch.batch, batch.length], "int32");
    const logits = forward(model, tokens, opts); // [B, L, V]
    return lossFromLogits(logits, batch, coeffs);
  });
}

/** The mixed loss from logits [B, L, V] already computed for batch.inputIds. */
export function lossFromLogits(logits: tf.Tensor3D, batch: MaskedBatch, coeffs: LossCoefficients): MixedLoss {
  const [B, L, V] = logits.shape;
  if (B !== batch.batch || L !== batch.length) {
    throw new Error(`lossFromLogits: logits are [${B}, ${L}, ${V}] but the batch is [${batch.batch}, ${batch.length}]`);
  }
  // One weight row per task, zero outside that task's rows: [4, B*L].
  const perTask = new Float32Array(TASKS.length * B * L);
  batch.tasks.forEach((task, b) => {
    const row = TASKS.indexOf(task) * B * L + b * L;
    perTask.set(batch.weights.subarray(b * L, (b + 1) * L), row);
  });
  return tf.tidy(() => {
    const ce = crossEntropy(tf.reshape(logits, [B * L, V]) as tf.Tensor2D, batch.labels); // [B*L]
    return combineParts(tf.sum(tf.mul(tf.tensor2d(perTask, [TASKS.length, B * L]), ce), 1) as tf.Tensor1D, coeffs, batch.chatSlice); // [4]
  });
}

/** The coefficient of each part: chat follows its slice unless given. */
export function partCoefficients(coeffs: LossCoefficients, chatSlice: ChatSlice): Record<Task, number> {
  return { t2i: coeffs.t2i, lm: coeffs.lm, mmu: coeffs.mmu, chat: coeffs.chat ?? (chatSlice === "lm" ? coeffs.lm : coeffs.mmu) };
}

/** Total = sum over tasks of c_task * part (docs/mmada.md §2) from the parts [4] in TASKS order. */
function combineParts(partsVec: tf.Tensor1D, coeffs: LossCoefficients, chatSlice: ChatSlice): MixedLoss {
  const c = partCoefficients(coeffs, chatSlice);
  const total = tf.sum(tf.mul(partsVec, tf.tensor1d(TASKS.map((t) => c[t])))) as tf.Scalar;
  const split = tf.unstack(partsVec) as tf.Scalar[];
  const parts = Object.fromEntries(TASKS.map((t, i) => [t, split[i]!])) as Record<Task, tf.Scalar>;
  return { total, parts };
}

/** -log softmax(logits)[label] per row. logits [M, V], labels [M] -> [M]. */
function crossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Tensor1D {
  const logp = tf.logSoftmax(logits); // [M, V]
  const target = oneHotFloat(tf.tensor1d(labels, "int32"), logits.shape[1]); // [M, V]
  return tf.neg(tf.sum(tf.mul(logp, target), -1)) as tf.Tensor1D;
}

/**
 * log p(target) at each position where mask is 1, 0 elsewhere: logits [B, L, V], targets [B, L]
 * int32, mask [B, L] (0/1, any dtype) -> [B, L]. UniGRPO's log p(x0 | masked x) at the masked
 * response tokens; differentiable in logits.
 */
export function tokenLogProbs(logits: tf.Tensor3D, targets: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  const [B, L, V] = logits.shape;
  return tf.tidy(() => {
    const logp = tf.logSoftmax(tf.reshape(logits, [B * L, V])); // [B*L, V]
    const target = oneHotFloat(tf.reshape(tf.cast(targets, "int32"), [-1]) as tf.Tensor1D, V); // [B*L, V]
    const picked = tf.reshape(tf.sum(tf.mul(logp, target), -1), [B, L]); // [B, L]
    return tf.mul(picked, tf.cast(mask, "float32")) as tf.Tensor2D;
  });
}
