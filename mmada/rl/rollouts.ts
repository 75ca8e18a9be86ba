// UniGRPO rollouts (docs/mmada.md §4): G responses per prompt sampled with the current policy (text:
// semi-autoregressive sampler; images: MaskGIT), scored into rewards, and packed as the Groups
// model/unigrpo.ts updates on. All prompts of one modality go through the sampler together, so
// a step costs one sampler run per modality, not one per prompt.
import type { Group } from "../../model/unigrpo.ts";
import type { Rng } from "../../model/rng.ts";
import { type EvalModels, generateImages, generateText, type ImageSampling, type TextSampling } from "../eval/generate.ts";
import type { ImagePrompt, TextPrompt } from "../eval/prompts.ts";
import { responseText, scoreGeneratedImages, scoreText, type TextScore } from "../eval/scoring.ts";

export type RolloutPrompt = TextPrompt | ImagePrompt;

/** Reward and correctness of one text response (the paper's: mmada/eval/scoring.ts scoreText). */
export type TextScorer = (prompt: TextPrompt, text: string) => TextScore;

/** The paper's text rewards, plus the optional step reward of reasoning responses at `stepWeight` (0: off). */
export const paperTextScorer = (stepWeight = 0): TextScorer => (p, text) => scoreText(p, text, stepWeight);

export interface GroupStats {
  task: RolloutPrompt["task"];
  rewards: number[];
  /** Per response: right final answer / caption names the digit / classifier sees the prompted digit. */
  correct: boolean[];
  /** The first response, for logs (text, or the classifier's verdict for an image). */
  example: string;
}

export interface Rollouts {
  /** One group per prompt, in prompt order. */
  groups: Group[];
  stats: GroupStats[];
}

export async function rollout(
  m: EvalModels,
  prompts: readonly RolloutPrompt[],
  size: number,
  s: { text: TextSampling; image: ImageSampling },
  rng: { text: Rng; image: Rng },
  /** How text responses are rewarded (the paper's rewards by default; a sanity reward in bench/rl-sanity.ts). */
  scoreResponse: TextScorer = paperTextScorer(),
): Promise<Rollouts> {
  const length = m.layout.length;
  const groups: Group[] = new Array(prompts.length);
  const stats: GroupStats[] = new Array(prompts.length);
  const tile = <T>(xs: T[]): T[] => xs.flatMap((x) => Array<T>(size).fill(x));

  const textAt = prompts.flatMap((p, i) => (p.task === "t2i" ? [] : [i]));
  if (textAt.length > 0) {
    const ps = textAt.map((i) => prompts[i] as TextPrompt);
    const gen = await generateText(m.logits, tile(ps.map((p) => p.layout)), s.text, { textVocabSize: m.layout.textVocabSize, rng: rng.text, maxBatch: m.maxBatch });
    ps.forEach((p, k) => {
      const rows = gen.rows.slice(k * size * length, (k + 1) * size * length); // [G, L]
      const responseMask = new Uint8Array(size * length); // [G, L]
      const scores = Array.from({ length: size }, (_, j) => {
        const [a, e] = gen.regions[k * size + j]!;
        responseMask.fill(1, j * length + a, j * length + e);
        return scoreResponse(p, responseText(m.layout.tokenizer, gen.responses[k * size + j]!));
      });
      groups[textAt[k]!] = { rows, responseMask, rewards: scores.map((x) => x.reward) };
      stats[textAt[k]!] = { task: p.task, rewards: scores.map((x) => x.reward), correct: scores.map((x) => x.correct), example: scores[0]!.text };
    });
  }

  const imageAt = prompts.flatMap((p, i) => (p.task === "t2i" ? [i] : []));
  if (imageAt.length > 0) {
    const ps = imageAt.map((i) => prompts[i] as ImagePrompt);
    const gen = await generateImages(m.logits, tile(ps.map((p) => p.layout)), m.layout, s.image, { rng: rng.image, maxBatch: m.maxBatch });
    const labels = tile(ps.map((p) => p.label));
    const score = scoreGeneratedImages(m.vq, m.classifier, gen.codes, labels);
    const n = m.layout.imageTokens;
    ps.forEach((p, k) => {
      const responseMask = new Uint8Array(size * length); // [G, L]
      for (let j = 0; j < size; j++) responseMask.fill(1, j * length + gen.imageStart, j * length + gen.imageStart + n);
      const at = (j: number) => k * size + j;
      const rewards = Array.from({ length: size }, (_, j) => score.rewards[at(j)]!);
      groups[imageAt[k]!] = { rows: gen.rows.slice(k * size * length, (k + 1) * size * length), responseMask, rewards };
      stats[imageAt[k]!] = {
        task: "t2i",
        rewards,
        correct: Array.from({ length: size }, (_, j) => score.predicted[at(j)] === p.label),
        example: `"${p.caption}" -> classifier sees ${score.predicted[at(0)]} (p=${score.clip[at(0)]!.toFixed(2)})`,
      };
    });
  }
  return { groups, stats };
}
