// Reads a dataset artifact written by prepare-data (for training and evaluation steps). Checks
// the format version and that each split's files agree with the manifest, so a truncated or
// hand-edited dataset fails here with the file to look at, not deep inside training. Digits come
// out as bytes (the format) or as float pixels in [0, 1] (`digitsOf`, what every model takes).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { BadInputError } from "../../contract/failures.ts";
import { DATASET_FORMAT, DATASET_FORMAT_VERSION, type DatasetManifest, DIGITS_FILE, LABELS_FILE, MANIFEST_FILE, taskFile, type TaskRecords } from "./format.ts";
import { type ImagePool, PIXEL_MAX, PIXELS } from "./mnist.ts";
import { type Split, SPLITS, TASKS } from "./vocab.ts";

export interface DatasetSplit {
  /** [n, 784] uint8 pixels + labels. */
  images: ImagePool;
  records: TaskRecords;
}

export async function readManifest(dir: string): Promise<DatasetManifest> {
  const path = join(dir, MANIFEST_FILE);
  const text = await readFile(path, "utf8").catch(() => {
    throw new BadInputError(`dataset: ${path} is missing; is this the 'dataset' output of a prepare-data step?`);
  });
  const m = JSON.parse(text) as Partial<DatasetManifest>;
  if (m.format !== DATASET_FORMAT || m.version !== DATASET_FORMAT_VERSION) {
    throw new BadInputError(
      `dataset: ${path} has format ${m.format} v${m.version}, this code reads ${DATASET_FORMAT} v${DATASET_FORMAT_VERSION}; re-run prepare-data`,
    );
  }
  return m as DatasetManifest;
}

async function readJsonlFile<T>(path: string): Promise<T[]> {
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** One split's images and records, checked against the manifest counts. */
export async function readDatasetSplit(dir: string, split: Split, manifest?: DatasetManifest): Promise<DatasetSplit> {
  const m = manifest ?? (await readManifest(dir));
  const base = join(dir, split);
  const pixels = new Uint8Array(await readFile(join(base, DIGITS_FILE)));
  const labels = JSON.parse(await readFile(join(base, LABELS_FILE), "utf8")) as number[];
  const n = m.counts[split].digits;
  if (pixels.length !== n * PIXELS || labels.length !== n) {
    throw new BadInputError(
      `dataset: ${base} holds ${pixels.length / PIXELS} images and ${labels.length} labels, manifest says ${n}; the artifact is damaged, re-run prepare-data`,
    );
  }
  const records = {} as { [t in keyof TaskRecords]: unknown[] };
  for (const task of TASKS) records[task] = await readSplitRecords(dir, split, task, m);
  return { images: { pixels, labels, n }, records: records as TaskRecords };
}

/** One task's records of one split (no images), checked against the manifest's count. */
export async function readSplitRecords<K extends keyof TaskRecords>(dir: string, split: Split, task: K, manifest?: DatasetManifest): Promise<TaskRecords[K]> {
  const m = manifest ?? (await readManifest(dir));
  const file = join(dir, split, taskFile(task));
  const records = await readJsonlFile<TaskRecords[K][number]>(file);
  if (records.length !== m.counts[split][task]) {
    throw new BadInputError(`dataset: ${file} has ${records.length} records, manifest says ${m.counts[split][task]}; re-run prepare-data`);
  }
  return records as TaskRecords[K];
}

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
