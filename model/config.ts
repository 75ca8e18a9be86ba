// The one typed model configuration (nanoGPT-style): defaults, validation that reports every
// problem at once, and the derived sizes. It is plain JSON and is stored inside every checkpoint.
import { DEFAULT_CHARSET } from "./text-tokenizer.ts";
import { NUM_SPECIAL_TOKENS } from "./vocab.ts";

export interface ModelConfig {
  /** Text ids (specials + characters): the tokenizer's vocabSize. Image ids start here. */
  textVocabSize: number;
  /** VQ codebook size (image ids are textVocabSize .. textVocabSize + codebookSize - 1). */
  codebookSize: number;
  /** Image token grid; N = gridH * gridW image tokens per image. */
  gridH: number;
  gridW: number;
  /** T: the text part of every sequence; the total length is L = T + N + 3. */
  textLength: number;
  dModel: number;
  nHeads: number;
  nLayers: number;
  /** SwiGLU hidden width. */
  mlpHidden: number;
  /** Residual and embedding dropout while training. */
  dropout: number;
  /** Rotary embedding base (theta). */
  ropeBase: number;
  /** LLaDA's eps in p = (1 - eps) t + eps (docs/mmada.md §2). */
  maskEps: number;
  /** RMSNorm epsilon. */
  normEps: number;
  /** Std of the normal initialisation of every matrix (output projections get / sqrt(2 nLayers)). */
  initStd: number;
  /** Seed of the parameter initialisation and the first data/mask draws. */
  seed: number;
}

/**
 * Default tiny size, chosen by measurement on the 2-core wasm machine (model/README.md,
 * "Default size"): ~0.5 s of CPU per optimizer step at batch 16 (537 k parameters, L = 67), so
 * ~600 steps plus evaluation and RL fit the 10-15 minute budget of the whole three-stage pipeline.
 */
export const DEFAULT_CONFIG: ModelConfig = {
  textVocabSize: NUM_SPECIAL_TOKENS + Array.from(DEFAULT_CHARSET).length,
  codebookSize: 64,
  gridH: 4,
  gridW: 4,
  textLength: 48,
  dModel: 128,
  nHeads: 4,
  nLayers: 3,
  mlpHidden: 256,
  dropout: 0,
  ropeBase: 10000,
  maskEps: 1e-3,
  normEps: 1e-5,
  initStd: 0.02,
  seed: 0,
};

/** Number of image tokens N. */
export function imageTokenCount(c: ModelConfig): number {
  return c.gridH * c.gridW;
}

/** Total sequence length L = T + N + 3 (docs/mmada.md §1): the same for every task. */
export function seqLength(c: ModelConfig): number {
  return c.textLength + imageTokenCount(c) + 3;
}

export function headDim(c: ModelConfig): number {
  return c.dModel / c.nHeads;
}

/** Defaults overridden by `overrides`; throws one error listing every problem. */
export function makeConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  const config = { ...DEFAULT_CONFIG, ...overrides };
  const errors = validateConfig(config);
  if (errors.length > 0) throw new Error(`invalid model config:\n  - ${errors.join("\n  - ")}`);
  return config;
}

const INTEGER_FIELDS = [
  "textVocabSize",
  "codebookSize",
  "gridH",
  "gridW",
  "textLength",
  "dModel",
  "nHeads",
  "nLayers",
  "mlpHidden",
] as const;
const KNOWN_FIELDS = new Set(Object.keys(DEFAULT_CONFIG));
/** Shortest text part that holds an mmu/chat prompt skeleton and one answer token. */
const MIN_TEXT_LENGTH = 5;

/** Every problem with `value` as a ModelConfig, as "field: what is wrong; what to do" strings. */
export function validateConfig(value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["model config must be an object"];
  const c = value as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of Object.keys(c)) {
    if (!KNOWN_FIELDS.has(key)) errors.push(`${key}: unknown field; known fields are ${[...KNOWN_FIELDS].join(", ")}`);
  }
  for (const key of KNOWN_FIELDS) {
    if (typeof c[key] !== "number" || !Number.isFinite(c[key])) errors.push(`${key}: must be a finite number (got ${JSON.stringify(c[key])})`);
  }
  if (errors.length > 0) return errors;
  const m = c as unknown as ModelConfig;
  for (const key of INTEGER_FIELDS) {
    if (!Number.isInteger(m[key]) || m[key] < 1) errors.push(`${key}: must be a positive integer (got ${m[key]})`);
  }
  if (!Number.isInteger(m.seed)) errors.push(`seed: must be an integer (got ${m.seed})`);
  if (m.textVocabSize <= NUM_SPECIAL_TOKENS) {
    errors.push(`textVocabSize: must exceed the ${NUM_SPECIAL_TOKENS} special tokens (got ${m.textVocabSize}); use the tokenizer's vocabSize`);
  }
  if (m.textLength < MIN_TEXT_LENGTH) errors.push(`textLength: must be at least ${MIN_TEXT_LENGTH} (got ${m.textLength})`);
  if (m.dModel % m.nHeads !== 0) {
    errors.push(`dModel: must be divisible by nHeads (got dModel=${m.dModel}, nHeads=${m.nHeads}); pick dModel a multiple of nHeads`);
  } else if ((m.dModel / m.nHeads) % 2 !== 0) {
    errors.push(`dModel / nHeads: the head size ${m.dModel / m.nHeads} must be even for rotary embeddings; change dModel or nHeads`);
  }
  if (!(m.dropout >= 0 && m.dropout < 1)) errors.push(`dropout: must be in [0, 1) (got ${m.dropout})`);
  if (!(m.maskEps > 0 && m.maskEps < 1)) errors.push(`maskEps: must be in (0, 1) (got ${m.maskEps}); MMaDA uses 1e-3`);
  if (!(m.ropeBase > 1)) errors.push(`ropeBase: must be > 1 (got ${m.ropeBase}); the usual value is 10000`);
  if (!(m.normEps > 0)) errors.push(`normEps: must be > 0 (got ${m.normEps})`);
  if (!(m.initStd > 0)) errors.push(`initStd: must be > 0 (got ${m.initStd})`);
  return errors;
}
