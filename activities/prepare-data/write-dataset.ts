// Writes one split folder and the manifest. JSON is written with a fixed key order and no
// timestamps or absolute paths, so the same seed and settings give byte-identical files (and the
// same artifact hash, which is what makes the step cacheable).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DIGITS_FILE, LABELS_FILE, MANIFEST_FILE, taskFile, type DatasetManifest, type SplitCounts, type TaskRecords } from "../mmada/data/dataset-format.ts";
import type { ImagePool } from "../mmada/data/mnist-source.ts";
import { TASKS } from "../mmada/data/vocab.ts";

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
