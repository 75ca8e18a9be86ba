// The `train-classifier` step kind as the compiler sees it: schema, inputs, outputs.
import { fixedOutputs, type KindDefinition } from "../../contract/step-kind.ts";
import { schema } from "./schema.ts";

export const trainClassifierKind: KindDefinition = {
  name: "train-classifier",
  description: "Train the frozen digit classifier that scores generated images (rewards, evaluation).",
  schema,
  inputs: { dataset: "dataset" },
  outputs: fixedOutputs({ classifier: "classifier" }),
};
