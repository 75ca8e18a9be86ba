// UniGRPO rewards (docs/mmada.md §4), as pure functions of decoded responses and classifier scores, so
// the RL step and the evaluation score answers the same way:
//   text and multimodal reasoning  2.0 * correct final answer + 0.5 * correct `<think>…</think>` format
//                                  (+ an optional step reward, off by default: see stepReward)
//   captioning                     0.1 * CLIP-like (1 when the caption names the image's digit, else 0)
//   text-to-image                  0.1 * CLIP-like (classifier probability of the prompted class)
//                                  + 0.1 * ImageReward-like (the prompted class's probability minus
//                                    the best other class's, in [-1, 1])
// At tiny scale the frozen digit classifier stands in for CLIP and ImageReward. The ImageReward-like
// term is a margin, not the classifier's confidence (max probability): confidence is earned by
// drawing ANY clear digit, so a policy rewarded by it drifts to its favourite digit whatever the
// prompt (measured: BENCHMARKS.md, "Quality"). The margin is -1 for a confident wrong digit.

export const CORRECT_ANSWER_REWARD = 2.0;
export const FORMAT_REWARD = 0.5;
export const CLIP_WEIGHT = 0.1;
export const IMAGE_REWARD_WEIGHT = 0.1;

export const THINK_OPEN = "<think>";
export const THINK_CLOSE = "</think>";

/** Digit words the dataset templates use (mmada/data/templates.ts DIGIT_NAMES). */
const DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"] as const;

export interface ParsedReasoning {
  /** `<think>` first, exactly one `</think>` after it, and a non-empty answer after that. */
  formatOk: boolean;
  /** Text after the last `</think>`, trimmed; null when there is no `</think>`. */
  answer: string | null;
}

/** Lower-case, trimmed, inner runs of whitespace collapsed: what exact match compares. */
export function normalizeAnswer(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, " ");
}

/**
 * Splits a generated chain-of-thought answer `<think>reasoning</think> answer`. The text is the
 * response decoded up to its first EOS (see responseText), so trailing padding is already gone.
 */
export function parseReasoning(text: string): ParsedReasoning {
  const close = text.lastIndexOf(THINK_CLOSE);
  if (close < 0) return { formatOk: false, answer: null };
  const answer = text.slice(close + THINK_CLOSE.length).trim();
  const formatOk =
    text.trimStart().startsWith(THINK_OPEN) && countOf(text, THINK_OPEN) === 1 && countOf(text, THINK_CLOSE) === 1 && answer.length > 0;
  return { formatOk, answer };
}

/** Exact match of the final answer after `</think>` (normalised); false without `</think>`. */
export function reasoningCorrect(text: string, expected: string): boolean {
  const { answer } = parseReasoning(text);
  return answer !== null && normalizeAnswer(answer) === normalizeAnswer(expected);
}

/** Text and multimodal reasoning: 2.0 for the right final answer + 0.5 for the right format. */
export function reasoningReward(text: string, expected: string): number {
  const parsed = parseReasoning(text);
  const correct = parsed.answer !== null && normalizeAnswer(parsed.answer) === normalizeAnswer(expected);
  return (correct ? CORRECT_ANSWER_REWARD : 0) + (parsed.formatOk ? FORMAT_REWARD : 0);
}

/** The equations `a<op>b=c` a reasoning text writes, in order ("5-3=2 2+7=9" -> both; "7%2=1" too). */
export function equations(text: string): string[] {
  return text.match(/-?\d+[-+*/%]-?\d+=-?\d+/g) ?? [];
}

/** What a response writes between `<think>` and its last `</think>` ("" without both). */
export function thinkPart(text: string): string {
  const open = text.indexOf(THINK_OPEN);
  const close = text.lastIndexOf(THINK_CLOSE);
  return open >= 0 && close > open ? text.slice(open + THINK_OPEN.length, close) : "";
}

/**
 * The step reward, an option (the paper rewards the final answer and the format only): `weight`
 * times the share of the reference reasoning's equations that the response's `<think>` part gets
 * right. Dense where the answer reward is sparse (a group whose answers are all wrong still ranks
 * responses by their right steps), and not earnable by writing any true equation: only the
 * reference's steps count, each by the first result the response gives for its left-hand side
 * (writing "5-3=1 5-3=2" does not hedge).
 */
export function stepReward(text: string, reference: string, weight: number): number {
  const wanted = equations(reference);
  if (weight === 0 || wanted.length === 0) return 0;
  const sides = (eq: string) => eq.split("=") as [string, string];
  const firstResult = new Map<string, string>();
  for (const [lhs, result] of equations(thinkPart(text)).map(sides)) if (!firstResult.has(lhs)) firstResult.set(lhs, result);
  const right = wanted.map(sides).filter(([lhs, result]) => firstResult.get(lhs) === result);
  return (weight * right.length) / wanted.length;
}

/**
 * The distinct digits a text names, as words ("seven") or single numerals ("7"), in order of
 * first mention. Numerals inside longer numbers ("17") do not count.
 */
export function digitsNamed(text: string): number[] {
  const found: number[] = [];
  for (const token of normalizeAnswer(text).split(/[^a-z0-9]+/)) {
    const word = DIGIT_WORDS.indexOf(token as (typeof DIGIT_WORDS)[number]);
    const digit = word >= 0 ? word : /^[0-9]$/.test(token) ? Number(token) : -1;
    if (digit >= 0 && !found.includes(digit)) found.push(digit);
  }
  return found;
}

/** A caption is correct when it names the image's digit and no other. */
export function captionCorrect(caption: string, label: number): boolean {
  const named = digitsNamed(caption);
  return named.length === 1 && named[0] === label;
}

/** Captioning: 0.1 * CLIP-like, where the CLIP-like score is 1 for a caption naming the right digit. */
export function captionReward(caption: string, label: number): number {
  return CLIP_WEIGHT * (captionCorrect(caption, label) ? 1 : 0);
}

/**
 * Text-to-image: 0.1 * CLIP-like + 0.1 * ImageReward-like, from the frozen classifier's scores of
 * the decoded image: the probability of the prompted class, and the margin of the prompted class
 * over the best other class (model/classifier.ts scoreImages).
 */
export function t2iReward(clipProb: number, margin: number): number {
  if (!(clipProb >= 0 && clipProb <= 1)) throw new Error(`t2iReward: clipProb=${clipProb} must be a probability in [0, 1]`);
  if (!(margin >= -1 && margin <= 1)) throw new Error(`t2iReward: margin=${margin} must be in [-1, 1]`);
  return CLIP_WEIGHT * clipProb + IMAGE_REWARD_WEIGHT * margin;
}

/** Ids of a response up to (not including) its first EOS: the text the model meant to write. */
export function untilEos(ids: ArrayLike<number>, eosId: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === eosId) break;
    out.push(ids[i]!);
  }
  return out;
}

function countOf(text: string, part: string): number {
  return text.split(part).length - 1;
}
