// Validation loss of a model on the val split: per mix task, a few batches of that task alone with
// masks drawn once from a fixed seed, so the numbers at different checkpoints (and of resumed and
// uninterrupted runs) compare exactly. The mixed value weighs each task by its loss coefficient
// and picks the best checkpoint.
import * as tf from "@tensorflow/tfjs-core";
import { type LossCoefficients, lossFromLogits, partCoefficients } from "../../model/loss.ts";
import { type ChatSlice, maskBatch, type MaskedBatch } from "../../model/masking.ts";
import { forward, type MMaDA } from "../../model/transformer.ts";
import { validationLayouts } from "./batches.ts";
import { valRng } from "../data/random.ts";
import type { TaskSource } from "./tasks.ts";
import { LOSS_TASK, type MixTask } from "../data/vocab.ts";

export interface ValSet {
  task: MixTask;
  batches: MaskedBatch[];
}

export interface ValLoss {
  perTask: { [t in MixTask]?: number };
  /** Sum over tasks of coefficient(task's loss part) * loss. */
  total: number;
}

/** Fixed validation batches for `tasks` (tasks without val records are left out). */
export function buildValSets(sources: { [t in MixTask]: TaskSource }, tasks: MixTask[], batch: number, count: number, seed: number, maskEps: number, chatSlice: ChatSlice = "lm"): ValSet[] {
  let index = 0;
  return tasks
    .filter((t) => sources[t].size > 0)
    .map((task) => ({
      task,
      batches: validationLayouts(sources[task], batch, count).map((layouts) => maskBatch(layouts, valRng(seed, index++), maskEps, { chatSlice })),
    }));
}

export function coefficientOf(coeffs: LossCoefficients, task: MixTask, chatSlice: ChatSlice = "lm"): number {
  return partCoefficients(coeffs, chatSlice)[LOSS_TASK[task]];
}

/** Inference-mode loss on every validation batch; `tick` runs after each (heartbeats). */
export async function validationLoss(model: MMaDA, sets: ValSet[], coeffs: LossCoefficients, tick?: () => Promise<void>): Promise<ValLoss> {
  const perTask: ValLoss["perTask"] = {};
  let total = 0;
  for (const { task, batches } of sets) {
    let sum = 0;
    for (const b of batches) {
      sum += tf.tidy(() => {
        const logits = forward(model, tf.tensor2d(b.inputIds, [b.batch, b.length], "int32")); // [B, L, V]
        return lossFromLogits(logits, b, coeffs).parts[LOSS_TASK[task]].dataSync()[0]!;
      });
      if (tick) await tick();
    }
    perTask[task] = sum / batches.length;
    total += coefficientOf(coeffs, task, batches[0]?.chatSlice) * perTask[task]!;
  }
  return { perTask, total };
}
