// Step kind name -> implementation, loaded lazily so a worker that only runs `command` steps
// never loads TensorFlow.js. Metadata (schemas, outputs) lives in kinds.ts.
import type { StepImplementation } from "./step-context.ts";

export const implementations: Record<string, () => Promise<StepImplementation>> = {
  command: async () => (await import("./command.ts")).runCommand,
  "prepare-data": async () => (await import("./prepare-data.ts")).prepareData,
  "train-vq": async () => (await import("./train-vq.ts")).runTrainVq,
  "tokenize-images": async () => (await import("./tokenize-images.ts")).runTokenizeImages,
  "train-classifier": async () => (await import("./train-classifier.ts")).runTrainClassifier,
  train: async () => (await import("./train.ts")).runTrain,
  unigrpo: async () => (await import("./unigrpo.ts")).runUnigrpo,
  evaluate: async () => (await import("./evaluate.ts")).runEvaluate,
};
