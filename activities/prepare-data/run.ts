// The `prepare-data` step kind: builds the one `dataset` artifact every MMaDA stage trains and
// evaluates on (MMADA.md §1 tasks, §6 tiny benchmarks): digit images split train/val/test, text
// passages (lm), arithmetic chain-of-thought (cot), and image tasks (mmcot, caption, vqa, t2i).
// Deterministic by seed; pure TypeScript (no tfjs). Format and templates: activities/prepare-data/README.md.
import { join } from "node:path";
import { generateCaptions, generateMmcot, generateVqa, type ImageTaskOptions } from "../mmada/data/image-tasks.ts";
import { BadRecords } from "./jsonl.ts";
import { loadCotSplits, loadImageSplits, loadLmSplits, type ImageSplits } from "./load-sources.ts";
import { DATASET_FORMAT, DATASET_FORMAT_VERSION, type DatasetManifest, type SplitCounts, type TaskRecords } from "../mmada/data/dataset-format.ts";
import { IMAGE_SIDE } from "../mmada/data/mnist-source.ts";
import { SPLITS, type Split } from "../mmada/data/vocab.ts";
import { stepOptions } from "../kit/options.ts";
import { checkPrepareData, type PrepareDataOptions } from "./options.ts";
import { TEMPLATES_VERSION } from "../mmada/data/templates.ts";
import { writeManifest, writeSplit } from "./write-dataset.ts";
import { type StepContext } from "../kit/step-context.ts";
import type { MetricPoint } from "../../contract/artifacts.ts";
import type { StepResult } from "../../contract/step-io.ts";

/** Name of the step's one output (and of the stored directory). */
export const DATASET_OUTPUT = "dataset";

function checkCancelled(ctx: StepContext): void {
  if (ctx.signal.aborted) throw new Error("prepare-data cancelled");
}

/** Image-task records of one split: generated from labels, or the brought captions. */
function imageTasks(o: PrepareDataOptions, imgs: ImageSplits, split: Split): Pick<TaskRecords, "mmcot" | "caption" | "vqa" | "t2i"> {
  const labels = imgs.images[split].labels;
  const t: ImageTaskOptions = { operands: [o.arithmetic.minOperand, o.arithmetic.maxOperand], maxSampleLength: o.maxSampleLength };
  const c = (task: keyof typeof o.counts) => o.counts[task][split];
  const brought = imgs.pairs?.[split];
  return {
    mmcot: generateMmcot(o.seed, split, labels, c("mmcot"), t),
    caption: brought ?? generateCaptions(o.seed, split, "caption", labels, c("caption"), t),
    vqa: generateVqa(o.seed, split, labels, c("vqa"), t),
    t2i: brought ?? generateCaptions(o.seed, split, "t2i", labels, c("t2i"), t),
  };
}

export async function run(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const o = stepOptions<PrepareDataOptions>(ctx, raw, checkPrepareData);
  const bad = new BadRecords();

  ctx.progress({ percent: 0, message: "reading images" });
  const imgs = await loadImageSplits(ctx, o, bad);
  checkCancelled(ctx);
  ctx.progress({ percent: 30, message: "reading text" });
  const lm = await loadLmSplits(ctx, o, bad);
  checkCancelled(ctx);
  ctx.progress({ percent: 50, message: "chain-of-thought problems" });
  const cot = await loadCotSplits(ctx, o, bad);
  checkCancelled(ctx);

  const dir = join(ctx.scratch, DATASET_OUTPUT);
  const counts = {} as { [s in Split]: SplitCounts };
  for (const [i, split] of SPLITS.entries()) {
    ctx.progress({ percent: 60 + 10 * i, message: `writing ${split}` });
    const records: TaskRecords = { lm: lm.records[split], cot: cot.records[split], ...imageTasks(o, imgs, split) };
    counts[split] = await writeSplit(join(dir, split), imgs.images[split], records);
    checkCancelled(ctx);
  }

  if (bad.count) {
    ctx.log(`prepare-data: skipped ${bad.count} bad record(s) (onBadRecord: skip); first ${bad.first().length}:`);
    for (const line of bad.first()) ctx.log(`  ${line}`);
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
    badRecords: { count: bad.count, first: bad.first() },
  };
  await writeManifest(dir, manifest);

  ctx.progress({ percent: 95, message: "storing the dataset" });
  const meta: { [k: string]: number } = { bad_records: bad.count };
  const metrics: MetricPoint[] = [];
  for (const split of SPLITS) {
    for (const [task, n] of Object.entries(counts[split])) {
      meta[`${split}.${task}`] = n;
      metrics.push({ key: `count.${split}.${task}`, value: n });
    }
  }
  metrics.push({ key: "bad_records", value: bad.count });
  const dataset = await ctx.store(dir, "dataset", { name: DATASET_OUTPUT, meta });
  ctx.progress({ percent: 100, message: `dataset ${dataset.sha256.slice(0, 12)} stored` });
  return { artifacts: { [DATASET_OUTPUT]: dataset }, metrics };
}
