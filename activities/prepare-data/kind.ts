// The `prepare-data` step kind as the compiler sees it: the JSON Schema of its `with` (the one place its
// fields, limits and defaults are written; the compiler validates `with` against it and fills the
// defaults, so the plan and the cache key hold every effective value), the type the step receives,
// the rules the schema cannot express, and its inputs and outputs.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";
import { fixedOutputs, type KindDefinition, type KindProblem } from "../../contract/step-kind.ts";
import type { WithInputs } from "../kit/step-context.ts";

/** How many of something each split holds: train, val and test sizes with their defaults. */
function splitSizes<const D extends { train: number; val: number; test: number }>(what: string, min: number, max: number, d: D) {
  const size = <const N extends number>(description: string, n: N) => ({ description, type: "integer", minimum: min, maximum: max, default: n }) as const;
  return {
    type: "object",
    additionalProperties: false,
    properties: {
      train: size(`Training ${what}.`, d.train),
      val: size(`Validation ${what}.`, d.val),
      test: size(`Held-out test ${what} (evaluation).`, d.test),
    },
  } as const;
}

/** Images per split. */
const digitSizes = splitSizes("images", 1, 100000, { train: 8000, val: 1000, test: 1000 });

/** Records per split of one task. */
const taskCounts = splitSizes("records", 0, 1000000, { train: 4000, val: 200, test: 500 });

export const schema = {
  title: "prepare-data step: with",
  description: "Builds the MMaDA dataset artifact (kind `dataset`): MNIST digits split train/val/test, Moby-Dick text passages, generated arithmetic chain-of-thought, multimodal reasoning, captions, digit QA, yes/no QA and text-to-image prompts. Deterministic by seed. Every field is optional; defaults are listed per field. Formats: mmada/data/README.md.",
  type: "object",
  additionalProperties: false,
  properties: {
    seed: {
      description: "Seed of every random choice (splits, templates, problems). Same seed and settings -> byte-identical dataset.",
      type: "integer",
      minimum: 0,
      maximum: 4294967295,
      default: 0,
    },
    digits: {
      description: "How many images each split gets. MNIST has 10,000 images, so train + val + test must not exceed that. With `images`, train takes what is left after val and test, up to `train`.",
      ...digitSizes,
      default: {},
    },
    counts: {
      description: "Records per task and split. Image tasks draw images from their own split (cycling through them when the count is larger).",
      type: "object",
      additionalProperties: false,
      properties: {
        lm: {
          description: "Text passages for language modelling (lm.jsonl). With fewer passages available, train gets the rest after val and test.",
          ...taskCounts,
          default: {},
        },
        cot: {
          description: "Arithmetic chain-of-thought problems (cot.jsonl); val/test questions never appear in train.",
          ...taskCounts,
          default: {},
        },
        mmcot: {
          description: "Multimodal reasoning over a digit image (mmcot.jsonl), e.g. 'digit plus 3?'.",
          ...taskCounts,
          default: {},
        },
        caption: {
          description: "Image captions (caption.jsonl), e.g. 'a handwritten seven'. Ignored with `captions` (every caption line is used).",
          ...taskCounts,
          default: {},
        },
        vqa: {
          description: "Digit questions (vqa.jsonl): half 'which digit?', half yes/no 'is it a 7?' with balanced answers.",
          ...taskCounts,
          default: {},
        },
        t2i: {
          description: "Text-to-image prompts (t2i.jsonl): class names and short captions. Ignored with `captions` (every caption line is used).",
          ...taskCounts,
          default: {},
        },
      },
      default: {},
    },
    arithmetic: {
      description: "Difficulty of the generated arithmetic problems (cot.jsonl) and the operand range of mmcot.",
      type: "object",
      additionalProperties: false,
      properties: {
        minOps: { description: "Fewest operators per problem.", type: "integer", minimum: 1, maximum: 4, default: 1 },
        maxOps: {
          description: "Most operators per problem (must be >= minOps).",
          type: "integer",
          minimum: 1,
          maximum: 4,
          default: 2,
        },
        minOperand: { description: "Smallest operand.", type: "integer", minimum: 0, maximum: 999, default: 0 },
        maxOperand: {
          description: "Largest operand (must be >= minOperand). Large operands with many ops may not fit maxSampleLength.",
          type: "integer",
          minimum: 1,
          maximum: 999,
          default: 9,
        },
        operators: {
          description: "Operators to draw from. Problems whose intermediate results go negative are redrawn.",
          type: "array",
          items: { enum: ["+", "-", "*"] },
          minItems: 1,
          uniqueItems: true,
          default: ["+", "-", "*"],
        },
      },
      default: {},
    },
    passageLength: {
      description: "Most characters per lm passage (passages break at spaces). Must fit the model's sequence length.",
      type: "integer",
      minimum: 16,
      maximum: 1024,
      default: 60,
    },
    maxSampleLength: {
      description: "Token budget of one question + answer (`<think>` and `</think>` count as one token each). Generated records always fit; brought records that do not are bad records. The model's textLength must be at least this + 4 for mmu/chat layouts.",
      type: "integer",
      minimum: 16,
      maximum: 1024,
      default: 64,
    },
    yesno: {
      description:
        "How yes/no questions (vqa.jsonl kind yesno) are answered. answer: `yes` or `no`. identify: name the digit, then answer, in the reasoning format of mmcot (`<think>it is 3</think> no`), so the answer rests on a reading the model makes explicitly. The questions, images and yes/no answers are the same either way; pope_acc scores the final answer.",
      enum: ["answer", "identify"],
      default: "answer",
    },
    text: {
      description: "Bring your own text: a JSONL file of {\"text\": string}, replacing Moby-Dick. Lowercased, normalised to the tokenizer charset and cut into passages like Moby-Dick.",
      type: "string",
      minLength: 1,
    },
    cot: {
      description: "Bring your own chain-of-thought: a JSONL file of {\"question\", \"reasoning\", \"answer\"} strings, replacing the generated arithmetic problems.",
      type: "string",
      minLength: 1,
    },
    images: {
      description: "Bring your own images: a folder of 28x28 PNGs (grayscale, light digit on dark background like MNIST), replacing MNIST. Needs `captions`.",
      type: "string",
      minLength: 1,
    },
    captions: {
      description: "Captions of `images`: a JSONL file of {\"file\": PNG path inside `images`, \"caption\": string, \"label\"?: digit 0-9}. Labelled images also feed mmcot and vqa.",
      type: "string",
      minLength: 1,
    },
    onBadRecord: {
      description: "What to do with a bad record in a brought file (invalid JSON, missing field, wrong type, unreadable PNG, too long): skip counts and logs it (first 5 with file:line in the manifest), fail stops the step listing the first few.",
      enum: ["skip", "fail"],
      default: "skip",
    },
  },
} as const satisfies JSONSchema;

/** `with` as the step receives it: validated, defaults filled. */
export type PrepareDataWith = FromSchema<typeof schema>;

export type PrepareDataOptions = WithInputs<PrepareDataWith, "text" | "cot" | "images" | "captions">;

export function checkPrepareData(w: PrepareDataWith): KindProblem[] {
  const problems: KindProblem[] = [];
  const a = w.arithmetic;
  if (a.maxOps < a.minOps) problems.push({ at: ["arithmetic", "maxOps"], message: `arithmetic.maxOps (${a.maxOps}) is below arithmetic.minOps (${a.minOps})`, hint: "raise maxOps or lower minOps" });
  if (a.maxOperand < a.minOperand) {
    problems.push({ at: ["arithmetic", "maxOperand"], message: `arithmetic.maxOperand (${a.maxOperand}) is below arithmetic.minOperand (${a.minOperand})`, hint: "raise maxOperand or lower minOperand" });
  }
  if ((w.images === undefined) !== (w.captions === undefined)) {
    problems.push({
      at: [w.images === undefined ? "captions" : "images"],
      message: "`images` and `captions` go together",
      hint: "give the PNG folder and its captions JSONL, or neither (then MNIST is used)",
    });
  }
  return problems;
}

export const prepareDataKind: KindDefinition = {
  name: "prepare-data",
  description: "Build the MMaDA dataset: digit images, text, chain-of-thought and image tasks, split train/val/test.",
  schema,
  inputs: { text: "file", cot: "file", images: "dir", captions: "file" },
  outputs: fixedOutputs({ dataset: "dataset" }),
  check: (w) => checkPrepareData(w as PrepareDataWith),
};
