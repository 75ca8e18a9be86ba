// The `tokenize-images` step kind as the compiler sees it: the JSON Schema of its `with` (the one place its
// fields, limits and defaults are written; the compiler validates `with` against it and fills the
// defaults, so the plan and the cache key hold every effective value), the type the step receives,
// the rules the schema cannot express, and its inputs and outputs.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";
import { fixedOutputs, type KindDefinition } from "../../contract/step-kind.ts";

export const schema = {
  title: "tokenize-images step: with",
  description: "Encodes every split's digits with a trained VQ tokenizer. Output `tokens`: a folder with <split>.i32 (int32 codes, one row of grid^2 codes per image) and meta.json (tokens per image, grid, codebook size, the VQ's and the dataset's sha256). Metrics: codebook usage and perplexity per split.",
  type: "object",
  required: ["dataset", "vq"],
  additionalProperties: false,
  properties: {
    dataset: { description: "The dataset (output `dataset` of a prepare-data step).", type: "string", minLength: 1 },
    vq: { description: "The tokenizer (output `vq` of a train-vq step).", type: "string", minLength: 1 },
    chunk: {
      description: "Images encoded at once (memory vs. speed).",
      type: "integer",
      minimum: 1,
      maximum: 65536,
      default: 500,
    },
  },
} as const satisfies JSONSchema;

/** `with` as the step receives it: validated, defaults filled. */
export type TokenizeImagesWith = FromSchema<typeof schema>;

export const tokenizeImagesKind: KindDefinition = {
  name: "tokenize-images",
  description: "Encode every split's digits into VQ codes (the image tokens the model trains on).",
  schema,
  inputs: { dataset: "dataset", vq: "vq" },
  outputs: fixedOutputs({ tokens: "tokens" }),
};
