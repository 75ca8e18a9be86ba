// The train step's options: its `with` as the compiler hands it over (schema defaults filled), and
// the cross-field rules the schema cannot express. The compiler runs `checkTrain` in `mmada validate`
// (errors at their line:col); the step runs it again before it touches any data.
import type { CheckContext, KindProblem } from "../../contract/step-kind.ts";
import type { WithInputs } from "../kit/inputs.ts";
import { activeTasks, batchComposition, type BatchPart } from "../mmada/batches.ts";
import { plannedMixRecords } from "../mmada/dataset-sizes.ts";
import type { TrainWith } from "./schema.ts";

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
export function batchParts(w: TrainWith): BatchPart[] {
  const parts = batchComposition(w.mix, w.batch);
  if (typeof parts === "string") throw new Error(parts);
  return parts;
}
