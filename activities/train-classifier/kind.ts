// The `train-classifier` step kind as the compiler sees it: the JSON Schema of its `with` (the one place its
// fields, limits and defaults are written; the compiler validates `with` against it and fills the
// defaults, so the plan and the cache key hold every effective value), the type the step receives,
// the rules the schema cannot express, and its inputs and outputs.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";
import { fixedOutputs, type KindDefinition } from "../../contract/step-kind.ts";

export const schema = {
  title: "train-classifier step: with",
  description: "Trains the frozen digit classifier (model/classifier.ts) on the dataset's labelled train digits. It scores generated images in UniGRPO rewards and evaluation (the CLIP-like and ImageReward-like scorers of docs/mmada.md §4). Metrics: loss curve, accuracy on val and test. Output `classifier`.",
  type: "object",
  required: ["dataset"],
  additionalProperties: false,
  properties: {
    dataset: { description: "The dataset (output `dataset` of a prepare-data step).", type: "string", minLength: 1 },
    steps: { description: "Optimizer steps.", type: "integer", minimum: 1, maximum: 1000000, default: 1500 },
    batch: { description: "Images per step.", type: "integer", minimum: 1, maximum: 4096, default: 64 },
    lr: {
      description: "Peak learning rate (cosine schedule, 5% warmup).",
      type: "number",
      exclusiveMinimum: 0,
      default: 0.002,
    },
    hidden: {
      description: "Hidden layer widths of the MLP.",
      type: "array",
      minItems: 1,
      maxItems: 8,
      items: { type: "integer", minimum: 1 },
      default: [256, 128],
    },
    maxShift: {
      description: "Random translation of training images by up to this many pixels (robustness to generated digits); 0 disables it.",
      type: "integer",
      minimum: 0,
      maximum: 8,
      default: 2,
    },
    seed: {
      description: "Seed of the initialisation, batches and shifts.",
      type: "integer",
      minimum: 0,
      maximum: 4294967295,
      default: 0,
    },
    logEvery: { description: "Record the loss every this many steps.", type: "integer", minimum: 1, default: 50 },
  },
} as const satisfies JSONSchema;

/** `with` as the step receives it: validated, defaults filled. */
export type TrainClassifierWith = FromSchema<typeof schema>;

export const trainClassifierKind: KindDefinition = {
  name: "train-classifier",
  description: "Train the frozen digit classifier that scores generated images (rewards, evaluation).",
  schema,
  inputs: { dataset: "dataset" },
  outputs: fixedOutputs({ classifier: "classifier" }),
};
