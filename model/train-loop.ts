// The one training loop every stage uses (MMADA.md §3: stages differ only in data mix,
// coefficients, LR schedule and init checkpoint). It knows nothing about the model: it gets a loss
// closure over Params, differentiates it, clips, checks for divergence and steps the optimizer.
//
// Resumability contract: step s calls lossFn(s, rng) with the shared Rng, and uses lr(s). Given the
// same Params values, optimizer state and Rng state after step s-1 (i.e. a checkpoint written by
// onCheckpoint(s)), train({ startStep: s, ... }) reproduces the uninterrupted trajectory exactly.
import * as tf from "@tensorflow/tfjs-core";
import { clipByGlobalNorm } from "./clip.ts";
import "./ops.ts"; // registers the tfjs gradient functions (the Node build of tfjs-core ships none)
import type { Optimizer } from "./optim.ts";
import type { Rng } from "./rng.ts";
import type { LrSchedule } from "./schedule.ts";
import type { Params } from "./types.ts";

export const DEFAULT_MAX_GRAD_NORM = 1.0;

/** What a loss closure returns: a scalar, or a total plus named parts (logged, not differentiated). */
export type LossOutput = tf.Scalar | { total: tf.Scalar; parts: Record<string, tf.Scalar> };
export type LossFn = (batchIndex: number, rng: Rng) => LossOutput;

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

export interface TrainCallbacks {
  onStep?(info: StepInfo): void | Promise<void>;
  /** Called every `checkpointEvery` steps and after the last step with the number of completed
   *  steps: save params + optimizer + rng now, and pass this number as startStep to resume. */
  onCheckpoint?(completedSteps: number): void | Promise<void>;
  /** Polled before each step (e.g. cancellation); true ends the loop cleanly. */
  shouldStop?(nextStep: number): boolean | Promise<boolean>;
}

export interface TrainOptions {
  params: Params;
  lossFn: LossFn;
  /** Total steps of the run; the loop runs steps startStep .. steps-1. */
  steps: number;
  startStep?: number;
  lr: LrSchedule;
  /** Max global grad norm; 0 or Infinity disables clipping. Default 1.0. */
  clip?: number;
  optimizer: Optimizer;
  rng: Rng;
  /** Call onCheckpoint every this many completed steps (0 = only at the end). */
  checkpointEvery?: number;
  callbacks?: TrainCallbacks;
}

export interface TrainResult {
  /** Completed steps (the startStep to pass on resume). */
  completedSteps: number;
  stopped: "completed" | "requested";
  lastLoss: number | undefined;
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

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const start = opts.startStep ?? 0;
  const every = opts.checkpointEvery ?? 0;
  checkOptions(opts, start, every);
  const cb = opts.callbacks ?? {};
  let lastLoss: number | undefined;
  let lastSaved = start;
  for (let step = start; step < opts.steps; step++) {
    if (cb.shouldStop && (await cb.shouldStop(step))) {
      if (cb.onCheckpoint && lastSaved !== step) await cb.onCheckpoint(step);
      return { completedSteps: step, stopped: "requested", lastLoss };
    }
    const info = gradientStep({
      params: opts.params,
      loss: () => opts.lossFn(step, opts.rng),
      optimizer: opts.optimizer,
      lr: opts.lr(step),
      clip: opts.clip,
      step,
    });
    lastLoss = info.loss;
    if (cb.onStep) await cb.onStep(info);
    const done = step + 1;
    if (cb.onCheckpoint && ((every > 0 && done % every === 0) || done === opts.steps)) {
      await cb.onCheckpoint(done);
      lastSaved = done;
    }
  }
  return { completedSteps: Math.max(start, opts.steps), stopped: "completed", lastLoss };
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
 * `train` calls this each step; model-specific loops (VQ, classifier) call it directly.
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

function checkOptions(opts: TrainOptions, start: number, every: number): void {
  const bad: string[] = [];
  if (!(Number.isInteger(opts.steps) && opts.steps >= 0)) bad.push(`steps must be an integer >= 0, got ${opts.steps}`);
  if (!(Number.isInteger(start) && start >= 0)) bad.push(`startStep must be an integer >= 0, got ${start}`);
  if (!(Number.isInteger(every) && every >= 0)) bad.push(`checkpointEvery must be an integer >= 0, got ${every}`);
  if (!Object.values(opts.params).some((v) => v.trainable)) bad.push("params has no trainable variable");
  if (bad.length > 0) throw new Error(`train: ${bad.join("; ")}`);
}
