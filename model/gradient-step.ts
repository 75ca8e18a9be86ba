// One gradient update, the same for every model here (MMaDA stages, VQ, classifier): forward and
// backward through a loss closure, global-norm clipping, a NaN/Inf check BEFORE anything changes,
// and the optimizer step. It knows nothing about the model's insides. The loop around it (resume,
// checkpoints, cancellation) is activities/kit/training-loop.ts.
import * as tf from "@tensorflow/tfjs-core";
import { clipByGlobalNorm } from "./clip.ts";
import "./ops.ts"; // registers the tfjs gradient functions (the Node build of tfjs-core ships none)
import type { Optimizer } from "./optim.ts";
import type { Params } from "./ops.ts";

export const DEFAULT_MAX_GRAD_NORM = 1.0;

/** What a loss closure returns: a scalar, or a total plus named parts (logged, not differentiated). */
export type LossOutput = tf.Scalar | { total: tf.Scalar; parts: Record<string, tf.Scalar> };

export interface StepInfo {
  /** 0-based index of the step just applied. */
  step: number;
  loss: number;
  parts: Record<string, number>;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  msPerStep: number;
}

/** Thrown when the loss or the gradient norm is NaN/Inf; no update of that step was applied. */
export class NonFiniteLossError extends Error {
  override readonly name = "NonFiniteLossError";
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly gradNorm: number,
    readonly parts: Record<string, number>,
  ) {
    const what = Number.isFinite(loss) ? `gradient norm is ${gradNorm}` : `loss is ${loss}`;
    const partList = Object.entries(parts).map(([k, v]) => `${k}=${v}`).join(", ") || "none";
    super(
      `training diverged at step ${step}: ${what} (parts: ${partList}). The update was not applied, ` +
        `so the last checkpoint is still valid: lower the learning rate, keep gradient clipping on, and resume from it`,
    );
  }
}

export interface GradientStepInput {
  params: Params;
  /** Builds the loss; runs inside the gradient tape. */
  loss: () => LossOutput;
  optimizer: Optimizer;
  lr: number;
  /** Max global grad norm; 0 or Infinity disables clipping. Default 1.0. */
  clip?: number;
  /** Step index, for StepInfo and error messages. */
  step: number;
}

/**
 * One update: forward + backward over the trainable params, clip, check for NaN/Inf, optimizer
 * step. Throws NonFiniteLossError BEFORE touching the params. Every tensor it makes is released.
 */
export function gradientStep(input: GradientStepInput): StepInfo {
  const t0 = performance.now();
  const { step, lr } = input;
  const maxNorm = input.clip ?? DEFAULT_MAX_GRAD_NORM;
  // Differentiate trainable variables only, addressed by their Params key (tfjs keys grads by the
  // engine-global variable name, which is not ours).
  const entries = Object.entries(input.params).filter(([, v]) => v.trainable);
  const keyOf = new Map(entries.map(([k, v]) => [v.name, k]));
  let kept: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = input.loss();
    if (out instanceof tf.Tensor) return out;
    // Parts are created inside the gradient's tidy: keep them so they can be read afterwards.
    kept = Object.fromEntries(Object.entries(out.parts).map(([k, t]) => [k, tf.keep(t)]));
    return out.total;
  }, entries.map(([, v]) => v));
  const named: Record<string, tf.Tensor> = {};
  for (const [varName, g] of Object.entries(grads)) {
    if (g) named[keyOf.get(varName)!] = g;
  }
  const loss = value.dataSync()[0]!;
  const parts: Record<string, number> = {};
  for (const [k, t] of Object.entries(kept)) parts[k] = t.dataSync()[0]!;
  const disposeAll = (clipped?: Record<string, tf.Tensor>) => {
    value.dispose();
    tf.dispose(Object.values(kept));
    tf.dispose(Object.values(named));
    if (clipped) tf.dispose(Object.values(clipped));
  };
  if (!Number.isFinite(loss)) {
    disposeAll();
    throw new NonFiniteLossError(step, loss, Number.NaN, parts);
  }
  if (input.optimizer.clipAndStep) {
    // Fused clip + update (AdamW on the native kernels); nothing is applied when the norm is not finite.
    const norm = input.optimizer.clipAndStep(named, maxNorm, lr);
    disposeAll();
    if (!Number.isFinite(norm)) throw new NonFiniteLossError(step, loss, norm, parts);
    return { step, loss, parts, lr, gradNorm: norm, msPerStep: performance.now() - t0 };
  }
  const clipped = clipByGlobalNorm(named, maxNorm);
  if (!Number.isFinite(clipped.norm)) {
    disposeAll(clipped.grads);
    throw new NonFiniteLossError(step, loss, clipped.norm, parts);
  }
  input.optimizer.step(clipped.grads, lr);
  disposeAll(clipped.grads);
  return { step, loss, parts, lr, gradNorm: clipped.norm, msPerStep: performance.now() - t0 };
}
