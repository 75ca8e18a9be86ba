// What `mmada validate` can know of a dataset before it exists: the records per task and split that
// a prepare-data step will write, from its `with` (defaults filled). Unknown (undefined) when the
// task's records come from a brought file, or when the upstream step is not a prepare-data step.
import type { UpstreamStep } from "../../contract/step-kind.ts";
import type { MixTask } from "./task-sources.ts";

type Split = "train" | "val" | "test";
type DatasetTask = "lm" | "cot" | "mmcot" | "caption" | "vqa" | "t2i";

/** The dataset tasks each training mix task reads (task-sources.ts). */
const SOURCES: { [t in MixTask]: DatasetTask[] } = { t2i: ["t2i"], lm: ["lm"], mmu: ["caption", "vqa"], cot: ["cot"], mmcot: ["mmcot"] };
/** The brought file that replaces a task's generated records. */
const BROUGHT: { [t in DatasetTask]: string } = { lm: "text", cot: "cot", mmcot: "images", caption: "images", vqa: "images", t2i: "images" };

export function plannedRecords(dataset: UpstreamStep | undefined, task: DatasetTask, split: Split): number | undefined {
  if (!dataset || dataset.uses !== "prepare-data") return undefined;
  if (dataset.with[BROUGHT[task]] !== undefined) return undefined;
  const counts = dataset.with["counts"] as { [t: string]: { [s: string]: number } } | undefined;
  const n = counts?.[task]?.[split];
  return typeof n === "number" ? n : undefined;
}

/** Records a training mix task will find in `split` (undefined when not knowable). */
export function plannedMixRecords(dataset: UpstreamStep | undefined, task: MixTask, split: Split): number | undefined {
  let total = 0;
  for (const source of SOURCES[task]) {
    const n = plannedRecords(dataset, source, split);
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
}
