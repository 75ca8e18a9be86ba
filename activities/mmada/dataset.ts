// The dataset artifact as the MMaDA kinds use it: the reader of activities/data (format checks
// and all) plus digits as float pixels in [0, 1], the form every model in model/ takes.
import { readDatasetSplit, readManifest, type DatasetSplit } from "./data/read-dataset.ts";
import { PIXEL_MAX, PIXELS } from "./data/mnist-source.ts";
import { SPLITS, type Split } from "./data/vocab.ts";
import type { DatasetManifest } from "./data/dataset-format.ts";

export { PIXELS, SPLITS, type DatasetManifest, type DatasetSplit, type Split };

export interface Digits {
  /** [n, 784] row-major, pixels in [0, 1]. */
  images: Float32Array;
  /** Digit 0-9 per image, -1 for an unlabelled brought image. */
  labels: Int32Array;
  n: number;
}

export interface Dataset {
  dir: string;
  manifest: DatasetManifest;
  splits: { [s in Split]: DatasetSplit };
}

/** Reads every split (records and images) of the dataset folder `dir`. */
export async function readDataset(dir: string): Promise<Dataset> {
  const manifest = await readManifest(dir);
  const splits = {} as { [s in Split]: DatasetSplit };
  for (const s of SPLITS) splits[s] = await readDatasetSplit(dir, s, manifest);
  return { dir, manifest, splits };
}

/** A split's digits as floats. */
export function digitsOf(split: DatasetSplit): Digits {
  const { pixels, labels, n } = split.images;
  const images = new Float32Array(n * PIXELS); // [n, 784]
  for (let i = 0; i < images.length; i++) images[i] = pixels[i]! / PIXEL_MAX;
  return { images, labels: Int32Array.from(labels), n };
}

/** Only the labelled images (for the classifier). */
export function labelledOnly(d: Digits): Digits {
  const keep: number[] = [];
  d.labels.forEach((l, i) => {
    if (l >= 0) keep.push(i);
  });
  if (keep.length === d.n) return d;
  const images = new Float32Array(keep.length * PIXELS); // [k, 784]
  keep.forEach((src, dst) => images.set(d.images.subarray(src * PIXELS, (src + 1) * PIXELS), dst * PIXELS));
  return { images, labels: Int32Array.from(keep, (i) => d.labels[i]!), n: keep.length };
}
