// The on-disk dataset format (README.md in this folder documents it for users): one directory
// with manifest.json and train/ val/ test/, each holding digits.u8 + labels.json and one JSONL file
// per task. Shared by the writer (prepare-data) and the reader (training and evaluation steps).
import type { CotRecord } from "./arithmetic.ts";
import type { CaptionRecord, MmcotRecord, VqaRecord } from "./image-tasks.ts";
import type { Split, SplitSizes, TaskName } from "./vocab.ts";

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
  badRecords: { count: number; first: string[] };
}
