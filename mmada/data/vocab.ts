// The library's vocabulary, pure data for every stage and for `mmada validate`: the splits, the
// dataset's tasks, the training mix tasks (which dataset tasks each reads, which loss part each
// trains, how a batch is split between them), the RL tasks, the benchmarks' sources; and what can be
// known of a dataset before it exists (records a prepare-data step's `with` will write). Nothing here
// touches tensors or files, so the compiler may import it (through spec.ts) at no cost.
import type { UpstreamStep } from "../../contract/step-kind.ts";
import type { Task } from "../../model/layouts.ts";

export const SPLITS = ["train", "val", "test"] as const;
export type Split = (typeof SPLITS)[number];

export const TASKS = ["lm", "cot", "mmcot", "caption", "vqa", "t2i"] as const;
export type TaskName = (typeof TASKS)[number];

export type SplitSizes = { [s in Split]: number };

export const MIX_TASKS = ["t2i", "lm", "mmu", "cot", "mmcot"] as const;
export type MixTask = (typeof MIX_TASKS)[number];

/** The dataset tasks each training mix task reads (training/tasks.ts builds its layouts from them). */
export const MIX_SOURCES: { [t in MixTask]: readonly TaskName[] } = { t2i: ["t2i"], lm: ["lm"], mmu: ["caption", "vqa"], cot: ["cot"], mmcot: ["mmcot"] };

/** The loss part (model/loss.ts) each mix task trains. */
export const LOSS_TASK: { [t in MixTask]: Task } = { t2i: "t2i", lm: "lm", mmu: "mmu", cot: "chat", mmcot: "mmu" };

/** The RL tasks (unigrpo's `mix`): prompts of these dataset tasks, each with its reward. */
export const RL_TASKS = ["cot", "mmcot", "t2i", "caption"] as const;
export type RlTask = (typeof RL_TASKS)[number];
export type RlMix = { [t in RlTask]: number };

export type Mix = { [t in MixTask]?: number };

export interface BatchPart {
  task: MixTask;
  rows: number;
}

/** Active tasks (weight > 0) in MIX_TASKS order. */
export function activeTasks(mix: Mix): MixTask[] {
  return MIX_TASKS.filter((t) => (mix[t] ?? 0) > 0);
}

/**
 * Rows per active task: batch * weight / sum by largest remainder, at least one row each (taken
 * from the task most above its exact share). Returns the problem as a string when the batch cannot
 * hold every task.
 */
export function batchComposition(mix: Mix, batch: number): BatchPart[] | string {
  const tasks = activeTasks(mix);
  if (tasks.length === 0) return `mix gives no task a weight above 0; set e.g. mix: { t2i: 1, lm: 1, mmu: 1 }`;
  if (batch < tasks.length) return `batch ${batch} is smaller than the ${tasks.length} tasks in the mix (${tasks.join(", ")}); raise batch to at least ${tasks.length}`;
  const total = tasks.reduce((s, t) => s + mix[t]!, 0);
  const exact = tasks.map((t) => (batch * mix[t]!) / total);
  const rows = exact.map(Math.floor);
  const byRemainder = tasks.map((_, i) => i).sort((a, b) => exact[b]! - rows[b]! - (exact[a]! - rows[a]!) || a - b);
  const missing = batch - rows.reduce((s, r) => s + r, 0);
  for (let k = 0; k < missing; k++) rows[byRemainder[k]!]!++;
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]! > 0) continue;
    // the row comes from the task furthest above its exact share (a largest-share donor could be
    // pushed 2 rows below its share while another task keeps a rounded-up extra)
    const excess = rows.map((r, j) => (r > 1 ? r - exact[j]! : -Infinity));
    const donor = excess.indexOf(Math.max(...excess));
    rows[donor]!--;
    rows[i] = 1;
  }
  return tasks.map((task, i) => ({ task, rows: rows[i]! }));
}

/** The brought file that replaces a task's generated records. */
const BROUGHT: { [t in TaskName]: string } = { lm: "text", cot: "cot", mmcot: "images", caption: "images", vqa: "images", t2i: "images" };

/** Records of `task` in `split` that a prepare-data step's `with` (defaults filled) will write;
 *  undefined when they come from a brought file or the upstream step is not a prepare-data step. */
export function plannedRecords(dataset: UpstreamStep | undefined, task: TaskName, split: Split): number | undefined {
  if (!dataset || dataset.uses !== "prepare-data") return undefined;
  if (dataset.with[BROUGHT[task]] !== undefined) return undefined;
  const counts = dataset.with["counts"] as { [t: string]: { [s: string]: number } } | undefined;
  const n = counts?.[task]?.[split];
  return typeof n === "number" ? n : undefined;
}

/** Records a training mix task will find in `split` (undefined when not knowable). */
export function plannedMixRecords(dataset: UpstreamStep | undefined, task: MixTask, split: Split): number | undefined {
  let total = 0;
  for (const source of MIX_SOURCES[task]) {
    const n = plannedRecords(dataset, source, split);
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
}

/** The benchmarks that generate text answers (evaluate asks each its own prompts; their accuracy
 *  is `<name>_acc`). */
export const TEXT_BENCHMARKS = ["gsm8k", "vqa", "pope", "caption", "mmcot"] as const;
export type TextBenchmark = (typeof TEXT_BENCHMARKS)[number];

/** Each text benchmark (and text_nll) and the dataset task (and share of it) its prompts come from:
 *  vqa records alternate digit questions (even) and yes/no questions (odd). */
export const BENCHMARK_SOURCES = {
  gsm8k: { task: "cot", share: (n: number) => n },
  mmcot: { task: "mmcot", share: (n: number) => n },
  vqa: { task: "vqa", share: (n: number) => Math.ceil(n / 2) },
  pope: { task: "vqa", share: (n: number) => Math.floor(n / 2) },
  caption: { task: "caption", share: (n: number) => n },
  textNll: { task: "lm", share: (n: number) => n },
} as const;
