// The `prepare-data` step kind as the compiler sees it: schema, inputs, outputs.
import { fixedOutputs, type KindDefinition } from "../../contract/step-kind.ts";
import { checkPrepareData } from "./options.ts";
import { schema, type PrepareDataWith } from "./schema.ts";

export const prepareDataKind: KindDefinition = {
  name: "prepare-data",
  description: "Build the MMaDA dataset: digit images, text, chain-of-thought and image tasks, split train/val/test.",
  schema,
  inputs: { text: "file", cot: "file", images: "dir", captions: "file" },
  outputs: fixedOutputs({ dataset: "dataset" }),
  check: (w) => checkPrepareData(w as PrepareDataWith),
};
