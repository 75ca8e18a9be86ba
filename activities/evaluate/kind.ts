// The `evaluate` step kind as the compiler sees it: the JSON Schema of its `with` (the one place its
// fields, limits and defaults are written; the compiler validates `with` against it and fills the
// defaults, so the plan and the cache key hold every effective value), the type the step receives,
// the rules the schema cannot express, and its inputs and outputs.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";
import { type CheckContext, fixedOutputs, type KindDefinition, type KindProblem } from "../../contract/step-kind.ts";
import type { WithInputs } from "../kit/step-context.ts";
import { BENCHMARK_SOURCES, plannedRecords, samplerSchema } from "../../mmada/spec.ts";

export const schema = {
  title: "evaluate step: with",
  description: "Runs the tiny benchmark suite of docs/mmada.md §6 on the held-out split with one model checkpoint: gsm8k_acc (arithmetic chain-of-thought exact match), text_nll (masked-token NLL on held-out text, lower is better), vqa_acc (which digit?), pope_acc (yes/no 'is it a 7?'), caption_acc (caption names the digit), mmcot_acc (multimodal reasoning exact match), geneval_acc (frozen-classifier accuracy of generated digits; geneval_judge2_acc: the same images read by a second, independently trained classifier), clip_score (mean classifier probability of the prompted digit) and imagereward_score (mean margin of the prompted digit's probability over the best other digit's). Every accuracy <bench>_acc comes with <bench>_n, the items asked; report.json lists every item's id and verdict (the same ids at every stage, for paired tests). Outputs `report` (JSON: metrics, config, sample answers) and `samples` (a PNG grid of generated digits per class and the classifier's predictions). Deterministic by seed.",
  type: "object",
  required: ["checkpoint", "dataset", "tokens", "classifier", "vq"],
  additionalProperties: false,
  properties: {
    checkpoint: {
      description: "The model to evaluate: the `checkpoint` output of a train or unigrpo step (${{ steps.ID.outputs.checkpoint }}).",
      type: "string",
      minLength: 1,
    },
    dataset: { description: "The `dataset` output of a prepare-data step.", type: "string", minLength: 1 },
    tokens: {
      description: "The `tokens` output of the tokenize-images step the model was trained on (image prompts use its codes).",
      type: "string",
      minLength: 1,
    },
    classifier: {
      description: "The frozen digit classifier (`classifier` output of train-classifier) that judges generated images.",
      type: "string",
      minLength: 1,
    },
    vq: {
      description: "The VQ tokenizer (`vq` output of train-vq) that decodes generated image codes; the one the tokens were made with.",
      type: "string",
      minLength: 1,
    },
    judge2: {
      description: "Optional second judge of the generated digits: another classifier (`classifier` output of a train-classifier step with a different architecture or seed), never used as a reward. Adds geneval_judge2_acc beside geneval_acc.",
      type: "string",
      minLength: 1,
    },
    split: {
      description: "Which split to evaluate on: test for reported numbers, val for model selection.",
      enum: ["test", "val"],
      default: "test",
    },
    samples: {
      description: "How many prompts each benchmark asks (the first N records of the split, so every checkpoint is asked the same questions). 0 skips a benchmark. Small defaults keep an evaluation well under a minute on 2 CPU cores.",
      type: "object",
      additionalProperties: false,
      properties: {
        gsm8k: {
          description: "Arithmetic chain-of-thought problems (cot.jsonl).",
          type: "integer",
          minimum: 0,
          maximum: 10000,
          default: 16,
        },
        textNll: {
          description: "Held-out text passages (lm.jsonl) for the masked-token NLL.",
          type: "integer",
          minimum: 0,
          maximum: 10000,
          default: 16,
        },
        vqa: {
          description: "Digit questions ('which digit?') from vqa.jsonl.",
          type: "integer",
          minimum: 0,
          maximum: 10000,
          default: 16,
        },
        pope: {
          description: "Yes/no questions ('is it a 7?') from vqa.jsonl, balanced yes/no.",
          type: "integer",
          minimum: 0,
          maximum: 10000,
          default: 16,
        },
        caption: {
          description: "Images to caption (caption.jsonl).",
          type: "integer",
          minimum: 0,
          maximum: 10000,
          default: 16,
        },
        mmcot: {
          description: "Multimodal reasoning questions (mmcot.jsonl).",
          type: "integer",
          minimum: 0,
          maximum: 10000,
          default: 16,
        },
        genevalPerClass: {
          description: "Generated images per digit class (10 classes) for geneval_acc and clip_score.",
          type: "integer",
          minimum: 0,
          maximum: 100,
          default: 2,
        },
      },
      default: {},
    },
    sampler: samplerSchema("Sampler settings (docs/mmada.md §5). Text: semi-autoregressive low-confidence remasking; images: MaskGIT with classifier-free guidance.", { genLength: 32, steps: 16, blockLength: 8, temperature: 0, imageSteps: 12, guidance: 3.5 }, true),
    seed: {
      description: "Seed of all sampling noise (each benchmark has its own stream). Same seed, checkpoint and settings give the same report.",
      type: "integer",
      minimum: 0,
      maximum: 4294967295,
      default: 0,
    },
    maxBatch: {
      description: "Most sequences per forward pass (bounds memory). Sampling noise is drawn chunk by chunk, so a different value gives different (equally valid) samples.",
      type: "integer",
      minimum: 1,
      maximum: 1024,
      default: 32,
    },
  },
} as const satisfies JSONSchema;

/** `with` as the step receives it: validated, defaults filled. */
export type EvaluateWith = FromSchema<typeof schema>;

export type EvaluateOptions = WithInputs<EvaluateWith, "checkpoint" | "dataset" | "tokens" | "classifier" | "vq" | "judge2">;

export function checkEvaluate(w: EvaluateWith, ctx?: CheckContext): KindProblem[] {
  const dataset = ctx?.upstream("dataset");
  const problems: KindProblem[] = [];
  for (const [bench, { task, share }] of Object.entries(BENCHMARK_SOURCES)) {
    const asked = w.samples[bench as keyof typeof BENCHMARK_SOURCES];
    const records = plannedRecords(dataset, task, w.split);
    if (records === undefined || asked <= share(records)) continue;
    problems.push({
      at: ["samples", bench],
      message: `samples.${bench} asks ${asked} prompts but step '${dataset!.id}' writes ${share(records)} usable ${task} ${w.split} records`,
      hint: `raise its counts.${task}.${w.split} or lower samples.${bench}`,
    });
  }
  return problems;
}

export const evaluateKind: KindDefinition = {
  name: "evaluate",
  description: "Evaluate a model checkpoint on the tiny benchmarks; writes a report and generated samples.",
  schema,
  inputs: { dataset: "dataset", tokens: "tokens", checkpoint: "checkpoint", classifier: "classifier", vq: "vq", judge2: "classifier" },
  outputs: fixedOutputs({ report: "file", samples: "dir" }),
  check: (w, ctx) => checkEvaluate(w as EvaluateWith, ctx),
};
