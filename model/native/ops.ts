// The add-on as tfjs ops with custom gradients: the forward and backward run in the add-on on the
// tensors' data, the results come back as tfjs tensors, so tf.variableGrads (and gradientStep,
// the optimizers, checkpoints) see ordinary ops over the named parameters.
//   nativeLogits      tokens [B, L] -> logits [B, L, V]                 (inference, and any loss on logits)
//   nativeLossParts   masked batch -> per-part weighted CE sums [nParts] (the training loss, fused:
//                     the [B*L, V] logits never leave the add-on)
import * as tf from "@tensorflow/tfjs-core";
import { headDim, type ModelConfig } from "../config.ts";
import { vocabSize } from "../vocab.ts";
import { type NativeContext, nativeAddon } from "./index.ts";

/** [V, D, H, layers, F, ropeBase, normEps], the add-on's dims argument. */
function dims(c: ModelConfig): Float64Array {
  if (headDim(c) % 2 !== 0) throw new Error("native kernels: the head size must be even (rotary embeddings)");
  return Float64Array.from([vocabSize(c), c.dModel, c.nHeads, c.nLayers, c.mlpHidden, c.ropeBase, c.normEps]);
}

/** Whether this op will be recorded for a backward: tfjs's own rule (Engine.isTapeOn), read before
 *  the op runs. Without a tape the add-on keeps no activations. */
function tapeRecording(): boolean {
  const s = tf.engine().state;
  return s.gradientDepth > 0 && s.kernelDepth === 0;
}

function float32Data(t: tf.Tensor): Float32Array {
  return t.dataSync<"float32">() as Float32Array;
}

/** The flat gradient buffer (paramShapes order) as one tensor per parameter. */
function splitGrads(flat: Float32Array, params: readonly tf.Tensor[]): tf.Tensor[] {
  let at = 0;
  return params.map((p) => {
    const n = p.size;
    const g = tf.tensor(flat.subarray(at, at + n), p.shape, "float32");
    at += n;
    return g;
  });
}

/** The saved activations of a forward, for its one backward (the add-on frees them after it; a
 *  forward whose backward never runs is freed by the garbage collector). */
function saved(ctx: NativeContext | null): NativeContext {
  if (ctx === null) throw new Error("native kernels: a backward ran for a forward recorded without a gradient tape");
  return ctx;
}

/** logits [B, L, V] for tokens [B, L] (int32), differentiable in every parameter (paramShapes order). */
export function nativeLogits(config: ModelConfig, params: readonly tf.Tensor[], tokens: tf.Tensor2D): tf.Tensor3D {
  const addon = nativeAddon();
  const [B, L] = tokens.shape;
  const V = vocabSize(config);
  const ids = tokens.dtype === "int32" ? (tokens.dataSync() as Int32Array) : Int32Array.from(tokens.dataSync());
  const save = tapeRecording();
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const ps = args.slice(0, params.length) as tf.Tensor[];
    const { logits, ctx } = addon.forward(dims(config), ps.map(float32Data), ids, B, L, save);
    return {
      value: tf.tensor3d(logits, [B, L, V]),
      gradFunc: (dy: tf.Tensor) => splitGrads(addon.backward(saved(ctx), float32Data(dy), null), ps),
    };
  }) as (...ps: tf.Tensor[]) => tf.Tensor3D;
  return op(...params);
}

/** What the fused loss needs of a masked batch (masking.ts MaskedBatch has all of it). */
export interface LossRows {
  batch: number;
  length: number;
  /** [B * L] model input. */
  inputIds: Int32Array;
  /** [B * L] clean ids. */
  labels: Int32Array;
  /** [B * L] per-position weight (0 = no loss), carrying each task's normalisation. */
  weights: Float32Array;
  /** [B] which part each row's loss adds to. */
  rowPart: Int32Array;
}

/**
 * parts[k] = sum over positions of rows with rowPart k of weight * CE(logits, label): the same
 * quantity loss.ts computes from logits, fused with the forward. Differentiable in every parameter.
 */
export function nativeLossParts(config: ModelConfig, params: readonly tf.Tensor[], rows: LossRows, nParts: number): tf.Tensor1D {
  const addon = nativeAddon();
  const save = tapeRecording();
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const ps = args.slice(0, params.length) as tf.Tensor[];
    const { parts, ctx } = addon.lossForward(dims(config), ps.map(float32Data), rows.inputIds, rows.labels, rows.weights,
      rows.rowPart, nParts, rows.batch, rows.length, save);
    return {
      value: tf.tensor1d(Float32Array.from(parts)),
      gradFunc: (dy: tf.Tensor) => splitGrads(addon.backward(saved(ctx), null, float32Data(dy)), ps),
    };
  }) as (...ps: tf.Tensor[]) => tf.Tensor1D;
  return op(...params);
}
