// JSON Schema of the `train-vq` step's `with`: the one place its fields, limits and defaults are
// written. The compiler validates `with` against it and fills the defaults (so the plan and the cache
// key hold every effective value); TrainVqWith is derived from it.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";

export const schema = {
  title: "train-vq step: with",
  description: "Trains the VQ-VAE image tokenizer (model/vq.ts) on the dataset's train digits: each 28x28 image becomes grid x grid discrete codes (MMADA.md §1). k-means codebook initialisation and dead-code restarts keep the codebook in use. Metrics: loss curve, and on val images the reconstruction MSE, codebook usage and perplexity. Output `vq`: the tokenizer checkpoint.",
  type: "object",
  required: ["dataset"],
  additionalProperties: false,
  properties: {
    dataset: { description: "The dataset (output `dataset` of a prepare-data step).", type: "string", minLength: 1 },
    steps: { description: "Optimizer steps.", type: "integer", minimum: 1, maximum: 1000000, default: 400 },
    batch: {
      description: "Images per step (the first batch seeds the codebook by k-means, so batch x grid^2 must be at least codebookSize).",
      type: "integer",
      minimum: 1,
      maximum: 4096,
      default: 64,
    },
    lr: {
      description: "Peak learning rate (cosine schedule, 5% warmup).",
      type: "number",
      exclusiveMinimum: 0,
      default: 0.002,
    },
    codebookSize: {
      description: "K, the number of image codes (image ids in the model's vocabulary).",
      type: "integer",
      minimum: 2,
      maximum: 65536,
      default: 64,
    },
    grid: {
      description: "Codes per image side: 4 -> 16 tokens per image (7x7-pixel patches), 7 -> 49 tokens, 2 -> 4 tokens.",
      enum: [2, 4, 7],
      default: 4,
    },
    codeDim: { description: "Size of each code vector.", type: "integer", minimum: 2, default: 16 },
    hidden: { description: "Width of the encoder MLP.", type: "integer", minimum: 2, default: 128 },
    encoder: {
      description:
        "patch: each code from its own patch (local tokens); global: every code from the whole image, as a deep convolutional encoder's receptive field gives MAGVIT's codes (tokens the transformer can read the digit from).",
      enum: ["patch", "global"],
      default: "patch",
    },
    decoder: {
      description: "patch: each patch decoded from its own code; global: one MLP over all codes (smoother digits).",
      enum: ["patch", "global"],
      default: "global",
    },
    decoderHidden: { description: "Width of the global decoder MLP.", type: "integer", minimum: 2, default: 256 },
    beta: { description: "Commitment loss weight.", type: "number", minimum: 0, default: 0.25 },
    seed: {
      description: "Seed of the initialisation and the batch order.",
      type: "integer",
      minimum: 0,
      maximum: 4294967295,
      default: 0,
    },
    logEvery: { description: "Record the loss every this many steps.", type: "integer", minimum: 1, default: 10 },
    evalImages: {
      description: "Val images used for the final metrics (at most the split's size).",
      type: "integer",
      minimum: 1,
      default: 1000,
    },
  },
} as const satisfies JSONSchema;

/** `with` as the step receives it: validated, defaults filled. */
export type TrainVqWith = FromSchema<typeof schema>;
