// The `train-vq` step kind as the compiler sees it: the JSON Schema of its `with` (the one place its
// fields, limits and defaults are written; the compiler validates `with` against it and fills the
// defaults, so the plan and the cache key hold every effective value), the type the step receives,
// the rules the schema cannot express, and its inputs and outputs.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";
import { fixedOutputs, type KindDefinition, type KindProblem } from "../../contract/step-kind.ts";
import { DEFAULT_VQ_CONFIG, validateVqConfig, type VqConfig } from "../../model/vq-config.ts";
import type { WithInputs } from "../kit/step-context.ts";

export const schema = {
  title: "train-vq step: with",
  description: "Trains the VQ-VAE image tokenizer (model/vq.ts) on the dataset's train digits: each 28x28 image becomes grid x grid discrete codes (docs/mmada.md §1). k-means codebook initialisation and dead-code restarts keep the codebook in use. Metrics: loss curve, and on val images the reconstruction MSE, codebook usage and perplexity. Output `vq`: the tokenizer checkpoint.",
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

export type TrainVqOptions = WithInputs<TrainVqWith, "dataset">;

export function vqConfigOf(w: TrainVqWith | TrainVqOptions): VqConfig {
  return {
    ...DEFAULT_VQ_CONFIG,
    patchSize: DEFAULT_VQ_CONFIG.imageSize / w.grid,
    codebookSize: w.codebookSize,
    codeDim: w.codeDim,
    hidden: w.hidden,
    encoder: w.encoder,
    decoder: w.decoder,
    decoderHidden: w.decoderHidden,
    beta: w.beta,
  };
}

export function checkTrainVq(w: TrainVqWith): KindProblem[] {
  const problems: KindProblem[] = validateVqConfig(vqConfigOf(w)).map((message) => ({ at: ["grid"], message }));
  const codesPerBatch = w.batch * w.grid * w.grid;
  if (codesPerBatch < w.codebookSize) {
    problems.push({
      at: ["batch"],
      message: `batch ${w.batch} x ${w.grid * w.grid} codes per image is below codebookSize ${w.codebookSize}: the first batch seeds every code by k-means`,
      hint: `raise batch to at least ${Math.ceil(w.codebookSize / (w.grid * w.grid))}`,
    });
  }
  return problems;
}

export const trainVqKind: KindDefinition = {
  name: "train-vq",
  description: "Train the VQ-VAE image tokenizer on the dataset's train digits.",
  schema,
  inputs: { dataset: "dataset" },
  outputs: fixedOutputs({ vq: "vq" }),
  check: (w) => checkTrainVq(w as TrainVqWith),
};
