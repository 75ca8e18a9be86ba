// A plain loop of gradient steps for the model tests (the product's resumable loop is
// activities/kit/training-loop.ts): steps startStep..steps-1, one shared Rng, callbacks per step and
// at the end.
import type * as tf from "@tensorflow/tfjs-core";
import { gradientStep, type LossOutput, type StepInfo } from "../../model/gradient-step.ts";
import type { Optimizer } from "../../model/optim.ts";
import type { Rng } from "../../model/rng.ts";
import type { LrSchedule } from "../../model/schedule.ts";
import type { Params } from "../../model/ops.ts";

export interface RunSteps {
  params: Params;
  lossFn: (step: number, rng: Rng) => LossOutput | tf.Scalar;
  steps: number;
  startStep?: number;
  lr: LrSchedule;
  optimizer: Optimizer;
  rng: Rng;
  clip?: number;
  onStep?: (info: StepInfo) => void;
  /** Called after the last step with the number of completed steps. */
  onEnd?: (completed: number) => Promise<void>;
}

export async function runSteps(o: RunSteps): Promise<void> {
  for (let step = o.startStep ?? 0; step < o.steps; step++) {
    const info = gradientStep({ params: o.params, loss: () => o.lossFn(step, o.rng), optimizer: o.optimizer, lr: o.lr(step), clip: o.clip, step });
    o.onStep?.(info);
  }
  await o.onEnd?.(o.steps);
}

/** A constant learning rate (the tests' schedule: no warmup, no decay to reason about). */
export function constantLr(lr: number): LrSchedule {
  return () => lr;
}
