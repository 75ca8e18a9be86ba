// The user's own data (prepare-data's `text`, `cot`, `images` + `captions`): JSONL and PNG readers
// where bad records are data (file, line, reason), collected rather than thrown one at a time, so a
// user sees every problem of a file at once; `onBadRecord` then decides whether they are skipped
// (and counted) or stop the step. A PNG that cannot be used is a bad record at the captions line
// that names it, so every problem has a file:line a user can open.
import { readFile } from "node:fs/promises";
import { isAbsolute, join, normalize } from "node:path";
import { PNG } from "pngjs";
import { BadInputError } from "../../contract/failures.ts";
import type { CotRecord } from "./arithmetic.ts";
import { IMAGE_SIDE, type ImagePool, NUM_DIGITS, PIXELS } from "./mnist.ts";
import { formatCotAnswer, sampleTokens, unknownChars } from "./templates.ts";
import { normaliseText, toPassages } from "./text.ts";

/** A brought file or folder the caller found and checked. */
export interface ResolvedSource {
  path: string;
  /** The name a user recognises in `file:line` messages. */
  file: string;
  /** Recorded in the manifest: name and, for artifacts, content hash. */
  describe: string;
}

export interface BadRecord {
  /** The file's name as the user knows it. */
  file: string;
  /** 1-based line (for PNGs: the captions line that names the image). */
  line: number;
  reason: string;
}

function formatBadRecord(b: BadRecord): string {
  return `${b.file}:${b.line}: ${b.reason}`;
}

/** How many bad records the manifest, the log and a `fail` error list. */
export const BAD_RECORDS_SHOWN = 5;

export class BadRecords {
  readonly all: BadRecord[] = [];

  add(file: string, line: number, reason: string): void {
    this.all.push({ file, line, reason });
  }

  get count(): number {
    return this.all.length;
  }

  first(n = BAD_RECORDS_SHOWN): string[] {
    return this.all.slice(0, n).map(formatBadRecord);
  }

  /** With onBadRecord "fail": a BadInputError listing the first few; otherwise nothing. */
  check(onBadRecord: "skip" | "fail"): void {
    if (onBadRecord !== "fail" || this.count === 0) return;
    const more = this.count > BAD_RECORDS_SHOWN ? `\n  ... and ${this.count - BAD_RECORDS_SHOWN} more` : "";
    throw new BadInputError(
      `prepare-data: ${this.count} bad record(s) in the brought data:\n  ${this.first().join("\n  ")}${more}\n` +
        "fix them, or set onBadRecord: skip to leave them out",
    );
  }
}

/** A record check: the parsed value, or the reason it is bad. */
export type RecordParser<T> = (obj: { [k: string]: unknown }) => T | { bad: string };

export interface JsonlRecord<T> {
  line: number;
  value: T;
}

/** Parses every non-blank line; bad ones go to `bad` and are left out of the result. */
async function readJsonl<T>(path: string, file: string, parse: RecordParser<T>, bad: BadRecords): Promise<JsonlRecord<T>[]> {
  const text = await readFile(path, "utf8");
  const out: JsonlRecord<T>[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      bad.add(file, line, `invalid JSON (${(err as Error).message})`);
      return;
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
      bad.add(file, line, "expected a JSON object per line");
      return;
    }
    const value = parse(obj as { [k: string]: unknown });
    if (typeof value === "object" && value !== null && "bad" in value) bad.add(file, line, value.bad);
    else out.push({ line, value: value as T });
  });
  return out;
}

/** The reason a required string field is missing or not a non-empty string, else undefined. */
export function stringFieldProblem(obj: { [k: string]: unknown }, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined) return `missing field "${field}"`;
  if (typeof v !== "string") return `field "${field}" must be a string, got ${v === null ? "null" : typeof v}`;
  if (!v.trim()) return `field "${field}" is empty`;
  return undefined;
}

/** Passages of the brought text, normalised and cut exactly like Moby-Dick. */
export async function readByoText(src: ResolvedSource, passageLength: number, bad: BadRecords): Promise<string[]> {
  const records = await readJsonl(
    src.path,
    src.file,
    (obj) => {
      const problem = stringFieldProblem(obj, "text");
      if (problem) return { bad: problem };
      const text = normaliseText(obj["text"] as string);
      return text ? text : { bad: "text has no characters the tokenizer knows" };
    },
    bad,
  );
  return records.flatMap((r) => toPassages(r.value, passageLength));
}

const COT_FIELDS = ["question", "reasoning", "answer"] as const;

/** Brought chain-of-thought records; too long or with unknown characters counts as bad. */
export async function readByoCot(src: ResolvedSource, maxSampleLength: number, bad: BadRecords): Promise<CotRecord[]> {
  const records = await readJsonl<CotRecord>(
    src.path,
    src.file,
    (obj) => {
      for (const f of COT_FIELDS) {
        const problem = stringFieldProblem(obj, f);
        if (problem) return { bad: problem };
      }
      const r = { question: obj["question"] as string, reasoning: obj["reasoning"] as string, answer: obj["answer"] as string };
      const unknown = unknownChars(`${r.question}${r.reasoning}${r.answer}`);
      if (unknown.length) return { bad: `characters the tokenizer does not know: ${unknown.map((c) => JSON.stringify(c)).join(" ")}` };
      const n = sampleTokens(r.question, formatCotAnswer(r.reasoning, r.answer));
      if (n > maxSampleLength) return { bad: `question + answer is ${n} tokens, over maxSampleLength ${maxSampleLength}` };
      return r;
    },
    bad,
  );
  return records.map((r) => r.value);
}

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
function decodePng(buf: Buffer, name: string): Uint8Array | string {
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
