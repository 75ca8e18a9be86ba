// The three pools a dataset is cut from (images, text passages, chain-of-thought problems), each
// either built in (MNIST, Moby-Dick, generated arithmetic) or brought by the user, and each cut
// into disjoint train/val/test by its own seeded stream. The held-out splits are cut first and
// always get what they asked for (evaluation sizes must not shrink silently); train takes up to its
// request from what is left.
import type { Rng } from "../../model/rng.ts";
import { BadInputError } from "../../contract/failures.ts";
import { type CotRecord, generateCot } from "./arithmetic.ts";
import { type BadRecords, type ByoPair, readByoCot, readByoImages, readByoText, type ResolvedSource, UNLABELLED } from "./brought.ts";
import type { ArithmeticOptions } from "./arithmetic.ts";
import type { YesNoFormat } from "./image-tasks.ts";
import type { LmRecord } from "./format.ts";
import { type Split, SPLITS, type SplitSizes } from "./vocab.ts";
import { type ImagePool, loadMnistPool, mnistSource, selectImages } from "./mnist.ts";
import { rngFor } from "./random.ts";
import { mobyDickPassages, mobyDickSource } from "./text.ts";

export type PerSplit<T> = { [s in Split]: T };

/** What a dataset is cut from: prepare-data's `with` without its brought files. */
export interface DatasetRecipe {
  seed: number;
  digits: SplitSizes;
  counts: { lm: SplitSizes; cot: SplitSizes; mmcot: SplitSizes; caption: SplitSizes; vqa: SplitSizes; t2i: SplitSizes };
  arithmetic: ArithmeticOptions;
  passageLength: number;
  maxSampleLength: number;
  yesno: YesNoFormat;
  onBadRecord: "skip" | "fail";
}

/** The user's own files, found and checked by the caller (each replaces a built-in pool). */
export interface BroughtSources {
  text?: ResolvedSource;
  cot?: ResolvedSource;
  images?: ResolvedSource;
  captions?: ResolvedSource;
}

export interface ImageSplits {
  images: PerSplit<ImagePool>;
  /** Brought (image, caption) pairs with `image` re-indexed into its split; absent for MNIST. */
  pairs?: PerSplit<ByoPair[]>;
  source: string;
}

function perSplit<T>(f: (s: Split) => T): PerSplit<T> {
  return { train: f("train"), val: f("val"), test: f("test") };
}

export interface SplitResult {
  /** Indices into the pool, per split; disjoint. */
  indices: { [s in Split]: number[] };
  /** True when train got fewer than requested because the pool ran out. */
  trainClamped: boolean;
}

/**
 * Shuffles 0..n-1 and cuts val, test, then train.
 * @param what names the pool and the fields to change, for the error a user sees.
 */
export function splitPool(rng: Rng, n: number, want: SplitSizes, what: { pool: string; fields: string }): SplitResult {
  const heldOut = want.val + want.test;
  if (heldOut > n || (want.train > 0 && heldOut === n)) {
    throw new BadInputError(
      `${what.pool} has ${n} items, too few for val ${want.val} + test ${want.test} + at least one train item; ` +
        `lower ${what.fields} or bring more data`,
    );
  }
  const order = rng.permutation(n);
  const val = order.slice(0, want.val);
  const test = order.slice(want.val, heldOut);
  const train = order.slice(heldOut, heldOut + want.train);
  return { indices: { train, val, test }, trainClamped: train.length < want.train };
}

/** Disjoint MNIST splits; all three sizes are honoured (the schema's `digits` says so). */
function splitMnist(rng: Rng, sizes: SplitSizes): SplitResult {
  const pool = loadMnistPool();
  const total = sizes.train + sizes.val + sizes.test;
  if (total > pool.n) {
    throw new BadInputError(
      `digits: train ${sizes.train} + val ${sizes.val} + test ${sizes.test} = ${total} images, but MNIST has ${pool.n}; ` +
        "lower digits.train/val/test so they sum to at most " + pool.n,
    );
  }
  return splitPool(rng, pool.n, sizes, { pool: "MNIST", fields: "digits.train/val/test" });
}

function logClamped(log: (line: string) => void, cut: SplitResult, what: string, wanted: number): void {
  if (cut.trainClamped) log(`prepare-data: ${what} has only ${cut.indices.train.length} train items left after val and test (asked for ${wanted})`);
}

export async function loadImageSplits(o: DatasetRecipe, brought: BroughtSources, bad: BadRecords, log: (line: string) => void): Promise<ImageSplits> {
  const rng = rngFor(o.seed, "digits");
  const { images: folder, captions } = brought;
  if (folder === undefined || captions === undefined) {
    const cut = splitMnist(rng, o.digits);
    const pool = loadMnistPool();
    return { images: perSplit((s) => selectImages(pool, cut.indices[s])), source: mnistSource() };
  }
  const { pool, pairs } = await readByoImages(folder, captions, o.maxSampleLength, bad);
  bad.check(o.onBadRecord);
  const cut = splitPool(rng, pool.n, o.digits, { pool: `with.images (${pool.n} usable images)`, fields: "digits.val/test" });
  logClamped(log, cut, "with.images", o.digits.train);
  if (pool.labels.every((l) => l === UNLABELLED)) log("prepare-data: no line of with.captions has a label, so mmcot and vqa stay empty");
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

export async function loadLmSplits(o: DatasetRecipe, brought: BroughtSources, bad: BadRecords, log: (line: string) => void): Promise<{ records: PerSplit<LmRecord[]>; source: string }> {
  let passages: string[];
  let source: string;
  const src = brought.text;
  if (src === undefined) {
    passages = mobyDickPassages(o.passageLength);
    source = mobyDickSource();
  } else {
    passages = await readByoText(src, o.passageLength, bad);
    bad.check(o.onBadRecord);
    source = src.describe;
  }
  const cut = splitPool(rngFor(o.seed, "lm"), passages.length, o.counts.lm, { pool: `text (${passages.length} passages)`, fields: "counts.lm.val/test" });
  logClamped(log, cut, "text", o.counts.lm.train);
  return { records: perSplit((s) => cut.indices[s].map((i) => ({ text: passages[i]! }))), source };
}

export async function loadCotSplits(o: DatasetRecipe, brought: BroughtSources, bad: BadRecords, log: (line: string) => void): Promise<{ records: PerSplit<CotRecord[]>; source: string }> {
  const src = brought.cot;
  if (src === undefined) {
    return { records: generateCot(o.seed, o.arithmetic, o.counts.cot, o.maxSampleLength), source: "generated" };
  }
  const all = await readByoCot(src, o.maxSampleLength, bad);
  bad.check(o.onBadRecord);
  const cut = splitPool(rngFor(o.seed, "cot"), all.length, o.counts.cot, { pool: `with.cot (${all.length} usable records)`, fields: "counts.cot.val/test" });
  logClamped(log, cut, "with.cot", o.counts.cot.train);
  return { records: perSplit((s) => cut.indices[s].map((i) => all[i]!)), source: src.describe };
}
