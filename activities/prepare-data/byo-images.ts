// Bring your own images: `with.images` (a folder of 28x28 PNGs) with `with.captions` (JSONL of
// {file, caption, label?}). Each captions line is one (image, caption) pair; an image named on
// several lines is stored once. A PNG that cannot be used is a bad record at the captions line
// that names it, so every problem has a file:line a user can open.
import { readFile } from "node:fs/promises";
import { isAbsolute, join, normalize } from "node:path";
import { PNG } from "pngjs";
import type { BadRecords } from "./jsonl.ts";
import { readJsonl, stringFieldProblem } from "./jsonl.ts";
import { IMAGE_SIDE, NUM_DIGITS, PIXELS, type ImagePool } from "../mmada/data/mnist-source.ts";
import type { ResolvedSource } from "./byo-text.ts";
import { sampleTokens, unknownChars } from "../mmada/data/templates.ts";

/** ITU-R BT.601 luma weights: colour PNGs become the grayscale MNIST uses. */
const LUMA = [0.299, 0.587, 0.114] as const;
const OPAQUE = 255;
/** Label of an image brought without one: used for captions and t2i, not for mmcot or vqa. */
export const UNLABELLED = -1;

export interface ByoPair {
  /** Row in the pool. */
  image: number;
  caption: string;
}

interface CaptionLine {
  file: string;
  caption: string;
  label: number;
}

/** Decodes a PNG to 784 bytes (RGBA composited over black, then luma); a reason when unusable. */
export function decodePng(buf: Buffer, name: string): Uint8Array | string {
  let png: PNG;
  try {
    png = PNG.sync.read(buf);
  } catch (err) {
    return `cannot read ${name} as PNG (${(err as Error).message})`;
  }
  if (png.width !== IMAGE_SIDE || png.height !== IMAGE_SIDE) return `${name} is ${png.width}x${png.height}, expected ${IMAGE_SIDE}x${IMAGE_SIDE}`;
  const out = new Uint8Array(PIXELS); // [784]
  for (let p = 0; p < PIXELS; p++) {
    const [r, g, b, a] = [png.data[4 * p]!, png.data[4 * p + 1]!, png.data[4 * p + 2]!, png.data[4 * p + 3]!];
    out[p] = Math.round((LUMA[0] * r + LUMA[1] * g + LUMA[2] * b) * (a / OPAQUE));
  }
  return out;
}

function parseCaptionLine(obj: { [k: string]: unknown }, maxSampleLength: number): CaptionLine | { bad: string } {
  for (const f of ["file", "caption"]) {
    const problem = stringFieldProblem(obj, f);
    if (problem) return { bad: problem };
  }
  const file = obj["file"] as string;
  const caption = obj["caption"] as string;
  if (isAbsolute(file) || normalize(file).split(/[/\\]/)[0] === "..") return { bad: `file "${file}" must be a path inside the images folder` };
  const label = obj["label"];
  if (label !== undefined && !(Number.isInteger(label) && (label as number) >= 0 && (label as number) < NUM_DIGITS)) {
    return { bad: `field "label" must be an integer 0-${NUM_DIGITS - 1}, got ${JSON.stringify(label)}` };
  }
  const unknown = unknownChars(caption);
  if (unknown.length) return { bad: `caption has characters the tokenizer does not know: ${unknown.map((c) => JSON.stringify(c)).join(" ")}` };
  const n = sampleTokens("", caption);
  if (n > maxSampleLength) return { bad: `caption is ${n} tokens, over maxSampleLength ${maxSampleLength}` };
  return { file: normalize(file), caption, label: (label as number | undefined) ?? UNLABELLED };
}

/** The brought images (a pool like MNIST's) and one pair per usable captions line. */
export async function readByoImages(
  images: ResolvedSource,
  captions: ResolvedSource,
  maxSampleLength: number,
  bad: BadRecords,
): Promise<{ pool: ImagePool; pairs: ByoPair[] }> {
  const lines = await readJsonl(captions.path, captions.file, (obj) => parseCaptionLine(obj, maxSampleLength), bad);
  const rows = new Map<string, { row: number; line: number } | "bad">();
  const pixels: Uint8Array[] = [];
  const labels: number[] = [];
  const pairs: ByoPair[] = [];
  for (const { line, value: c } of lines) {
    let known = rows.get(c.file);
    if (known === undefined) {
      const decoded = await readFile(join(images.path, c.file)).then(
        (buf) => decodePng(buf, c.file),
        (err: NodeJS.ErrnoException) => `cannot read ${c.file} in ${images.file} (${err.code ?? err.message})`,
      );
      if (typeof decoded === "string") {
        bad.add(captions.file, line, decoded);
        rows.set(c.file, "bad");
        continue;
      }
      known = { row: pixels.length, line };
      rows.set(c.file, known);
      pixels.push(decoded);
      labels.push(c.label);
    }
    if (known === "bad") {
      bad.add(captions.file, line, `${c.file} could not be read (see its first line)`);
      continue;
    }
    const had = labels[known.row]!;
    if (c.label !== UNLABELLED && had === UNLABELLED) labels[known.row] = c.label;
    else if (c.label !== UNLABELLED && had !== c.label) {
      bad.add(captions.file, line, `label ${c.label} contradicts label ${had} given for ${c.file} earlier (line ${known.line})`);
      continue;
    }
    pairs.push({ image: known.row, caption: c.caption });
  }
  const all = new Uint8Array(pixels.length * PIXELS); // [n, 784]
  pixels.forEach((p, i) => all.set(p, i * PIXELS));
  return { pool: { pixels: all, labels, n: pixels.length }, pairs };
}
