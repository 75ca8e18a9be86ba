// MMaDA model checkpoints as the step kinds read and write them (docs/mmada.md §3): model/checkpoint.ts
// (one verified file: weights + optimizer + step + rng + config) with the extras a later step needs
// to use the model on its own: the text tokenizer, the image-token facts (which VQ made the codes), the
// stage that produced it, the data cursor and the metric history (so a resumed run reports the
// whole curve). train writes these; train (init), unigrpo and evaluate read them.
import * as tf from "@tensorflow/tfjs-core";
import { basename } from "node:path";
import { CheckpointError, configDiff, loadCheckpoint, saveCheckpoint } from "../../model/checkpoint.ts";
import { type ModelConfig, validateConfig } from "../../model/config.ts";
import type { OptimizerState } from "../../model/optim.ts";
import type { Rng, RngState } from "../../model/rng.ts";
import { CharTokenizer, type TokenizerJSON } from "../../model/text-tokenizer.ts";
import { type MMaDA, paramShapes } from "../../model/transformer.ts";
import type { Params } from "../../model/ops.ts";
import { BadInputError } from "../../contract/failures.ts";
import type { MetricPoint } from "../../contract/step-io.ts";

export const MODEL_CHECKPOINT_KIND = "mmada";
/** The file name of a model checkpoint output (train, unigrpo): `checkpoint` artifacts hold one. */
export const MODEL_FILE = "model.ckpt";

/** What a model checkpoint carries besides tensors, config, step and rng. */
export interface ModelExtra {
  kind: typeof MODEL_CHECKPOINT_KIND;
  /** Stage name of the `train` step that wrote it (e.g. "pretrain", "cot-sft"). */
  stage: string;
  tokenizer: TokenizerJSON;
  /** The VQ tokenizer whose codes the image ids stand for (decode generated images with it). */
  vqSha256: string;
  /** Next record position per mix task (informational: the order is a function of seed and step). */
  cursor: Record<string, number>;
  /** Mixed validation loss at this step, when it was measured (picks the best checkpoint). */
  valLoss?: number;
  /** Metric points logged up to this step. */
  history: MetricPoint[];
}

export interface SaveModelInput {
  model: MMaDA;
  optimizer?: { getState(): OptimizerState };
  step: number;
  rng?: Rng;
  extra: ModelExtra;
}

export async function saveModelCheckpoint(path: string, input: SaveModelInput): Promise<{ sha256: string; size: number }> {
  return saveCheckpoint(path, {
    config: input.model.config,
    params: input.model.params,
    optimizer: input.optimizer,
    step: input.step,
    rng: input.rng,
    extra: input.extra as unknown as Record<string, unknown>,
  });
}

export interface LoadedModel {
  model: MMaDA;
  tokenizer: CharTokenizer;
  extra: ModelExtra;
  step: number;
  optimizerState: OptimizerState | undefined;
  rngState: RngState | undefined;
}

/** Loads and verifies a model checkpoint; throws CheckpointError (damaged file) or Error (not a
 *  model checkpoint). The caller owns the model's variables and the optimizer state tensors. */
export async function loadModelCheckpoint(path: string): Promise<LoadedModel> {
  const ckpt = await loadCheckpoint<ModelConfig>(path);
  const extra = ckpt.extra as unknown as ModelExtra;
  const owned = [...Object.values(ckpt.tensors), ...Object.values(ckpt.optimizerState?.slots ?? {})];
  try {
    if (extra.kind !== MODEL_CHECKPOINT_KIND) {
      throw new CheckpointError("CONFIG_MISMATCH", path, `is a '${String(extra.kind)}' checkpoint, not an MMaDA model; pass the checkpoint output of a train or unigrpo step`);
    }
    const errors = validateConfig(ckpt.config);
    if (errors.length > 0) throw new CheckpointError("CONFIG_MISMATCH", path, `holds an invalid model config (${errors.join("; ")})`);
    const tokenizer = CharTokenizer.fromJSON(extra.tokenizer);
    const params = paramsFromTensors(ckpt.config, ckpt.tensors, path);
    return { model: { config: ckpt.config, params }, tokenizer, extra, step: ckpt.step, optimizerState: ckpt.optimizerState, rngState: ckpt.rngState };
  } catch (err) {
    tf.dispose(owned);
    throw err;
  }
}

/** loadModelCheckpoint for a user-given file (`init`, `checkpoint`): any problem is a BadInputError
 *  naming the field and the file, since retrying cannot fix a damaged input. */
export async function loadInputModel(path: string, field: string, stepId: string): Promise<LoadedModel> {
  try {
    return await loadModelCheckpoint(path);
  } catch (err) {
    const why = err instanceof CheckpointError ? `${err.code}: ${err.message}` : (err as Error).message;
    throw new BadInputError(
      `step '${stepId}': with.${field} (${basename(path)}) cannot be used as a model checkpoint: ${why}. ` +
        "Re-run the step that produced it, or point it at another checkpoint",
    );
  }
}

/** Model variables from loaded tensors, checked name by name and shape by shape against the config. */
function paramsFromTensors(config: ModelConfig, tensors: Record<string, tf.Tensor>, path: string): Params {
  const shapes = paramShapes(config);
  const problems: string[] = [];
  for (const [name, shape] of shapes) {
    const t = tensors[name];
    if (!t) problems.push(`missing "${name}"`);
    else if (!tf.util.arraysEqual(t.shape, shape)) problems.push(`"${name}" is [${t.shape}], the config needs [${shape}]`);
  }
  const known = new Set(shapes.map(([n]) => n));
  const unknown = Object.keys(tensors).filter((k) => !known.has(k));
  if (unknown.length > 0) problems.push(`unknown tensors ${unknown.slice(0, 5).join(", ")}`);
  if (problems.length > 0) throw new CheckpointError("CONFIG_MISMATCH", path, `weights do not match its config (${problems.slice(0, 5).join("; ")})`);
  const params: Params = {};
  for (const [name] of shapes) {
    params[name] = tf.variable(tensors[name]!, true);
    tensors[name]!.dispose();
  }
  return params;
}

/**
 * Continues a run from one of its own checkpoints: loads `path`, asks `problem` whether it fits this
 * run (a string says why not: the loop then tries an older one), and copies its weights and
 * optimizer state into `model` and `optimizer`. Returns the checkpoint's metric history.
 */
export async function restoreModelCheckpoint(
  path: string,
  model: MMaDA,
  optimizer: { setState(s: OptimizerState): void },
  problem: (loaded: LoadedModel) => string | undefined,
): Promise<MetricPoint[]> {
  const loaded = await loadModelCheckpoint(path);
  try {
    const why = problem(loaded) ?? (!loaded.optimizerState ? "holds no optimizer state" : configMismatch(model.config, loaded.model.config));
    if (why) throw new Error(why);
    for (const [name, v] of Object.entries(model.params)) v.assign(loaded.model.params[name]!);
    optimizer.setState(loaded.optimizerState!);
    return [...loaded.extra.history];
  } finally {
    tf.dispose([...Object.values(loaded.model.params), ...Object.values(loaded.optimizerState?.slots ?? {})]);
  }
}

function configMismatch(expected: ModelConfig, actual: ModelConfig): string | undefined {
  const diffs = configDiff(expected, actual);
  return diffs.length > 0 ? `model config differs (${diffs.slice(0, 3).join("; ")})` : undefined;
}
