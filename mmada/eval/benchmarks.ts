// The tiny benchmark suite of docs/mmada.md §6, each a function of the model, the held-out split and
// the sampler settings. Prompts are the first n records of the split (the same for every
// checkpoint, so stage 1 -> 2 -> 3 compare on identical questions); sampling noise comes from
// named streams of the seed, so one benchmark's size never changes another's draws.
import * as tf from "@tensorflow/tfjs-core";
import { type Classifier, scoreImages } from "../../model/classifier.ts";
import type { CotRecord } from "../data/arithmetic.ts";
import type { DatasetSplit } from "../data/read.ts";
import { DIGIT_NAMES } from "../data/templates.ts";
import { rngFor } from "../data/random.ts";
import type { TextBenchmark } from "../data/vocab.ts";
import type { LayoutContext } from "../../model/layouts.ts";
import { type EvalModels, generateImages, generateText, type ImageSampling, type TextSampling } from "./generate.ts";
import { captionPrompt, cotPrompt, mmcotPrompt, t2iPrompt, type TextPrompt, vqaPrompt } from "./prompts.ts";
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
  /** Per prompt, in prompt order: its id and whether the answer was right (paired tests between stages). */
  items: ItemResult[];
}

/** One benchmark item: a stable id (the same prompt has the same id at every stage) and its verdict. */
export interface ItemResult {
  id: string;
  correct: boolean;
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
  /** ImageReward-like per image: p(prompted) minus the best other class's probability. */
  margin: number[];
  /** Per image `geneval/<class>/<k>`, correct when the classifier reads the prompted digit. */
  items: ItemResult[];
  /** The second judge's reading of the same images (when one is given). */
  judge2?: { accuracy: number; predicted: number[]; items: ItemResult[] };
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
  if (prompts.length === 0) return { accuracy: Number.NaN, count: 0, samples: [], items: [] };
  const gen = await generateText(m.logits, prompts.map((p) => p.layout), s, {
    textVocabSize: m.layout.textVocabSize,
    rng: rngFor(seed, `eval/${name}`),
    maxBatch: m.maxBatch,
  });
  let correct = 0;
  const samples: TextSample[] = [];
  const items: ItemResult[] = [];
  prompts.forEach((p, i) => {
    const score = scoreText(p, responseText(m.layout.tokenizer, gen.responses[i]!));
    if (score.correct) correct++;
    items.push({ id: p.id ?? `${name}/${i}`, correct: score.correct });
    if (samples.length < REPORT_SAMPLES) samples.push({ question: p.question, expected: p.expected, generated: score.text, correct: score.correct });
  });
  return { accuracy: correct / prompts.length, count: prompts.length, samples, items };
}

/** Prompts of every text benchmark from the first `n` records of each kind. */
export function textBenchmarkPrompts(
  layout: LayoutContext,
  split: EvalSplit,
  sizes: Record<TextBenchmark, number>,
): Record<TextBenchmark, TextPrompt[]> {
  const r = split.data.records;
  const label = (image: number) => split.data.images.labels[image] ?? -1;
  // Records keep their index in the split's file: an item's id names the record it asks.
  const indexed = <T>(xs: T[]) => xs.map((rec, index) => ({ rec, index }));
  const labelled = <T extends { image: number }>(xs: T[]) => indexed(xs).filter((x) => label(x.rec.image) >= 0);
  return {
    gsm8k: fitting("gsm8k", indexed(r.cot), sizes.gsm8k, (x: CotRecord) => cotPrompt(layout, x)),
    mmcot: fitting("mmcot", labelled(r.mmcot), sizes.mmcot, (x) => mmcotPrompt(layout, x, split.codes(x.image), label(x.image))),
    vqa: fitting("vqa", labelled(r.vqa).filter((x) => x.rec.kind === "digit"), sizes.vqa, (x) => vqaPrompt(layout, x, split.codes(x.image), label(x.image))),
    pope: fitting("pope", labelled(r.vqa).filter((x) => x.rec.kind === "yesno"), sizes.pope, (x) => vqaPrompt(layout, x, split.codes(x.image), label(x.image))),
    caption: fitting("caption", labelled(r.caption), sizes.caption, (x) => captionPrompt(layout, x, split.codes(x.image), label(x.image))),
  };
}

/** The first n records whose prompt fits the model's text length (a longer one cannot be asked),
 *  each with the id `<bench>/<record index>`. */
function fitting<T>(bench: string, records: Array<{ rec: T; index: number }>, n: number, make: (r: T) => TextPrompt): TextPrompt[] {
  const out: TextPrompt[] = [];
  for (const { rec, index } of records) {
    if (out.length >= n) break;
    try {
      out.push({ ...make(rec), id: `${bench}/${index}` });
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
 * classifier (accuracy, CLIP-like mean probability, ImageReward-like mean margin of the prompted
 * class over the best other); with `judge2`, a second classifier reads the same images.
 */
export async function runGeneval(m: EvalModels, perClass: number, s: ImageSampling, seed: number, judge2?: Classifier): Promise<GenevalResult> {
  const classes = DIGIT_NAMES.flatMap((_, c) => Array<number>(perClass).fill(c));
  const empty = { accuracy: Number.NaN, clipScore: Number.NaN, imageReward: Number.NaN, images: new Float32Array(0), classes, predicted: [], clip: [], confidence: [], margin: [], items: [] };
  if (classes.length === 0) return empty;
  const prompts = classes.map((c) => t2iPrompt(m.layout, DIGIT_NAMES[c]!, c));
  const gen = await generateImages(m.logits, prompts.map((p) => p.layout), m.layout, s, { rng: rngFor(seed, "eval/geneval"), maxBatch: m.maxBatch });
  const score = scoreGeneratedImages(m.vq, m.classifier, gen.codes, classes);
  const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, x) => a + x, 0) / xs.length;
  const itemsOf = (predicted: ArrayLike<number>): ItemResult[] => classes.map((c, i) => ({ id: `geneval/${c}/${i % perClass}`, correct: predicted[i] === c }));
  const accuracyOf = (items: ItemResult[]) => mean(items.map((x) => (x.correct ? 1 : 0)));
  const items = itemsOf(score.predicted);
  const out: GenevalResult = {
    accuracy: accuracyOf(items),
    clipScore: mean(score.clip),
    imageReward: mean(score.margin),
    images: score.images,
    classes,
    predicted: Array.from(score.predicted),
    clip: Array.from(score.clip),
    confidence: Array.from(score.confidence),
    margin: Array.from(score.margin),
    items,
  };
  if (judge2) {
    // the same decoded images, read by an independently trained classifier that no reward ever used
    const x = tf.tensor2d(score.images, [classes.length, score.images.length / classes.length]);
    const second = scoreImages(judge2, x, Int32Array.from(classes));
    x.dispose();
    const items2 = itemsOf(second.predicted);
    out.judge2 = { accuracy: accuracyOf(items2), predicted: Array.from(second.predicted), items: items2 };
  }
  return out;
}
