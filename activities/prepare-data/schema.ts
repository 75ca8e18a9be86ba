// JSON Schema of the `prepare-data` step's `with`: the one place its fields, limits and defaults are
// written. The compiler validates `with` against it and fills the defaults (so the plan and the cache
// key hold every effective value); PrepareDataWith is derived from it.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";

/** Images per split. */
const digitSizes = {
  type: "object",
  additionalProperties: false,
  properties: {
    train: { description: "Training images.", type: "integer", minimum: 1, maximum: 100000, default: 8000 },
    val: { description: "Validation images.", type: "integer", minimum: 1, maximum: 100000, default: 1000 },
    test: {
      description: "Held-out test images (evaluation).",
      type: "integer",
      minimum: 1,
      maximum: 100000,
      default: 1000,
    },
  },
} as const;

/** Records per split of one task. */
const taskCounts = {
  type: "object",
  additionalProperties: false,
  properties: {
    train: { description: "Training records.", type: "integer", minimum: 0, maximum: 1000000, default: 4000 },
    val: { description: "Validation records.", type: "integer", minimum: 0, maximum: 1000000, default: 200 },
    test: {
      description: "Held-out test records (evaluation).",
      type: "integer",
      minimum: 0,
      maximum: 1000000,
      default: 500,
    },
  },
} as const;

export const schema = {
  title: "prepare-data step: with",
  description: "Builds the MMaDA dataset artifact (kind `dataset`): MNIST digits split train/val/test, Moby-Dick text passages, generated arithmetic chain-of-thought, multimodal reasoning, captions, digit QA, yes/no QA and text-to-image prompts. Deterministic by seed. Every field is optional; defaults are listed per field. Formats: activities/data/README.md.",
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
