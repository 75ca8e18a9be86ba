// Where a train step starts from, in this order:
//   1. the newest valid checkpoint in ctx.checkpointDir (a retry, another worker, a resumed run):
//      weights, optimizer, step and metric history, so the run continues where it stopped;
//   2. `init` (stage 2 from stage 1): its weights and config, a fresh optimizer;
//   3. a fresh model from `model` overrides and `seed`.
import * as tf from "@tensorflow/tfjs-core";
import { configDiff, readCheckpointHeader } from "../../model/checkpoint.ts";
import { makeConfig, type ModelConfig } from "../../model/config.ts";
import { AdamW } from "../../model/optim.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { createModel, type MMaDA } from "../../model/transformer.ts";
import { BadInputError } from "../../contract/failures.ts";
import { type StepContext } from "../kit/step-context.ts";
import type { MetricPoint } from "../../contract/artifacts.ts";
import { listCheckpoints, newestValid } from "../kit/checkpoint-folder.ts";
import { inputPath } from "../kit/inputs.ts";
import { loadInputModel, loadModelCheckpoint, type LoadedModel, type ModelExtra } from "../mmada/model-io.ts";
import type { Tokens } from "../mmada/tokens-artifact.ts";
import type { TrainOptions } from "./options.ts";

export interface ModelSetup {
  model: MMaDA;
  tokenizer: CharTokenizer;
  optimizer: AdamW;
  /** Completed steps to continue from (0 unless resumed). */
  startStep: number;
  history: MetricPoint[];
  /** Validation loss of each checkpoint already in the folder (to keep the best). */
  valLosses: Map<number, number>;
  /** The checkpoint file resumed from, if any. */
  resumedFrom?: string;
}

export async function setupModel(ctx: StepContext, o: TrainOptions, tokens: Tokens): Promise<ModelSetup> {
  const stepId = ctx.input.step.id;
  const fresh = o.init === undefined ? freshConfig(o, tokens, stepId) : undefined;
  const resumed = await newestValid(ctx.checkpointDir, async (f) => {
    const loaded = await loadModelCheckpoint(f.path);
    const problem = resumeProblem(loaded, o, tokens, fresh);
    if (problem) {
      tf.dispose([...Object.values(loaded.model.params), ...Object.values(loaded.optimizerState?.slots ?? {})]);
      throw new Error(problem);
    }
    return loaded;
  }, ctx.log);

  const valLosses = await knownValLosses(ctx.checkpointDir);
  if (resumed) {
    const { model, tokenizer, optimizerState, extra } = resumed.value;
    const optimizer = new AdamW(model.params, { weightDecay: o.weightDecay });
    if (optimizerState) {
      optimizer.setState(optimizerState);
      tf.dispose(Object.values(optimizerState.slots));
    }
    ctx.log(`resuming from ${resumed.path} (step ${resumed.step} of ${o.steps})`);
    return { model, tokenizer, optimizer, startStep: resumed.step, history: [...extra.history], valLosses, resumedFrom: resumed.path };
  }

  let model: MMaDA;
  let tokenizer: CharTokenizer;
  if (o.init !== undefined) {
    const loaded = await loadInputModel(inputPath(ctx, o.init, "init", "checkpoint"), "init", stepId);
    const mismatch = tokensMismatch(loaded.model.config, loaded.extra, tokens);
    if (mismatch) {
      tf.dispose(Object.values(loaded.model.params));
      throw new BadInputError(`step '${stepId}': with.init ${mismatch}; train both stages on the tokens of the same tokenize-images step`);
    }
    if (loaded.optimizerState) tf.dispose(Object.values(loaded.optimizerState.slots));
    ({ model, tokenizer } = loaded);
    ctx.log(`initialised from ${loaded.extra.stage} checkpoint (step ${loaded.step}); fresh optimizer`);
  } else {
    model = createModel(fresh!, new Rng(fresh!.seed));
    tokenizer = new CharTokenizer();
  }
  return { model, tokenizer, optimizer: new AdamW(model.params, { weightDecay: o.weightDecay }), startStep: 0, history: [], valLosses };
}

/** The config of a fresh model: `model` overrides on the defaults, sizes from tokenizer and tokens. */
function freshConfig(o: TrainOptions, tokens: Tokens, stepId: string): ModelConfig {
  try {
    return makeConfig({
      ...o.model,
      textVocabSize: new CharTokenizer().vocabSize,
      codebookSize: tokens.meta.codebookSize,
      gridH: tokens.meta.gridH,
      gridW: tokens.meta.gridW,
      seed: o.seed,
    });
  } catch (err) {
    throw new BadInputError(`step '${stepId}': with.model: ${(err as Error).message}`);
  }
}

/** Why an image-token checkpoint cannot train on `tokens`, or undefined. */
function tokensMismatch(config: ModelConfig, extra: ModelExtra, tokens: Tokens): string | undefined {
  const m = tokens.meta;
  if (config.codebookSize !== m.codebookSize || config.gridH !== m.gridH || config.gridW !== m.gridW) {
    return `has image codebook ${config.codebookSize} on a ${config.gridH}x${config.gridW} grid, the tokens have ${m.codebookSize} on ${m.gridH}x${m.gridW}`;
  }
  if (extra.vqSha256 !== m.vqSha256) return `was trained on codes of VQ ${extra.vqSha256.slice(0, 12)}, the tokens come from VQ ${m.vqSha256.slice(0, 12)}`;
  return undefined;
}

/** Why a checkpoint in the folder is not this run's, or undefined (then it is resumed). */
function resumeProblem(loaded: LoadedModel, o: TrainOptions, tokens: Tokens, fresh: ModelConfig | undefined): string | undefined {
  if (loaded.extra.stage !== o.stage) return `written by stage '${loaded.extra.stage}', this step trains '${o.stage}'`;
  if (!loaded.optimizerState) return "holds no optimizer state";
  if (loaded.step > o.steps) return `is at step ${loaded.step}, beyond this run's ${o.steps} steps`;
  const mismatch = tokensMismatch(loaded.model.config, loaded.extra, tokens);
  if (mismatch) return mismatch;
  const diffs = fresh ? configDiff(fresh, loaded.model.config) : [];
  return diffs.length > 0 ? `model config differs (${diffs.slice(0, 3).join("; ")})` : undefined;
}

/** Validation losses recorded in the folder's checkpoint headers (unreadable files are skipped). */
async function knownValLosses(dir: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const f of await listCheckpoints(dir)) {
    const header = await readCheckpointHeader(f.path).catch(() => undefined);
    const v = (header?.extra as Partial<ModelExtra> | undefined)?.valLoss;
    if (typeof v === "number") out.set(f.step, v);
  }
  return out;
}
