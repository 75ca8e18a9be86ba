// The step kinds: name -> what the compiler knows of it (kind.ts) and its run function (run.ts),
// loaded lazily so a worker that only runs `command` steps never loads TensorFlow.js.
// Adding a kind = a folder activities/<name>/ (kind.ts, run.ts) + one line here (with `setup`
// when it runs the model).
import type { PlanStep } from "../contract/plan.ts";
import type { KindDefinition } from "../contract/step-kind.ts";
import { commandKind } from "./command/kind.ts";
import { evaluateKind } from "./evaluate/kind.ts";
import type { StepImplementation } from "./kit/step-context.ts";
import { prepareDataKind } from "./prepare-data/kind.ts";
import { tokenizeImagesKind } from "./tokenize-images/kind.ts";
import { trainClassifierKind } from "./train-classifier/kind.ts";
import { trainKind } from "./train/kind.ts";
import { trainVqKind } from "./train-vq/kind.ts";
import { unigrpoKind } from "./unigrpo/kind.ts";

export interface KindEntry {
  definition: KindDefinition;
  load: () => Promise<StepImplementation>;
  /** Prepares the worker process before the step runs (the step runner knows nothing of what). */
  setup?: (step: PlanStep) => Promise<void>;
}

/** The model kinds' setup: a compute step's `cores` are the threads of the model's native kernels
 *  (one compute step per worker process). */
async function modelThreads(step: PlanStep): Promise<void> {
  if (step.cores > 0) (await import("../model/native/index.ts")).useThreads(step.cores);
}

export const KINDS: Record<string, KindEntry> = {
  command: { definition: commandKind, load: async () => (await import("./command/run.ts")).run },
  "prepare-data": { definition: prepareDataKind, load: async () => (await import("./prepare-data/run.ts")).run },
  "train-vq": { definition: trainVqKind, load: async () => (await import("./train-vq/run.ts")).run, setup: modelThreads },
  "tokenize-images": { definition: tokenizeImagesKind, load: async () => (await import("./tokenize-images/run.ts")).run, setup: modelThreads },
  "train-classifier": { definition: trainClassifierKind, load: async () => (await import("./train-classifier/run.ts")).run, setup: modelThreads },
  train: { definition: trainKind, load: async () => (await import("./train/run.ts")).run, setup: modelThreads },
  unigrpo: { definition: unigrpoKind, load: async () => (await import("./unigrpo/run.ts")).run, setup: modelThreads },
  evaluate: { definition: evaluateKind, load: async () => (await import("./evaluate/run.ts")).run, setup: modelThreads },
};
