// Scores generated responses the one way both UniGRPO (rewards) and the benchmarks (correctness)
// use: text is decoded up to its first EOS and checked against the prompt's expected answer;
// images are decoded by the VQ tokenizer and scored by the frozen digit classifier.
import * as tf from "@tensorflow/tfjs-core";
import { type Classifier, scoreImages } from "../../model/classifier.ts";
import type { TextTokenizer } from "../../model/text-tokenizer.ts";
import { EOS_ID } from "../../model/vocab.ts";
import { decode, numTokens, type Vq } from "../../model/vq.ts";
import {
  captionCorrect,
  captionReward,
  CORRECT_ANSWER_REWARD,
  normalizeAnswer,
  reasoningCorrect,
  reasoningReward,
  stepReward,
  t2iReward,
  untilEos,
} from "./rewards.ts";
import type { TextPrompt } from "./prompts.ts";

export interface TextScore {
  /** The response decoded up to its first EOS. */
  text: string;
  correct: boolean;
  reward: number;
}

export interface ImageScore {
  /** Decoded images, [B * 784] in [0, 1]. */
  images: Float32Array;
  /** Classifier probability of the prompted class (CLIP-like). */
  clip: Float32Array;
  /** Max class probability. */
  confidence: Float32Array;
  /** Prompted class's probability minus the best other class's (ImageReward-like). */
  margin: Float32Array;
  predicted: Int32Array;
  rewards: number[];
}

/** The text a response says: its ids up to the first EOS, special tokens kept (`<think>`). */
export function responseText(tokenizer: TextTokenizer, ids: ArrayLike<number>): string {
  return tokenizer.decode(untilEos(ids, EOS_ID));
}

/**
 * Correctness and reward of one text response (docs/mmada.md §4): reasoning tasks by the final answer
 * after `</think>` plus the format bonus; captions by naming the right digit; digit QA by exact
 * match (its reward is the answer reward alone), of the final answer when the question is answered
 * after a reasoning (yes/no in the identify format). `stepWeight` > 0 adds
 * the optional step reward to reasoning (rewards.ts stepReward; 0, the paper's rewards, by default).
 */
export function scoreText(prompt: TextPrompt, text: string, stepWeight = 0): TextScore {
  switch (prompt.task) {
    case "cot":
    case "mmcot": {
      const reward = reasoningReward(text, prompt.expected) + stepReward(text, prompt.reasoning ?? "", stepWeight);
      return { text, correct: reasoningCorrect(text, prompt.expected), reward };
    }
    case "caption":
      return { text, correct: captionCorrect(text, prompt.label), reward: captionReward(text, prompt.label) };
    case "vqa": {
      const correct = prompt.reasoning === undefined ? normalizeAnswer(text) === normalizeAnswer(prompt.expected) : reasoningCorrect(text, prompt.expected);
      return { text, correct, reward: correct ? CORRECT_ANSWER_REWARD : 0 };
    }
  }
}

/** Decodes codes [B * N] with the VQ tokenizer and scores them against the prompted digits [B]. */
export function scoreGeneratedImages(vq: Vq, classifier: Classifier, codes: Int32Array, labels: readonly number[]): ImageScore {
  const n = numTokens(vq.config);
  if (codes.length !== labels.length * n) {
    throw new Error(`scoreGeneratedImages: ${codes.length} codes for ${labels.length} images of N=${n} tokens; the VQ grid must match the model's`);
  }
  const decoded = decode(vq, codes); // [B, 784]
  try {
    const s = scoreImages(classifier, decoded, Int32Array.from(labels));
    const images = decoded.dataSync() as Float32Array;
    const rewards = Array.from(s.clip, (c, i) => t2iReward(clamp01(c), Math.min(1, Math.max(-1, s.margin[i]!))));
    return { images: Float32Array.from(images), ...s, rewards };
  } finally {
    tf.dispose(decoded);
  }
}

/** float32 softmax can land a hair outside [0, 1]. */
function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
