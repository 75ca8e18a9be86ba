// JSON Schema of the `tokenize-images` step's `with`: the one place its fields, limits and defaults are
// written. The compiler validates `with` against it and fills the defaults (so the plan and the cache
// key hold every effective value); TokenizeImagesWith is derived from it.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";

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
