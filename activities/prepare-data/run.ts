// The `prepare-data` step kind: the one `dataset` artifact every MMaDA stage trains and evaluates
// on, built by the library (mmada/data/build.ts; format and templates in mmada/data/README.md). The
// step finds the user's own files (artifacts or project paths), builds the folder in its scratch
// space and stores it, with the records per task and split as metrics.
import { stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { MetricPoint, StepResult } from "../../contract/step-io.ts";
import { BadInputError } from "../../contract/failures.ts";
import { type BroughtSources, buildDataset, type ResolvedSource, SPLITS } from "../../mmada/data.ts";
import { type InputValue, type StepContext, stepOptions } from "../kit/step-context.ts";
import { checkPrepareData, type PrepareDataOptions } from "./kind.ts";

/** Name of the step's one output (and of the stored directory). */
export const DATASET_OUTPUT = "dataset";

export async function run(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const o = stepOptions<PrepareDataOptions>(ctx, raw, checkPrepareData);
  const brought: BroughtSources = {
    ...(o.text === undefined ? {} : { text: await resolveSource(ctx, o.text, "text", "file") }),
    ...(o.cot === undefined ? {} : { cot: await resolveSource(ctx, o.cot, "cot", "file") }),
    ...(o.images === undefined ? {} : { images: await resolveSource(ctx, o.images, "images", "dir") }),
    ...(o.captions === undefined ? {} : { captions: await resolveSource(ctx, o.captions, "captions", "file") }),
  };
  const dir = join(ctx.scratch, DATASET_OUTPUT);
  const manifest = await buildDataset(dir, o, brought, {
    log: ctx.log,
    progress: (percent, message) => ctx.progress({ percent, message }),
    checkCancelled: () => {
      if (ctx.signal.aborted) throw new Error("prepare-data cancelled");
    },
  });

  ctx.progress({ percent: 95, message: "storing the dataset" });
  const bad = manifest.badRecords.count;
  const meta: { [k: string]: number } = { bad_records: bad };
  const metrics: MetricPoint[] = [];
  for (const split of SPLITS) {
    for (const [task, n] of Object.entries(manifest.counts[split])) {
      meta[`${split}.${task}`] = n;
      metrics.push({ key: `count.${split}.${task}`, value: n });
    }
  }
  metrics.push({ key: "bad_records", value: bad });
  const dataset = await ctx.store(dir, "dataset", { name: DATASET_OUTPUT, meta });
  ctx.progress({ percent: 100, message: `dataset ${dataset.sha256.slice(0, 12)} stored` });
  return { artifacts: { [DATASET_OUTPUT]: dataset }, metrics };
}

/** The path of a brought file or folder; a BadInputError naming the field when it is missing. */
async function resolveSource(ctx: StepContext, src: InputValue, field: string, want: "file" | "dir"): Promise<ResolvedSource> {
  const path = typeof src === "string" ? resolve(src) : ctx.pathOf(src);
  const st = await stat(path).catch(() => undefined);
  if (!st) {
    throw new BadInputError(`prepare-data: with.${field} ${JSON.stringify(typeof src === "string" ? src : basename(path))} does not exist; check the path (relative to the project root)`);
  }
  if (want === "dir" && !st.isDirectory()) throw new BadInputError(`prepare-data: with.${field} must be a folder of PNG files, but ${basename(path)} is a file`);
  if (want === "file" && !st.isFile()) throw new BadInputError(`prepare-data: with.${field} must be a JSONL file, but ${basename(path)} is a folder`);
  const file = basename(path);
  return { path, file, describe: typeof src === "string" ? file : `${file} (sha256 ${src.sha256})` };
}
