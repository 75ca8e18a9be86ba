// The step-kind registry: what each `uses:` value means to the compiler. Pure metadata (no tfjs,
// no Temporal), so pipelines/ can validate a spec without loading any activity code.
//
// Adding a kind = a schema file schemas/steps/<kind>.schema.json + one entry in `stepKinds`
// (+ an if/then line in schemas/pipeline.schema.json#/definitions/withByKind for editor help;
// test/spec/registry.test.ts checks that line exists).
import commandSchema from "../schemas/steps/command.schema.json" with { type: "json" };
import evaluateSchema from "../schemas/steps/evaluate.schema.json" with { type: "json" };
import prepareDataSchema from "../schemas/steps/prepare-data.schema.json" with { type: "json" };
import tokenizeImagesSchema from "../schemas/steps/tokenize-images.schema.json" with { type: "json" };
import trainClassifierSchema from "../schemas/steps/train-classifier.schema.json" with { type: "json" };
import trainVqSchema from "../schemas/steps/train-vq.schema.json" with { type: "json" };
import trainSchema from "../schemas/steps/train.schema.json" with { type: "json" };
import unigrpoSchema from "../schemas/steps/unigrpo.schema.json" with { type: "json" };

/** Step settings a kind may default (same syntax as the spec's `defaults:` block). */
export interface KindDefaults {
  queue?: string;
  /** Duration string: 500ms, 30s, 10m, 2h. */
  timeout?: string;
  heartbeatTimeout?: string;
  retry?: { maximumAttempts?: number; initialInterval?: string; backoffCoefficient?: number };
}

/** A path written in `with` that must stay inside its root (the project, or $MMADA_OUT). */
export interface KindPathUse {
  /** Where in `with` the path is written, e.g. ["outputs", "model", "path"]. */
  at: (string | number)[];
  path: string;
}

export type WithObject = { [key: string]: unknown };

export interface StepKindInfo {
  name: string;
  /** Implementation version: bump it when the activity's behaviour changes (part of the cache key). */
  version: string;
  description: string;
  /** JSON Schema of `with`, checked after params and matrix values are substituted. */
  schema: object;
  /** `with` field -> artifact kind a step output given there must have ("any" accepts all).
   *  Non-reference strings in these fields are project file paths (checked for escapes). */
  inputs: { [withField: string]: string };
  /** Declared outputs: name -> artifact kind (file, dir, dataset, checkpoint, ...). */
  outputs: (w: WithObject) => { [name: string]: string };
  /** Output paths written in `with` (relative to $MMADA_OUT), checked for absolute paths and `..`. */
  outputPaths?: (w: WithObject) => KindPathUse[];
  defaults?: KindDefaults;
  /** The activity heartbeats checkpoints and can resume from one. */
  checkpoints?: boolean;
}

/** For kinds whose outputs do not depend on `with`. */
export function fixedOutputs(outputs: { [name: string]: string }): (w: WithObject) => { [name: string]: string } {
  return () => ({ ...outputs });
}

const COMMAND_DEFAULT_OUTPUT_KIND = "file";

/** command's `outputs`: name -> "path" or { path, kind }. */
type CommandOutput = [name: string, out: { path: string; kind: string; long: boolean }];

function commandOutputEntries(w: WithObject): CommandOutput[] {
  const outs = w["outputs"];
  if (typeof outs !== "object" || outs === null) return [];
  return Object.entries(outs as { [k: string]: unknown }).flatMap(([name, v]): CommandOutput[] => {
    if (typeof v === "string") return [[name, { path: v, kind: COMMAND_DEFAULT_OUTPUT_KIND, long: false }]];
    if (typeof v === "object" && v !== null) {
      const o = v as { path?: unknown; kind?: unknown };
      const kind = typeof o.kind === "string" ? o.kind : COMMAND_DEFAULT_OUTPUT_KIND;
      return typeof o.path === "string" ? [[name, { path: o.path, kind, long: true }]] : [];
    }
    return [];
  });
}

export const commandKind: StepKindInfo = {
  name: "command",
  version: "1",
  description: "Run a shell command; inputs as $MMADA_IN_<NAME>, outputs written under $MMADA_OUT.",
  schema: commandSchema,
  inputs: { inputs: "any" },
  outputs: (w) => Object.fromEntries(commandOutputEntries(w).map(([name, o]) => [name, o.kind])),
  outputPaths: (w) =>
    commandOutputEntries(w).map(([name, o]) => ({
      at: o.long ? ["outputs", name, "path"] : ["outputs", name],
      path: o.path,
    })),
};

// The MMaDA kinds (MMADA.md): data, image tokenizer, scorer, the two supervised stages (one kind),
// RL, evaluation. Their artifacts: dataset, vq, tokens, classifier, checkpoint.

export const prepareDataKind: StepKindInfo = {
  name: "prepare-data",
  version: "1",
  description: "Build the MMaDA dataset: digit images, text, chain-of-thought and image tasks, split train/val/test.",
  schema: prepareDataSchema,
  inputs: { text: "file", cot: "file", images: "dir", captions: "file" },
  outputs: fixedOutputs({ dataset: "dataset" }),
};

export const trainVqKind: StepKindInfo = {
  name: "train-vq",
  version: "1",
  description: "Train the VQ-VAE image tokenizer on the dataset's train digits.",
  schema: trainVqSchema,
  inputs: { dataset: "dataset" },
  outputs: fixedOutputs({ vq: "vq" }),
};

export const tokenizeImagesKind: StepKindInfo = {
  name: "tokenize-images",
  version: "1",
  description: "Encode every split's digits into VQ codes (the image tokens the model trains on).",
  schema: tokenizeImagesSchema,
  inputs: { dataset: "dataset", vq: "vq" },
  outputs: fixedOutputs({ tokens: "tokens" }),
};

export const trainClassifierKind: StepKindInfo = {
  name: "train-classifier",
  version: "1",
  description: "Train the frozen digit classifier that scores generated images (rewards, evaluation).",
  schema: trainClassifierSchema,
  inputs: { dataset: "dataset" },
  outputs: fixedOutputs({ classifier: "classifier" }),
};

export const trainKind: StepKindInfo = {
  name: "train",
  version: "1",
  description: "Train the MMaDA model for one stage (pretraining or mixed chain-of-thought fine-tuning); resumable.",
  schema: trainSchema,
  inputs: { dataset: "dataset", tokens: "tokens", init: "checkpoint" },
  outputs: fixedOutputs({ checkpoint: "checkpoint" }),
  checkpoints: true,
};

export const unigrpoKind: StepKindInfo = {
  name: "unigrpo",
  version: "1",
  description: "Stage 3: UniGRPO reinforcement learning of the diffusion model; resumable.",
  schema: unigrpoSchema,
  inputs: { dataset: "dataset", tokens: "tokens", init: "checkpoint", classifier: "classifier", vq: "vq" },
  outputs: fixedOutputs({ checkpoint: "checkpoint" }),
  checkpoints: true,
};

export const evaluateKind: StepKindInfo = {
  name: "evaluate",
  version: "1",
  description: "Evaluate a model checkpoint on the tiny benchmarks; writes a report and generated samples.",
  schema: evaluateSchema,
  inputs: { dataset: "dataset", tokens: "tokens", checkpoint: "checkpoint", classifier: "classifier", vq: "vq" },
  outputs: fixedOutputs({ report: "file", samples: "dir" }),
};

/** The registry. The compiler takes `{ kinds }` to inject another one (tests, plugins). */
export const stepKinds: Record<string, StepKindInfo> = {
  command: commandKind,
  "prepare-data": prepareDataKind,
  "train-vq": trainVqKind,
  "tokenize-images": tokenizeImagesKind,
  "train-classifier": trainClassifierKind,
  train: trainKind,
  unigrpo: unigrpoKind,
  evaluate: evaluateKind,
};
