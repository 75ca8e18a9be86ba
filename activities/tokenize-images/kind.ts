// The `tokenize-images` step kind as the compiler sees it: schema, inputs, outputs.
import { fixedOutputs, type KindDefinition } from "../../contract/step-kind.ts";
import { schema } from "./schema.ts";

export const tokenizeImagesKind: KindDefinition = {
  name: "tokenize-images",
  description: "Encode every split's digits into VQ codes (the image tokens the model trains on).",
  schema,
  inputs: { dataset: "dataset", vq: "vq" },
  outputs: fixedOutputs({ tokens: "tokens" }),
};
