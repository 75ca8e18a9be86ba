// Records that talk about one split's digit images: multimodal reasoning (mmcot), captions,
// digit and yes/no questions (vqa) and text-to-image prompts (t2i). `image` is an index into that
// split's digits.u8, so records never reach across splits.
import type { Rng } from "../../model/rng.ts";
import { BadInputError } from "../../contract/failures.ts";
import type { Split } from "./vocab.ts";
import { imageCycle, intIn, pick, rngFor } from "./random.ts";
import {
  CAPTION_TEMPLATES,
  DIGIT_NAMES,
  DIGIT_QUESTIONS,
  fillTemplate,
  formatCotAnswer,
  identifyDigit,
  MMCOT_TEMPLATES,
  sampleTokens,
  T2I_TEMPLATES,
  YESNO_QUESTIONS,
} from "./templates.ts";

export interface MmcotRecord {
  image: number;
  question: string;
  reasoning: string;
  answer: string;
}
export interface CaptionRecord {
  image: number;
  caption: string;
}
export interface VqaRecord {
  image: number;
  question: string;
  /** "yes"/"no" for yes/no questions, whatever their format. */
  answer: string;
  kind: "digit" | "yesno";
  /** yes/no questions in the `identify` format: the reasoning before the answer ("it is 3"). */
  reasoning?: string;
}

/** How yes/no questions are answered: `yes`, or `<think>it is 3</think> yes` (identify, then answer). */
export type YesNoFormat = "answer" | "identify";

export interface ImageTaskOptions {
  /** Operand range of mmcot questions ("digit plus k?"). */
  operands: [number, number];
  maxSampleLength: number;
  /** Default "answer". */
  yesno?: YesNoFormat;
}

/** The text a vqa record trains the model to say: the answer, after its reasoning when it has one. */
export function vqaAnswerText(r: VqaRecord): string {
  return r.reasoning === undefined ? r.answer : formatCotAnswer(r.reasoning, r.answer);
}

const NUM_DIGITS = DIGIT_NAMES.length;

/** Labelled images only: unlabelled brought images have nothing to ask about. */
function labelledIndices(labels: readonly number[]): number[] {
  return labels.flatMap((l, i) => (l >= 0 && l < NUM_DIGITS ? [i] : []));
}

/** Each task draws images and templates from its own stream (see random.ts). */
function stream(seed: number, task: string, split: Split, labelled: number[]): { rng: Rng; next: () => number } {
  const rng = rngFor(seed, `${task}/${split}`);
  return { rng, next: imageCycle(rngFor(seed, `${task}/${split}/images`), labelled.length) };
}

function checkBudget(task: string, question: string, answerText: string, budget: number): void {
  const n = sampleTokens(question, answerText);
  if (n > budget) {
    throw new BadInputError(
      `${task}: the template sample ${JSON.stringify(`${question} ${answerText}`)} is ${n} tokens, over maxSampleLength ${budget}; ` +
        "raise maxSampleLength (or lower arithmetic.maxOperand)",
    );
  }
}

export function generateMmcot(seed: number, split: Split, labels: readonly number[], count: number, o: ImageTaskOptions): MmcotRecord[] {
  const labelled = labelledIndices(labels);
  if (count === 0 || labelled.length === 0) return [];
  const { rng, next } = stream(seed, "mmcot", split, labelled);
  const lo = Math.max(1, o.operands[0]);
  const hi = Math.max(lo, o.operands[1]);
  return Array.from({ length: count }, () => {
    const image = labelled[next()]!;
    const d = labels[image]!;
    const t = pick(rng, MMCOT_TEMPLATES);
    const k = intIn(rng, lo, hi);
    const r = { image, question: t.question(k), reasoning: t.reasoning(d, k), answer: t.answer(d, k) };
    checkBudget("mmcot", r.question, formatCotAnswer(r.reasoning, r.answer), o.maxSampleLength);
    return r;
  });
}

/** Captions (caption.jsonl) or prompts (t2i.jsonl) from a template list. */
export function generateCaptions(
  seed: number,
  split: Split,
  task: "caption" | "t2i",
  labels: readonly number[],
  count: number,
  o: ImageTaskOptions,
): CaptionRecord[] {
  const labelled = labelledIndices(labels);
  if (count === 0 || labelled.length === 0) return [];
  const { rng, next } = stream(seed, task, split, labelled);
  const templates = task === "caption" ? CAPTION_TEMPLATES : T2I_TEMPLATES;
  return Array.from({ length: count }, () => {
    const image = labelled[next()]!;
    const caption = fillTemplate(pick(rng, templates), labels[image]!);
    checkBudget(task, "", caption, o.maxSampleLength);
    return { image, caption };
  });
}

/**
 * Even records ask which digit it is; odd ones ask a yes/no question whose answer alternates
 * yes, no, yes, ... so yes/no is balanced exactly (a "no" asks about a different random digit).
 * The `identify` format only adds the reasoning "it is d": it draws nothing, so both formats ask the
 * same questions about the same images.
 */
export function generateVqa(seed: number, split: Split, labels: readonly number[], count: number, o: ImageTaskOptions): VqaRecord[] {
  const labelled = labelledIndices(labels);
  if (count === 0 || labelled.length === 0) return [];
  const { rng, next } = stream(seed, "vqa", split, labelled);
  return Array.from({ length: count }, (_, i): VqaRecord => {
    const image = labelled[next()]!;
    const d = labels[image]!;
    let r: VqaRecord;
    if (i % 2 === 0) {
      const q = pick(rng, DIGIT_QUESTIONS);
      r = { image, question: q.question, answer: fillTemplate(q.answer, d), kind: "digit" };
    } else {
      const yes = ((i - 1) / 2) % 2 === 0;
      const asked = yes ? d : (d + 1 + rng.int(NUM_DIGITS - 1)) % NUM_DIGITS;
      r = { image, question: fillTemplate(pick(rng, YESNO_QUESTIONS), asked), answer: yes ? "yes" : "no", kind: "yesno" };
      if (o.yesno === "identify") r.reasoning = identifyDigit(d);
    }
    checkBudget("vqa", r.question, vqaAnswerText(r), o.maxSampleLength);
    return r;
  });
}
