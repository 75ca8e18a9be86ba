// The `train-vq` step kind as the compiler sees it: schema, inputs, outputs.
import { fixedOutputs, type KindDefinition } from "../../contract/step-kind.ts";
import { checkTrainVq } from "./options.ts";
import { schema, type TrainVqWith } from "./schema.ts";

export const trainVqKind: KindDefinition = {
  name: "train-vq",
  description: "Train the VQ-VAE image tokenizer on the dataset's train digits.",
  schema,
  inputs: { dataset: "dataset" },
  outputs: fixedOutputs({ vq: "vq" }),
  check: (w) => checkTrainVq(w as TrainVqWith),
};
