// The text templates of the generated tasks (documented in README.md). Short on purpose: a
// question plus its full answer fits the default 64-token budget with room to spare. Bump
// TEMPLATES_VERSION whenever a template changes: it is recorded in every dataset manifest.
import { CharTokenizer } from "../../model/text-tokenizer.ts";

export const TEMPLATES_VERSION = 1;

export const DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"] as const;

/** Slots: {name} = "seven", {n} = "7". */
export type Template = string;

export function fillTemplate(t: Template, digit: number): string {
  return t.replaceAll("{name}", DIGIT_NAMES[digit]!).replaceAll("{n}", String(digit));
}

/** caption.jsonl: what an image shows (the mmu captioning answer). */
export const CAPTION_TEMPLATES: readonly Template[] = ["a handwritten {name}", "the digit {name}", "a {name} written by hand", "a picture of a {n}"];

/** t2i.jsonl: prompts to draw from; bare class names first, as in MMaDA's stage-1 data. */
export const T2I_TEMPLATES: readonly Template[] = ["{name}", "{n}", "a handwritten {name}", "the digit {n}", "draw a {name}"];

/** vqa.jsonl kind "digit": question and the answer form it asks for. */
export const DIGIT_QUESTIONS: readonly { question: string; answer: Template }[] = [
  { question: "which digit?", answer: "{name}" },
  { question: "what digit is this?", answer: "{name}" },
  { question: "what number is shown?", answer: "{n}" },
];

/** vqa.jsonl kind "yesno": {n}/{name} is the digit asked about (the image's label or another). */
export const YESNO_QUESTIONS: readonly Template[] = ["is it a {n}?", "is this a {name}?", "is there a {n}?"];

/** The first step of every reasoning about an image: naming its digit ("it is 7"). */
export function identifyDigit(d: number): string {
  return `it is ${d}`;
}

/** mmcot.jsonl: reasoning over the image's digit d with operand k. */
export interface MmcotTemplate {
  question: (k: number) => string;
  reasoning: (d: number, k: number) => string;
  answer: (d: number, k: number) => string;
}

export const MMCOT_TEMPLATES: readonly MmcotTemplate[] = [
  { question: (k) => `digit plus ${k}?`, reasoning: (d, k) => `${identifyDigit(d)} ${d}+${k}=${d + k}`, answer: (d, k) => String(d + k) },
  { question: (k) => `digit times ${k}?`, reasoning: (d, k) => `${identifyDigit(d)} ${d}*${k}=${d * k}`, answer: (d, k) => String(d * k) },
  { question: () => "digit squared?", reasoning: (d) => `${identifyDigit(d)} ${d}*${d}=${d * d}`, answer: (d) => String(d * d) },
  {
    question: () => "odd or even?",
    reasoning: (d) => `${identifyDigit(d)} ${d}%2=${d % 2}`,
    answer: (d) => (d % 2 === 0 ? "even" : "odd"),
  },
];

/** The answer text the model is trained on: `<think>reasoning</think> answer` (docs/mmada.md §1). */
export function formatCotAnswer(reasoning: string, answer: string): string {
  return `<think>${reasoning}</think> ${answer}`;
}

const tokenizer = new CharTokenizer();

/** Tokens of a question plus its answer text, as the char tokenizer counts them (`<think>` is one). */
export function sampleTokens(question: string, answerText: string): number {
  return tokenizer.encode(question).length + tokenizer.encode(answerText).length;
}

const KNOWN = new Set(Array.from(tokenizer.toJSON().charset));

/** Characters the tokenizer would turn into UNK (special-token strings aside), for bad-record reasons. */
export function unknownChars(text: string): string[] {
  const stripped = text.replace(/<\/?think>/g, "");
  return [...new Set(Array.from(stripped).filter((c) => !KNOWN.has(c)))];
}
