// The `unigrpo` step kind as the compiler sees it: the JSON Schema of its `with` (the one place its
// fields, limits and defaults are written; the compiler validates `with` against it and fills the
// defaults, so the plan and the cache key hold every effective value), the type the step receives,
// the rules the schema cannot express, and its inputs and outputs.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";
import { type CheckContext, fixedOutputs, type KindDefinition, type KindProblem } from "../../contract/step-kind.ts";
import type { WithInputs } from "../kit/step-context.ts";
import { plannedRecords, RL_TASKS, samplerSchema } from "../../mmada/spec.ts";

export const schema = {
  title: "unigrpo step: with",
  description: "Stage 3 of MMaDA (docs/mmada.md §4): UniGRPO reinforcement learning from the stage-2 checkpoint. Each RL step samples prompts from the train split (arithmetic chain-of-thought, multimodal reasoning, text-to-image, optionally captioning), samples a group of responses per prompt with the current policy, scores them (answer 2.0 + format 0.5; captions 0.1 * correct digit; images 0.1 * classifier probability of the prompted digit + 0.1 * its margin over the best other digit, so a confident wrong digit is penalised) and takes mu clipped-ratio gradient steps with a k3 KL penalty to the frozen init model. Checkpoints like the train kind (resumes from the newest valid one). Output: the final `checkpoint`.",
  type: "object",
  required: ["init", "dataset", "tokens", "classifier", "vq"],
  additionalProperties: false,
  properties: {
    init: {
      description: "The stage-2 model (`checkpoint` output of a train step): the policy starts from it and it stays frozen as the KL reference. A fresh optimizer is used.",
      type: "string",
      minLength: 1,
    },
    dataset: {
      description: "The `dataset` output of a prepare-data step (prompts come from its train split).",
      type: "string",
      minLength: 1,
    },
    tokens: {
      description: "The `tokens` output of the tokenize-images step the model was trained on (image prompts use its codes).",
      type: "string",
      minLength: 1,
    },
    classifier: {
      description: "The frozen digit classifier (`classifier` output of train-classifier): the CLIP-like and ImageReward-like scorer.",
      type: "string",
      minLength: 1,
    },
    vq: {
      description: "The VQ tokenizer (`vq` output of train-vq) that decodes generated images for the classifier.",
      type: "string",
      minLength: 1,
    },
    steps: {
      description: "RL iterations (each: sample, score, mu gradient steps).",
      type: "integer",
      minimum: 1,
      maximum: 100000,
      default: 20,
    },
    groupSize: {
      description: "G, responses sampled per prompt. Advantages are z-scores within a group; groups whose rewards are all equal are skipped.",
      type: "integer",
      minimum: 2,
      maximum: 256,
      default: 8,
    },
    promptsPerStep: {
      description: "Prompts per RL step (each gets a group of G responses).",
      type: "integer",
      minimum: 1,
      maximum: 1024,
      default: 2,
    },
    advantage: {
      description:
        "How a group's rewards become advantages: zscore (the paper's: minus the group mean, divided by the group std) or centered (an option, Dr. GRPO: minus the group mean only, so a group whose rewards differ by noise, such as near-equal image scores, gets advantages of that small size instead of full-size ones).",
      enum: ["zscore", "centered"],
      default: "zscore",
    },
    rolloutRounds: {
      description:
        "Rollout rounds per RL step, DAPO's dynamic sampling (an option; 1, the default, is the paper's UniGRPO: one rollout, groups whose rewards are all equal skipped). Above 1: while fewer than promptsPerStep groups have rewards that differ, more prompts are drawn and rolled out, up to this many rounds, and only groups with signal go into the update. The reward metric stays the first round's mean, comparable with rolloutRounds 1.",
      type: "integer",
      minimum: 1,
      maximum: 16,
      default: 1,
    },
    mu: {
      description: "Inner gradient steps per RL step on the same responses, with uniformly spaced mask ratios.",
      type: "integer",
      minimum: 1,
      maximum: 64,
      default: 2,
    },
    eps: {
      description: "PPO clip range: the probability ratio is clipped to [1 - eps, 1 + eps].",
      type: "number",
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.2,
    },
    beta: {
      description: "Weight of the KL penalty to the frozen init model (the paper uses 0.01 to 0.04).",
      type: "number",
      minimum: 0,
      maximum: 10,
      default: 0.02,
    },
    lr: {
      description: "Constant AdamW learning rate (RL wants a small one).",
      type: "number",
      exclusiveMinimum: 0,
      maximum: 1000000,
      default: 5e-05,
    },
    weightDecay: {
      description: "AdamW decoupled weight decay (matrices only).",
      type: "number",
      minimum: 0,
      maximum: 1,
      default: 0,
    },
    clip: {
      description: "Max global gradient norm; 0 turns clipping off.",
      type: "number",
      minimum: 0,
      default: 1.0,
    },
    stepReward: {
      description:
        "Weight of an optional step reward for cot and mmcot responses: the share of the reference reasoning's equations the response's <think> part gets right (the first result it writes for each). 0 (the default) is the paper's reward: final answer and format only. At most 2, the correct answer's reward.",
      type: "number",
      minimum: 0,
      maximum: 2,
      default: 0,
    },
    mix: {
      description: "Relative weight of each prompt task; each prompt's task is drawn with these weights. 0 leaves a task out.",
      type: "object",
      additionalProperties: false,
      properties: {
        cot: {
          description: "Arithmetic chain-of-thought (cot.jsonl), rewarded by the final answer and the <think> format.",
          type: "number",
          minimum: 0,
          default: 1,
        },
        mmcot: {
          description: "Multimodal reasoning over a digit (mmcot.jsonl), rewarded like cot.",
          type: "number",
          minimum: 0,
          default: 1,
        },
        t2i: {
          description: "Text-to-image (t2i.jsonl prompts), rewarded by the frozen classifier.",
          type: "number",
          minimum: 0,
          default: 1,
        },
        caption: {
          description: "Captioning (caption.jsonl images), rewarded 0.1 when the caption names the digit.",
          type: "number",
          minimum: 0,
          default: 0,
        },
      },
      default: {},
    },
    sampler: samplerSchema("Rollout sampler settings (docs/mmada.md §5); keep them cheap, every RL step samples G x promptsPerStep responses.", { genLength: 32, steps: 16, blockLength: 8, temperature: 1, imageSteps: 8, guidance: 1.5 }, false),
    seed: {
      description: "Seed of prompt choice, sampling noise and masks: everything random about RL step s is a function of (seed, s), so a resumed run reproduces the uninterrupted one.",
      type: "integer",
      minimum: 0,
      maximum: 4294967295,
      default: 0,
    },
    checkpointEvery: {
      description: "Write step-<n>.ckpt into the step's checkpoint folder every this many RL steps (and after the last).",
      type: "integer",
      minimum: 1,
      maximum: 100000,
      default: 5,
    },
    keep: {
      description: "Keep the last K checkpoints (plus the best by mean reward); older ones are deleted.",
      type: "integer",
      minimum: 1,
      maximum: 1000,
      default: 2,
    },
    maxBatch: {
      description: "Most sequences per forward pass while sampling (bounds memory).",
      type: "integer",
      minimum: 1,
      maximum: 1024,
      default: 64,
    },
  },
} as const satisfies JSONSchema;

/** `with` as the step receives it: validated, defaults filled. */
export type UnigrpoWith = FromSchema<typeof schema>;

export type UnigrpoOptions = WithInputs<UnigrpoWith, "init" | "dataset" | "tokens" | "classifier" | "vq">;

export function checkUnigrpo(w: UnigrpoWith, ctx?: CheckContext): KindProblem[] {
  const active = RL_TASKS.filter((t) => w.mix[t] > 0);
  if (active.length === 0) return [{ at: ["mix"], message: "mix gives no task a weight above 0", hint: "set e.g. mix: { cot: 1, mmcot: 1, t2i: 1 }" }];
  const dataset = ctx?.upstream("dataset");
  return active.flatMap((t): KindProblem[] =>
    plannedRecords(dataset, t, "train") === 0
      ? [{ at: ["mix", t], message: `mix.${t} is ${w.mix[t]} but step '${dataset!.id}' writes no ${t} training records`, hint: `raise its counts.${t}.train or set mix.${t} to 0` }]
      : [],
  );
}

export const unigrpoKind: KindDefinition = {
  name: "unigrpo",
  description: "Stage 3: UniGRPO reinforcement learning of the diffusion model; resumable.",
  schema,
  inputs: { dataset: "dataset", tokens: "tokens", init: "checkpoint", classifier: "classifier", vq: "vq" },
  outputs: fixedOutputs({ checkpoint: "checkpoint" }),
  checkpoints: true,
  budget: { field: "steps", metrics: ["checkpoint_reward", "reward", "accuracy", "kl", "loss"] },
  check: (w, ctx) => checkUnigrpo(w as UnigrpoWith, ctx),
};
