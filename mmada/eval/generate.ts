// Batched generation for rollouts and benchmarks: many prompts at once through the samplers of
// docs/mmada.md §5 (text: semi-autoregressive low-confidence remasking; images: MaskGIT with CFG), in
// chunks of at most `maxBatch` rows so memory stays bounded.
import type { Classifier } from "../../model/classifier.ts";
import type { Layout, LayoutContext } from "../../model/layouts.ts";
import type { Rng } from "../../model/rng.ts";
import { sampleImage, type TemperatureSchedule } from "../../model/sample-image.ts";
import { sampleText } from "../../model/sample-text.ts";
import type { LogitsFn } from "../../model/ops.ts";
import { EOS_ID, MASK_ID } from "../../model/vocab.ts";
import type { Vq } from "../../model/vq.ts";
import { uncondPrefix } from "./prompts.ts";

/** What generation and scoring need, bundled once per step: the policy's logits, the sequence
 *  layout (sizes + tokenizer), and the frozen VQ decoder and digit classifier that judge images. */
export interface EvalModels {
  logits: LogitsFn;
  layout: LayoutContext;
  vq: Vq;
  classifier: Classifier;
  /** Most rows per forward pass. */
  maxBatch: number;
}

export interface TextSampling {
  /** Tokens generated after the prompt; positions after them are fixed to EOS (the answer must end there). */
  genLength: number;
  /** Denoising steps over the whole generation (split evenly over the blocks). */
  steps: number;
  blockLength: number;
  /** Gumbel scale: 0 = greedy, 1 = sampling from the softmax. */
  temperature: number;
}

export interface ImageSampling {
  /** MaskGIT steps K. */
  steps: number;
  /** CFG weight w (0 = no guidance). */
  guidance: number;
  /** Gumbel scale of the re-masking confidences (annealed to 0). */
  temperature: number;
  /** How it is annealed (model/sample-image.ts); default the reference's compounding decay. */
  temperatureSchedule?: TemperatureSchedule;
}

export interface TextGeneration {
  /** The finished rows, [B * L]. */
  rows: Int32Array;
  /** Per row, the generated region [start, end). */
  regions: Array<[number, number]>;
  /** Per row, the generated ids (the region's content). */
  responses: Int32Array[];
}

export interface ImageGeneration {
  /** The finished rows, [B * L]. */
  rows: Int32Array;
  /** VQ codes, [B * N]. */
  codes: Int32Array;
  imageStart: number;
}

/** Steps per block so that the whole generation takes about `steps` steps. */
function stepsPerBlock(s: TextSampling): number {
  return Math.max(1, Math.round(s.steps / Math.ceil(s.genLength / s.blockLength)));
}

/**
 * Generates the answer of every prompt (answer region from layout.answerStart). Only text ids are
 * candidates (no image ids in a text answer).
 */
export async function generateText(
  logits: LogitsFn,
  layouts: readonly Layout[],
  s: TextSampling,
  opts: { textVocabSize: number; rng: Rng; maxBatch: number },
): Promise<TextGeneration> {
  const length = layouts[0]?.ids.length ?? 0;
  const rows = new Int32Array(layouts.length * length); // [B, L]
  const regions: Array<[number, number]> = [];
  layouts.forEach((l, b) => {
    if (l.answerStart < 0) throw new Error(`generateText: prompt ${b} (${l.task}) has no answer region; build it with an answer of null`);
    const end = Math.min(length, l.answerStart + s.genLength);
    rows.set(l.ids, b * length);
    rows.fill(MASK_ID, b * length + l.answerStart, b * length + end);
    rows.fill(EOS_ID, b * length + end, (b + 1) * length);
    regions.push([l.answerStart, end]);
  });
  const perBlock = stepsPerBlock(s);
  for (let lo = 0; lo < layouts.length; lo += opts.maxBatch) {
    const hi = Math.min(layouts.length, lo + opts.maxBatch);
    const chunk = regions.slice(lo, hi);
    const maxGen = Math.max(...chunk.map(([a, e]) => e - a));
    const out = await sampleText(logits, rows.slice(lo * length, hi * length), hi - lo, {
      maskId: MASK_ID,
      genStart: chunk.map(([a]) => a),
      genLength: s.genLength,
      steps: perBlock * Math.ceil(maxGen / s.blockLength),
      blockLength: s.blockLength,
      temperature: s.temperature,
      rng: opts.rng,
      vocabRange: { start: 0, end: opts.textVocabSize },
    });
    rows.set(out.tokens, lo * length);
  }
  const responses = regions.map(([a, e], b) => rows.slice(b * length + a, b * length + e));
  return { rows, regions, responses };
}

/** Generates the image of every t2i prompt (all share imageStart: the caption is left-padded). */
export async function generateImages(
  logits: LogitsFn,
  layouts: readonly Layout[],
  ctx: LayoutContext,
  s: ImageSampling,
  opts: { rng: Rng; maxBatch: number },
): Promise<ImageGeneration> {
  const length = ctx.length;
  const n = ctx.imageTokens;
  const imageStart = layouts[0]?.imageStart ?? 0;
  const rows = new Int32Array(layouts.length * length); // [B, L]
  layouts.forEach((l, b) => {
    if (l.task !== "t2i" || l.imageStart !== imageStart) throw new Error(`generateImages: prompt ${b} is not a t2i layout starting its image at ${imageStart}`);
    rows.set(l.ids, b * length);
  });
  const codes = new Int32Array(layouts.length * n); // [B, N]
  const prefix = uncondPrefix(ctx);
  for (let lo = 0; lo < layouts.length; lo += opts.maxBatch) {
    const hi = Math.min(layouts.length, lo + opts.maxBatch);
    const out = await sampleImage(logits, rows.slice(lo * length, hi * length), hi - lo, {
      maskId: MASK_ID,
      imageStart,
      numImageTokens: n,
      codeOffset: ctx.textVocabSize,
      codebookSize: ctx.codebookSize,
      steps: s.steps,
      guidance: s.guidance,
      uncondPrefix: s.guidance > 0 ? prefix : undefined,
      temperature: s.temperature,
      ...(s.temperatureSchedule ? { temperatureSchedule: s.temperatureSchedule } : {}),
      rng: opts.rng,
    });
    rows.set(out.tokens, lo * length);
    codes.set(out.codes, lo * n);
  }
  return { rows, codes, imageStart };
}
