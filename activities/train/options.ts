// The `with` of a train step with defaults filled from schemas/steps/train.schema.json, plus the
// cross-field rules a schema cannot express, reported all at once.
import schema from "./schema.json" with { type: "json" };
import type { ModelConfig } from "../../model/config.ts";
import type { LossCoefficients } from "../../model/loss.ts";
import { batchComposition, type BatchPart, type Mix } from "../mmada/batches.ts";
import { withDefaults } from "../kit/with-defaults.ts";

/** ModelConfig fields a stage may set (the rest come from the tokenizer, the tokens and `seed`). */
export type ModelOverrides = Partial<Omit<ModelConfig, "textVocabSize" | "codebookSize" | "gridH" | "gridW" | "seed">>;

export interface TrainOptions {
  dataset: unknown;
  tokens: unknown;
  init?: unknown;
  stage: string;
  mix: Mix;
  coefficients: LossCoefficients;
  steps: number;
  batch: number;
  lr: { peak: number; warmup: number; min?: number };
  weightDecay: number;
  clip: number;
  seed: number;
  checkpointEvery: number;
  keep: number;
  logEvery: number;
  valBatches: number;
  model: ModelOverrides;
}

export interface ResolvedTrainOptions {
  options: TrainOptions;
  parts: BatchPart[];
  errors: string[];
}

export function resolveTrainOptions(w: unknown): ResolvedTrainOptions {
  const options = withDefaults<TrainOptions>(schema, w);
  const errors: string[] = [];
  const composition = batchComposition(options.mix ?? {}, options.batch);
  if (typeof composition === "string") errors.push(composition);
  const { lr, steps } = options;
  if (lr.warmup > steps) errors.push(`lr.warmup (${lr.warmup}) exceeds steps (${steps}); lower lr.warmup`);
  if (lr.min !== undefined && lr.min > lr.peak) errors.push(`lr.min (${lr.min}) is above lr.peak (${lr.peak}); lower lr.min`);
  if (options.init !== undefined && Object.keys(options.model ?? {}).length > 0) {
    errors.push(`model (${Object.keys(options.model).join(", ")}) only applies to a fresh model, but init is given (its config is used); remove model or init`);
  }
  return { options, parts: typeof composition === "string" ? [] : composition, errors };
}
