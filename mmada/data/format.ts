// The dataset's on-disk format (README.md
// in this folder documents it for users): one directory with manifest.json and train/ val/ test/,
// each holding digits.u8 + labels.json and one JSONL file per task; and its writer. JSON is written
// with a fixed key order and no timestamps or absolute paths, so the same seed and settings give
// byte-identical files (and the same artifact hash, which is what makes prepare-data cacheable).
// The reader is read.ts.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CotRecord } from "./arithmetic.ts";
import type { CaptionRecord, MmcotRecord, VqaRecord, YesNoFormat } from "./image-tasks.ts";
import type { ImagePool } from "./mnist.ts";
import { type Split, type SplitSizes, type TaskName, TASKS } from "./vocab.ts";

export const DATASET_FORMAT = "mmada-dataset";
export const DATASET_FORMAT_VERSION = 1;

export const MANIFEST_FILE = "manifest.json";
/** [n, 784] uint8, row-major 28x28, 0 = background. */
export const DIGITS_FILE = "digits.u8";
/** number[n]: digit 0-9 per image, -1 for a brought image without a label. */
export const LABELS_FILE = "labels.json";

export interface LmRecord {
  text: string;
}

/** The records of each task; `image` fields index the split's digits. */
export interface TaskRecords {
  lm: LmRecord[];
  cot: CotRecord[];
  mmcot: MmcotRecord[];
  caption: CaptionRecord[];
  vqa: VqaRecord[];
  t2i: CaptionRecord[];
}

export function taskFile(task: TaskName): string {
  return `${task}.jsonl`;
}

export interface SplitCounts {
  digits: number;
  lm: number;
  cot: number;
  mmcot: number;
  caption: number;
  vqa: number;
  t2i: number;
}

export interface DatasetManifest {
  format: typeof DATASET_FORMAT;
  version: typeof DATASET_FORMAT_VERSION;
  templatesVersion: number;
  seed: number;
  image: { height: number; width: number; dtype: "uint8" };
  /** What was asked for (after defaults). */
  requested: { digits: SplitSizes; counts: { [t in TaskName]: SplitSizes } };
  /** What was written. */
  counts: { [s in Split]: SplitCounts };
  /** Where each part came from: a package@version, "generated", or a brought file. */
  sources: { digits: string; lm: string; cot: string; captions: string };
  arithmetic: { minOps: number; maxOps: number; minOperand: number; maxOperand: number; operators: string[] };
  passageLength: number;
  maxSampleLength: number;
  /** How yes/no questions are answered (absent in datasets written before the option: answer). */
  yesno?: YesNoFormat;
  badRecords: { count: number; first: string[] };
}

function jsonl(records: readonly object[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join("");
}

/** Writes `dir` (created) and returns what it holds. */
export async function writeSplit(dir: string, images: ImagePool, records: TaskRecords): Promise<SplitCounts> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, DIGITS_FILE), images.pixels);
  await writeFile(join(dir, LABELS_FILE), `${JSON.stringify(images.labels)}\n`);
  for (const task of TASKS) await writeFile(join(dir, taskFile(task)), jsonl(records[task]));
  return {
    digits: images.n,
    lm: records.lm.length,
    cot: records.cot.length,
    mmcot: records.mmcot.length,
    caption: records.caption.length,
    vqa: records.vqa.length,
    t2i: records.t2i.length,
  };
}

export async function writeManifest(dir: string, manifest: DatasetManifest): Promise<void> {
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}
