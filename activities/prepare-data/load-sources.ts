// The three pools a dataset is cut from (images, text passages, chain-of-thought problems), each
// either built in (MNIST, Moby-Dick, generated arithmetic) or brought by the user, and each cut
// into disjoint train/val/test by its own seeded stream.
import type { StepContext } from "../kit/step-context.ts";
import { generateCot, type CotRecord } from "../mmada/data/arithmetic.ts";
import { UNLABELLED, readByoImages, type ByoPair } from "./byo-images.ts";
import { readByoCot, readByoText, resolveSource } from "./byo-text.ts";
import type { LmRecord } from "../mmada/data/dataset-format.ts";
import type { BadRecords } from "./jsonl.ts";
import { loadMnistPool, mnistSource, selectImages, splitMnist, type ImagePool } from "../mmada/data/mnist-source.ts";
import { SPLITS, type Split } from "../mmada/data/vocab.ts";
import type { PrepareDataOptions } from "./options.ts";
import { rngFor } from "../mmada/data/seeded.ts";
import { splitPool, type SplitResult } from "./splits.ts";
import { mobyDickPassages, mobyDickSource } from "./text-source.ts";

export type PerSplit<T> = { [s in Split]: T };

export interface ImageSplits {
  images: PerSplit<ImagePool>;
  /** Brought (image, caption) pairs with `image` re-indexed into its split; absent for MNIST. */
  pairs?: PerSplit<ByoPair[]>;
  source: string;
}

function perSplit<T>(f: (s: Split) => T): PerSplit<T> {
  return { train: f("train"), val: f("val"), test: f("test") };
}

function logClamped(ctx: StepContext, cut: SplitResult, what: string, wanted: number): void {
  if (cut.trainClamped) ctx.log(`prepare-data: ${what} has only ${cut.indices.train.length} train items left after val and test (asked for ${wanted})`);
}

export async function loadImageSplits(ctx: StepContext, o: PrepareDataOptions, bad: BadRecords): Promise<ImageSplits> {
  const rng = rngFor(o.seed, "digits");
  if (o.images === undefined || o.captions === undefined) {
    const cut = splitMnist(rng, o.digits);
    const pool = loadMnistPool();
    return { images: perSplit((s) => selectImages(pool, cut.indices[s])), source: mnistSource() };
  }
  const folder = await resolveSource(ctx, o.images, "images", "dir");
  const captions = await resolveSource(ctx, o.captions, "captions", "file");
  const { pool, pairs } = await readByoImages(folder, captions, o.maxSampleLength, bad);
  bad.check(o.onBadRecord);
  const cut = splitPool(rng, pool.n, o.digits, { pool: `with.images (${pool.n} usable images)`, fields: "digits.val/test" });
  logClamped(ctx, cut, "with.images", o.digits.train);
  if (pool.labels.every((l) => l === UNLABELLED)) ctx.log("prepare-data: no line of with.captions has a label, so mmcot and vqa stay empty");
  // pool row -> row within its split, so pairs follow their image
  const rowInSplit = new Map<number, { split: Split; row: number }>();
  for (const s of SPLITS) cut.indices[s].forEach((src, row) => rowInSplit.set(src, { split: s, row }));
  const splitPairs = perSplit<ByoPair[]>(() => []);
  for (const p of pairs) {
    const at = rowInSplit.get(p.image);
    if (at) splitPairs[at.split].push({ image: at.row, caption: p.caption });
  }
  return {
    images: perSplit((s) => selectImages(pool, cut.indices[s])),
    pairs: splitPairs,
    source: `images ${folder.describe} + captions ${captions.describe}`,
  };
}

export async function loadLmSplits(ctx: StepContext, o: PrepareDataOptions, bad: BadRecords): Promise<{ records: PerSplit<LmRecord[]>; source: string }> {
  let passages: string[];
  let source: string;
  if (o.text === undefined) {
    passages = mobyDickPassages(o.passageLength);
    source = mobyDickSource();
  } else {
    const src = await resolveSource(ctx, o.text, "text", "file");
    passages = await readByoText(src, o.passageLength, bad);
    bad.check(o.onBadRecord);
    source = src.describe;
  }
  const cut = splitPool(rngFor(o.seed, "lm"), passages.length, o.counts.lm, { pool: `text (${passages.length} passages)`, fields: "counts.lm.val/test" });
  logClamped(ctx, cut, "text", o.counts.lm.train);
  return { records: perSplit((s) => cut.indices[s].map((i) => ({ text: passages[i]! }))), source };
}

export async function loadCotSplits(ctx: StepContext, o: PrepareDataOptions, bad: BadRecords): Promise<{ records: PerSplit<CotRecord[]>; source: string }> {
  if (o.cot === undefined) {
    return { records: generateCot(o.seed, o.arithmetic, o.counts.cot, o.maxSampleLength), source: "generated" };
  }
  const src = await resolveSource(ctx, o.cot, "cot", "file");
  const all = await readByoCot(src, o.maxSampleLength, bad);
  bad.check(o.onBadRecord);
  const cut = splitPool(rngFor(o.seed, "cot"), all.length, o.counts.cot, { pool: `with.cot (${all.length} usable records)`, fields: "counts.cot.val/test" });
  logClamped(ctx, cut, "with.cot", o.counts.cot.train);
  return { records: perSplit((s) => cut.indices[s].map((i) => all[i]!)), source: src.describe };
}
