// A whole dataset from a recipe (docs/mmada.md §1 tasks, §6 tiny benchmarks): digit images split
// train/val/test, text passages (lm), arithmetic chain-of-thought (cot) and the image tasks
// (mmcot, caption, vqa, t2i), written in the format of format.ts. Deterministic by seed; pure
// TypeScript (no tfjs). prepare-data is this function behind a step.
import { join } from "node:path";
import { generateCaptions, generateMmcot, generateVqa, type ImageTaskOptions } from "./image-tasks.ts";
import { BadRecords } from "./brought.ts";
import { type BroughtSources, type DatasetRecipe, type ImageSplits, loadCotSplits, loadImageSplits, loadLmSplits } from "./sources.ts";
import { DATASET_FORMAT, DATASET_FORMAT_VERSION, type DatasetManifest, type SplitCounts, type TaskRecords, writeManifest, writeSplit } from "./format.ts";
import { type Split, SPLITS } from "./vocab.ts";
import { IMAGE_SIDE } from "./mnist.ts";
import { TEMPLATES_VERSION } from "./templates.ts";

export interface BuildHooks {
  log(line: string): void;
  /** Where the build is, 0-95 (storing the folder is the caller's last 5%). */
  progress(percent: number, message: string): void;
  /** Throws when the build must stop (the step was cancelled). */
  checkCancelled(): void;
}

/** Image-task records of one split: generated from labels, or the brought captions. */
function imageTasks(o: DatasetRecipe, imgs: ImageSplits, split: Split): Pick<TaskRecords, "mmcot" | "caption" | "vqa" | "t2i"> {
  const labels = imgs.images[split].labels;
  const t: ImageTaskOptions = { operands: [o.arithmetic.minOperand, o.arithmetic.maxOperand], maxSampleLength: o.maxSampleLength, yesno: o.yesno };
  const c = (task: keyof typeof o.counts) => o.counts[task][split];
  const brought = imgs.pairs?.[split];
  return {
    mmcot: generateMmcot(o.seed, split, labels, c("mmcot"), t),
    caption: brought ?? generateCaptions(o.seed, split, "caption", labels, c("caption"), t),
    vqa: generateVqa(o.seed, split, labels, c("vqa"), t),
    t2i: brought ?? generateCaptions(o.seed, split, "t2i", labels, c("t2i"), t),
  };
}

/** Writes the dataset folder `dir`; returns its manifest (what was written, and every bad record
 *  of the brought files that `onBadRecord: skip` left out). */
export async function buildDataset(dir: string, o: DatasetRecipe, brought: BroughtSources, hooks: BuildHooks): Promise<DatasetManifest> {
  const bad = new BadRecords();
  hooks.progress(0, "reading images");
  const imgs = await loadImageSplits(o, brought, bad, hooks.log);
  hooks.checkCancelled();
  hooks.progress(30, "reading text");
  const lm = await loadLmSplits(o, brought, bad, hooks.log);
  hooks.checkCancelled();
  hooks.progress(50, "chain-of-thought problems");
  const cot = await loadCotSplits(o, brought, bad, hooks.log);
  hooks.checkCancelled();

  const counts = {} as { [s in Split]: SplitCounts };
  for (const [i, split] of SPLITS.entries()) {
    hooks.progress(60 + 10 * i, `writing ${split}`);
    const records: TaskRecords = { lm: lm.records[split], cot: cot.records[split], ...imageTasks(o, imgs, split) };
    counts[split] = await writeSplit(join(dir, split), imgs.images[split], records);
    hooks.checkCancelled();
  }
  if (bad.count) {
    hooks.log(`prepare-data: skipped ${bad.count} bad record(s) (onBadRecord: skip); first ${bad.first().length}:`);
    for (const line of bad.first()) hooks.log(`  ${line}`);
  }
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    version: DATASET_FORMAT_VERSION,
    templatesVersion: TEMPLATES_VERSION,
    seed: o.seed,
    image: { height: IMAGE_SIDE, width: IMAGE_SIDE, dtype: "uint8" },
    requested: { digits: o.digits, counts: o.counts },
    counts,
    sources: {
      digits: imgs.source,
      lm: lm.source,
      cot: cot.source,
      captions: imgs.pairs ? imgs.source : `generated (templates v${TEMPLATES_VERSION})`,
    },
    arithmetic: o.arithmetic,
    passageLength: o.passageLength,
    maxSampleLength: o.maxSampleLength,
    yesno: o.yesno,
    badRecords: { count: bad.count, first: bad.first() },
  };
  await writeManifest(dir, manifest);
  return manifest;
}
