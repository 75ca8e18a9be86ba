// The `train` step kind as the compiler sees it: schema, inputs, outputs.
import { fixedOutputs, type KindDefinition } from "../../contract/step-kind.ts";
import { checkTrain } from "./options.ts";
import { schema, type TrainWith } from "./schema.ts";

export const trainKind: KindDefinition = {
  name: "train",
  description: "Train the MMaDA model for one stage (pretraining or mixed chain-of-thought fine-tuning); resumable.",
  schema,
  inputs: { dataset: "dataset", tokens: "tokens", init: "checkpoint" },
  outputs: fixedOutputs({ checkpoint: "checkpoint" }),
  checkpoints: true,
  check: (w, ctx) => checkTrain(w as TrainWith, ctx),
};
