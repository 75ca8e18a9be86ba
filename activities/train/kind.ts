// The `train` step kind as the compiler sees it: the JSON Schema of its `with` (the one place its
// fields, limits and defaults are written; the compiler validates `with` against it and fills the
// defaults, so the plan and the cache key hold every effective value), the type the step receives,
// the rules the schema cannot express, and its inputs and outputs.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";
import { type CheckContext, fixedOutputs, type KindDefinition, type KindProblem } from "../../contract/step-kind.ts";
import type { WithInputs } from "../kit/step-context.ts";
import { activeTasks, batchComposition, type BatchPart, MIX_TASKS, plannedMixRecords } from "../../mmada/spec.ts";

export const schema = {
  title: "train step: with",
  description: "Trains the MMaDA model for one stage (docs/mmada.md §3): stage 1 (pretraining) and stage 2 (mixed chain-of-thought fine-tuning) are the same kind with a different stage block: data mix, loss coefficients, learning-rate schedule and optional init checkpoint. Masked-diffusion objective over a mixed [t2i | lm | mmu | chat] batch, AdamW, cosine LR with warmup, gradient clipping. Checkpoints every `checkpointEvery` steps; a retry or resumed run continues from the newest valid one and reproduces the uninterrupted run. Output `checkpoint`: the final model.",
  type: "object",
  required: ["dataset", "tokens", "stage", "mix", "steps"],
  additionalProperties: false,
  properties: {
    dataset: { description: "The dataset (output `dataset` of a prepare-data step).", type: "string", minLength: 1 },
    tokens: {
      description: "The dataset's images as VQ codes (output `tokens` of a tokenize-images step).",
      type: "string",
      minLength: 1,
    },
    init: {
      description: "Start from this model checkpoint (e.g. the stage-1 output for stage 2) with a fresh optimizer. Without it the model is initialised from `model` and `seed`.",
      type: "string",
      minLength: 1,
    },
    stage: {
      description: "Stage name, recorded in the checkpoint and shown in progress, e.g. pretrain or cot-sft.",
      type: "string",
      pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    },
    mix: {
      description: "Relative share of each task in every batch (weights, any scale; 0 or absent = not trained). t2i: text-to-image; lm: plain text; mmu: captioning and digit QA; cot: text chain-of-thought (chat); mmcot: multimodal chain-of-thought.",
      type: "object",
      additionalProperties: false,
      minProperties: 1,
      properties: {
        t2i: { type: "number", minimum: 0 },
        lm: { type: "number", minimum: 0 },
        mmu: { type: "number", minimum: 0 },
        cot: { type: "number", minimum: 0 },
        mmcot: { type: "number", minimum: 0 },
      },
    },
    chatSlice: {
      description: "Where chain-of-thought (cot) rows count in the loss: lm (the reference, docs/mmada.md §2: they share the lm slice's mean and carry the lm coefficient) or own (their own mean with coefficients.chat, by default the mmu coefficient; this project's first behaviour).",
      enum: ["lm", "own"],
      default: "lm",
    },
    coefficients: {
      description: "Loss = t2i * L_t2i + lm * L_lm + mmu * L_mmu + chat * L_chat (docs/mmada.md §2). Stage 1 of the paper: 1.0 / 0.1 / 1.0; late stages: 0.05 / 0.6 / 0.4.",
      type: "object",
      additionalProperties: false,
      properties: {
        t2i: { type: "number", minimum: 0, default: 1.0 },
        lm: { type: "number", minimum: 0, default: 0.1 },
        mmu: { type: "number", minimum: 0, default: 1.0 },
        chat: {
          description: "Coefficient of the chat / chain-of-thought part (default: the lm coefficient with chatSlice lm, the mmu coefficient with chatSlice own).",
          type: "number",
          minimum: 0,
        },
      },
      default: {},
    },
    steps: { description: "Optimizer steps of this stage.", type: "integer", minimum: 1, maximum: 10000000 },
    batch: {
      description: "Rows per batch, split between the mix tasks by weight (at least one row each).",
      type: "integer",
      minimum: 1,
      maximum: 4096,
      default: 16,
    },
    lr: {
      description: "Cosine learning-rate schedule: linear warmup to `peak`, cosine decay to `min` at the last step.",
      type: "object",
      additionalProperties: false,
      properties: {
        peak: { type: "number", exclusiveMinimum: 0, default: 0.001 },
        warmup: { description: "Warmup steps (at most `steps`).", type: "integer", minimum: 0, default: 20 },
        min: { description: "Final learning rate (default peak / 10).", type: "number", minimum: 0 },
      },
      default: {},
    },
    weightDecay: {
      description: "AdamW decoupled weight decay (matrices only).",
      type: "number",
      minimum: 0,
      default: 0.01,
    },
    clip: {
      description: "Max global gradient norm; 0 disables clipping.",
      type: "number",
      minimum: 0,
      default: 1.0,
    },
    seed: {
      description: "Seed of the initialisation (without init), the data order and the masks. Same seed, same backend -> same model.",
      type: "integer",
      minimum: 0,
      maximum: 4294967295,
      default: 0,
    },
    checkpointEvery: {
      description: "Write a checkpoint (and measure validation loss) every this many steps, and after the last.",
      type: "integer",
      minimum: 1,
      default: 50,
    },
    keep: {
      description: "Keep the last this many checkpoints (plus the one with the lowest validation loss).",
      type: "integer",
      minimum: 1,
      default: 2,
    },
    logEvery: {
      description: "Record the training loss every this many steps.",
      type: "integer",
      minimum: 1,
      default: 10,
    },
    valBatches: {
      description: "Validation batches per task at each checkpoint (records of the val split, fixed masks).",
      type: "integer",
      minimum: 1,
      default: 2,
    },
    model: {
      description: "Model size (model/config.ts; defaults there), only without `init`. Vocabulary, image codebook and grid come from the tokenizer and the tokens artifact.",
      type: "object",
      additionalProperties: false,
      properties: {
        textLength: { description: "T, text positions per sequence (L = T + N + 3).", type: "integer", minimum: 5 },
        dModel: { type: "integer", minimum: 2 },
        nHeads: { type: "integer", minimum: 1 },
        nLayers: { type: "integer", minimum: 1 },
        mlpHidden: { type: "integer", minimum: 1 },
        dropout: { type: "number", minimum: 0, exclusiveMaximum: 1 },
        ropeBase: { type: "number", exclusiveMinimum: 1 },
        maskEps: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
        normEps: { type: "number", exclusiveMinimum: 0 },
        initStd: { type: "number", exclusiveMinimum: 0 },
      },
      default: {},
    },
  },
} as const satisfies JSONSchema;

/** `with` as the step receives it: validated, defaults filled. */
export type TrainWith = FromSchema<typeof schema>;

export type TrainOptions = WithInputs<TrainWith, "dataset" | "tokens" | "init">;

export function checkTrain(w: TrainWith, ctx?: CheckContext): KindProblem[] {
  const problems: KindProblem[] = [];
  const composition = batchComposition(w.mix, w.batch);
  if (typeof composition === "string") problems.push({ at: ["batch"], message: composition });
  const { lr, steps } = w;
  if (lr.warmup > steps) problems.push({ at: ["lr", "warmup"], message: `lr.warmup (${lr.warmup}) exceeds steps (${steps})`, hint: "lower lr.warmup or raise steps" });
  if (lr.min !== undefined && lr.min > lr.peak) problems.push({ at: ["lr", "min"], message: `lr.min (${lr.min}) is above lr.peak (${lr.peak})`, hint: "lower lr.min" });
  const overrides = Object.keys(w.model);
  if (w.init !== undefined && overrides.length > 0) {
    problems.push({ at: ["model"], message: `model (${overrides.join(", ")}) only applies to a fresh model, but init is given (its config is used)`, hint: "remove model or init" });
  }
  const dataset = ctx?.upstream("dataset");
  for (const t of activeTasks(w.mix)) {
    if (plannedMixRecords(dataset, t, "train") === 0) {
      problems.push({ at: ["mix", t], message: `mix.${t} is ${w.mix[t]} but step '${dataset!.id}' writes no ${t} training records`, hint: `raise its counts or set mix.${t} to 0` });
    }
  }
  return problems;
}

/** Rows per mix task of every batch (call after checkTrain found no problem). */
export function batchParts(w: Pick<TrainWith, "mix" | "batch">): BatchPart[] {
  const parts = batchComposition(w.mix, w.batch);
  if (typeof parts === "string") throw new Error(parts);
  return parts;
}

export const trainKind: KindDefinition = {
  name: "train",
  description: "Train the MMaDA model for one stage (pretraining or mixed chain-of-thought fine-tuning); resumable.",
  schema,
  inputs: { dataset: "dataset", tokens: "tokens", init: "checkpoint" },
  outputs: fixedOutputs({ checkpoint: "checkpoint" }),
  checkpoints: true,
  budget: { field: "steps", metrics: ["val_loss", ...MIX_TASKS.map((t) => `val_loss.${t}`), "loss", "lr"] },
  check: (w, ctx) => checkTrain(w as TrainWith, ctx),
};
