// The step kinds: name -> what the compiler knows of it (kind.ts) and its run function (run.ts),
// loaded lazily so a worker that only runs `command` steps never loads TensorFlow.js.
// Adding a kind = a folder activities/<name>/ (kind.ts, schema.json, run.ts) + one line here.
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
}

export const KINDS: Record<string, KindEntry> = {
  command: { definition: commandKind, load: async () => (await import("./command/run.ts")).run },
  "prepare-data": { definition: prepareDataKind, load: async () => (await import("./prepare-data/run.ts")).run },
  "train-vq": { definition: trainVqKind, load: async () => (await import("./train-vq/run.ts")).run },
  "tokenize-images": { definition: tokenizeImagesKind, load: async () => (await import("./tokenize-images/run.ts")).run },
  "train-classifier": { definition: trainClassifierKind, load: async () => (await import("./train-classifier/run.ts")).run },
  train: { definition: trainKind, load: async () => (await import("./train/run.ts")).run },
  unigrpo: { definition: unigrpoKind, load: async () => (await import("./unigrpo/run.ts")).run },
  evaluate: { definition: evaluateKind, load: async () => (await import("./evaluate/run.ts")).run },
};
