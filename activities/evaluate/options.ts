// The evaluate step's options and the rule its schema cannot express (run by `mmada validate`): a
// benchmark never asks for more prompts than the evaluated split holds, so the reported sample
// counts are the ones the spec asked for.
import type { CheckContext, KindProblem } from "../../contract/step-kind.ts";
import type { WithInputs } from "../kit/inputs.ts";
import { plannedRecords } from "../mmada/dataset-sizes.ts";
import type { EvaluateWith } from "./schema.ts";

export type EvaluateOptions = WithInputs<EvaluateWith, "checkpoint" | "dataset" | "tokens" | "classifier" | "vq" | "judge2">;

/** Each text benchmark and the dataset task (and share of it) its prompts come from: vqa records
 *  alternate digit questions (even) and yes/no questions (odd). */
const SOURCES = {
  gsm8k: { task: "cot", share: (n: number) => n },
  mmcot: { task: "mmcot", share: (n: number) => n },
  vqa: { task: "vqa", share: (n: number) => Math.ceil(n / 2) },
  pope: { task: "vqa", share: (n: number) => Math.floor(n / 2) },
  caption: { task: "caption", share: (n: number) => n },
  textNll: { task: "lm", share: (n: number) => n },
} as const;

export function checkEvaluate(w: EvaluateWith, ctx?: CheckContext): KindProblem[] {
  const dataset = ctx?.upstream("dataset");
  const problems: KindProblem[] = [];
  for (const [bench, { task, share }] of Object.entries(SOURCES)) {
    const asked = w.samples[bench as keyof typeof SOURCES];
    const records = plannedRecords(dataset, task, w.split);
    if (records === undefined || asked <= share(records)) continue;
    problems.push({
      at: ["samples", bench],
      message: `samples.${bench} asks ${asked} prompts but step '${dataset!.id}' writes ${share(records)} usable ${task} ${w.split} records`,
      hint: `raise its counts.${task}.${w.split} or lower samples.${bench}`,
    });
  }
  return problems;
}
