// The tiny benchmark suite of MMADA.md §6, each a function of the model, the held-out split and
// the sampler settings. Prompts are the first n records of the split (the same for every
// checkpoint, so stage 1 -> 2 -> 3 compare on identical questions); sampling noise comes from
// named streams of the seed, so one benchmark's size never changes another's draws.
import type { CotRecord } from "../data/arithmetic.ts";
import type { DatasetSplit } from "../data/read-dataset.ts";
import { DIGIT_NAMES } from "../data/templates.ts";
import { rngFor } from "../data/seeded.ts";
import type { LayoutContext } from "../../../model/layouts.ts";
import type { EvalModels } from "./eval-models.ts";
import { generateImages, generateText, type ImageSampling, type TextSampling } from "./generate.ts";
import { captionPrompt, cotPrompt, mmcotPrompt, t2iPrompt, vqaPrompt, type TextPrompt } from "./prompts.ts";
import { responseText, scoreGeneratedImages, scoreText } from "./scoring.ts";
import { textNll } from "./text-nll.ts";

/** The held-out split: records, digit labels and each image's VQ codes. */
export type { EvalModels };

export interface EvalSplit {
  data: DatasetSplit;
  codes: (image: number) => Int32Array;
}

/** A few generated answers kept for the report. */
export interface TextSample {
  question: string;
  expected: string;
  generated: string;
  correct: boolean;
}

export interface TextBenchmarkResult {
  accuracy: number;
  count: number;
  samples: TextSample[];
}

export interface GenevalResult {
  accuracy: number;
  clipScore: number;
  imageReward: number;
  /** [classes * perClass * 784] decoded images, class-major. */
  images: Float32Array;
  classes: number[];
  predicted: number[];
  clip: number[];
  confidence: number[];
}

/** How many generated answers per benchmark the report keeps. */
export const REPORT_SAMPLES = 4;

/** Generates answers for text prompts and scores them. */
export async function runTextBenchmark(
  m: EvalModels,
  name: string,
  prompts: TextPrompt[],
  s: TextSampling,
  seed: number,
): Promise<TextBenchmarkResult> {
  if (prompts.length === 0) return { accuracy: Number.NaN, count: 0, samples: [] };
  const gen = await generateText(m.logits, prompts.map((p) => p.layout), s, {
    textVocabSize: m.layout.textVocabSize,
    rng: rngFor(seed, `eval/${name}`),
    maxBatch: m.maxBatch,
  });
  let correct = 0;
  const samples: TextSample[] = [];
  prompts.forEach((p, i) => {
    const score = scoreText(p, responseText(m.layout.tokenizer, gen.responses[i]!));
    if (score.correct) correct++;
    if (samples.length < REPORT_SAMPLES) samples.push({ question: p.question, expected: p.expected, generated: score.text, correct: score.correct });
  });
  return { accuracy: correct / prompts.length, count: prompts.length, samples };
}

/** Prompts of every text benchmark from the first `n` records of each kind. */
export function textBenchmarkPrompts(
  layout: LayoutContext,
  split: EvalSplit,
  sizes: { gsm8k: number; mmcot: number; vqa: number; pope: number; caption: number },
): Record<"gsm8k" | "mmcot" | "vqa" | "pope" | "caption", TextPrompt[]> {
  const r = split.data.records;
  const label = (image: number) => split.data.images.labels[image] ?? -1;
  const labelled = <T extends { image: number }>(xs: T[]) => xs.filter((x) => label(x.image) >= 0);
  return {
    gsm8k: fitting(r.cot, sizes.gsm8k, (x: CotRecord) => cotPrompt(layout, x)),
    mmcot: fitting(labelled(r.mmcot), sizes.mmcot, (x) => mmcotPrompt(layout, x, split.codes(x.image), label(x.image))),
    vqa: fitting(labelled(r.vqa).filter((x) => x.kind === "digit"), sizes.vqa, (x) => vqaPrompt(layout, x, split.codes(x.image), label(x.image))),
    pope: fitting(labelled(r.vqa).filter((x) => x.kind === "yesno"), sizes.pope, (x) => vqaPrompt(layout, x, split.codes(x.image), label(x.image))),
    caption: fitting(labelled(r.caption), sizes.caption, (x) => captionPrompt(layout, x, split.codes(x.image), label(x.image))),
  };
}

/** The first n records whose prompt fits the model's text length (a longer one cannot be asked). */
function fitting<T>(records: T[], n: number, make: (r: T) => TextPrompt): TextPrompt[] {
  const out: TextPrompt[] = [];
  for (const r of records) {
    if (out.length >= n) break;
    try {
      out.push(make(r));
    } catch {
      // the question does not fit textLength: skipped, the count in the report says how many were asked
    }
  }
  return out;
}

/** Held-out passages that fit the lm layout, first n. */
export function nllTexts(layout: LayoutContext, split: EvalSplit, n: number): string[] {
  const room = layout.length - 2; // BOS and at least one EOS
  return split.data.records.lm
    .map((r) => r.text)
    .filter((t) => layout.tokenizer.encode(t).length <= room)
    .slice(0, n);
}

export async function runTextNll(m: EvalModels, texts: string[], seed: number) {
  return textNll(m.logits, m.layout, texts, rngFor(seed, "eval/text_nll"), m.maxBatch);
}

/**
 * GenEval analogue: `perClass` images for each digit, prompted by the class name ("seven", the
 * first t2i template), generated with MaskGIT + CFG, decoded by the VQ and judged by the frozen
 * classifier (accuracy, CLIP-like mean probability, ImageReward-like mean confidence).
 */
export async function runGeneval(m: EvalModels, perClass: number, s: ImageSampling, seed: number): Promise<GenevalResult> {
  const classes = DIGIT_NAMES.flatMap((_, c) => Array<number>(perClass).fill(c));
  const empty = { accuracy: Number.NaN, clipScore: Number.NaN, imageReward: Number.NaN, images: new Float32Array(0), classes, predicted: [], clip: [], confidence: [] };
  if (classes.length === 0) return empty;
  const prompts = classes.map((c) => t2iPrompt(m.layout, DIGIT_NAMES[c]!, c));
  const gen = await generateImages(m.logits, prompts.map((p) => p.layout), m.layout, s, { rng: rngFor(seed, "eval/geneval"), maxBatch: m.maxBatch });
  const score = scoreGeneratedImages(m.vq, m.classifier, gen.codes, classes);
  const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, x) => a + x, 0) / xs.length;
  return {
    accuracy: mean(Array.from(score.predicted, (p, i) => (p === classes[i] ? 1 : 0))),
    clipScore: mean(score.clip),
    imageReward: mean(score.confidence),
    images: score.images,
    classes,
    predicted: Array.from(score.predicted),
    clip: Array.from(score.clip),
    confidence: Array.from(score.confidence),
  };
}
