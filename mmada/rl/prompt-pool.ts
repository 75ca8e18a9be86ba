// Where UniGRPO's prompts come from: the train split's records per RL task, drawn with the
// `mix` weights. Layouts are built on demand (a split holds thousands of records, a step asks for
// a handful); a record that does not fit the model's text length is passed over for the next one.
import type { Rng } from "../../model/rng.ts";
import { BadInputError } from "../../contract/failures.ts";
import type { LayoutContext } from "../../model/layouts.ts";
import type { EvalSplit } from "../eval/benchmarks.ts";
import { captionPrompt, cotPrompt, mmcotPrompt, t2iPrompt } from "../eval/prompts.ts";
import type { RolloutPrompt } from "./rollouts.ts";
import { RL_TASKS, type RlMix, type RlTask } from "../data/vocab.ts";

export interface PromptPool {
  task: RlTask;
  size: number;
  /** The prompt of record i; throws when it does not fit the model. */
  build(i: number): RolloutPrompt;
}

export function promptPools(layout: LayoutContext, split: EvalSplit): { [t in RlTask]: PromptPool } {
  const r = split.data.records;
  const label = (image: number) => split.data.images.labels[image] ?? -1;
  const labelled = <T extends { image: number }>(xs: T[]) => xs.filter((x) => label(x.image) >= 0);
  const mmcot = labelled(r.mmcot);
  const caption = labelled(r.caption);
  const t2i = labelled(r.t2i);
  return {
    cot: { task: "cot", size: r.cot.length, build: (i) => cotPrompt(layout, r.cot[i]!) },
    mmcot: { task: "mmcot", size: mmcot.length, build: (i) => mmcotPrompt(layout, mmcot[i]!, split.codes(mmcot[i]!.image), label(mmcot[i]!.image)) },
    t2i: { task: "t2i", size: t2i.length, build: (i) => t2iPrompt(layout, t2i[i]!.caption, label(t2i[i]!.image)) },
    caption: { task: "caption", size: caption.length, build: (i) => captionPrompt(layout, caption[i]!, split.codes(caption[i]!.image), label(caption[i]!.image)) },
  };
}

/** Problems with the mix against the pools (empty when every active task can supply prompts). */
export function checkMix(mix: RlMix, pools: { [t in RlTask]: PromptPool }): string[] {
  const active = RL_TASKS.filter((t) => mix[t] > 0);
  if (active.length === 0) return ["mix gives no task a weight above 0; set e.g. mix: { cot: 1, mmcot: 1, t2i: 1 }"];
  return active.flatMap((t) => (pools[t].size === 0 ? [`mix.${t} > 0 but the train split has no usable ${t} records; set mix.${t}: 0 or re-run prepare-data with ${t} records`] : []));
}

/** `count` prompts: each task drawn with the mix weights, then a uniform record of that task. */
export function drawPrompts(rng: Rng, count: number, mix: RlMix, pools: { [t in RlTask]: PromptPool }): RolloutPrompt[] {
  const active = RL_TASKS.filter((t) => mix[t] > 0);
  const total = active.reduce((s, t) => s + mix[t], 0);
  return Array.from({ length: count }, () => {
    let u = rng.uniform() * total;
    const task = active.find((t) => (u -= mix[t]) < 0) ?? active[active.length - 1]!;
    const pool = pools[task];
    const start = rng.int(pool.size);
    for (let k = 0; k < pool.size; k++) {
      try {
        return pool.build((start + k) % pool.size);
      } catch {
        // does not fit the model's text length: try the next record
      }
    }
    throw new BadInputError(`no ${task} record of the train split fits the model's sequence; shorten the records or raise model.textLength`);
  });
}
