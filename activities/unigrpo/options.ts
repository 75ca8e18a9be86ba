// The unigrpo step's options and the rule its schema cannot express (run by `mmada validate`): every
// task the RL mix draws from has training records in the dataset.
import type { CheckContext, KindProblem } from "../../contract/step-kind.ts";
import type { WithInputs } from "../kit/inputs.ts";
import { plannedRecords } from "../mmada/dataset-sizes.ts";
import { RL_TASKS } from "../mmada/eval/prompt-pool.ts";
import type { UnigrpoWith } from "./schema.ts";

export type UnigrpoOptions = WithInputs<UnigrpoWith, "init" | "dataset" | "tokens" | "classifier" | "vq">;

export function checkUnigrpo(w: UnigrpoWith, ctx?: CheckContext): KindProblem[] {
  const active = RL_TASKS.filter((t) => w.mix[t] > 0);
  if (active.length === 0) return [{ at: ["mix"], message: "mix gives no task a weight above 0", hint: "set e.g. mix: { cot: 1, mmcot: 1, t2i: 1 }" }];
  const dataset = ctx?.upstream("dataset");
  return active.flatMap((t): KindProblem[] =>
    plannedRecords(dataset, t, "train") === 0
      ? [{ at: ["mix", t], message: `mix.${t} is ${w.mix[t]} but step '${dataset!.id}' writes no ${t} training records`, hint: `raise its counts.${t}.train or set mix.${t} to 0` }]
      : [],
  );
}
