// The model a train step starts from, before any checkpoint of its own is resumed (the training
// loop does that, see restoreFromFolder): `init` (stage 2 from stage 1: its weights and config, a
// fresh optimizer), or a fresh model from the `model` overrides and `seed`.
import * as tf from "@tensorflow/tfjs-core";
import type { MetricPoint } from "../../contract/artifacts.ts";
import { BadInputError } from "../../contract/failures.ts";
import { makeConfig, type ModelConfig } from "../../model/config.ts";
import { AdamW } from "../../model/optim.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { createModel, type MMaDA } from "../../model/transformer.ts";
import type { CheckpointFile } from "../kit/checkpoint-folder.ts";
import { inputPath } from "../kit/inputs.ts";
import type { StepContext } from "../kit/step-context.ts";
import { loadInputModel, restoreModelCheckpoint, type ModelExtra } from "../mmada/model-io.ts";
import type { Tokens } from "../mmada/tokens-artifact.ts";
import type { TrainOptions } from "./options.ts";

export interface ModelSetup {
  model: MMaDA;
  tokenizer: CharTokenizer;
  optimizer: AdamW;
}

export async function setupModel(ctx: StepContext, o: TrainOptions, tokens: Tokens): Promise<ModelSetup> {
  const stepId = ctx.input.step.id;
  let model: MMaDA;
  let tokenizer: CharTokenizer;
  if (o.init !== undefined) {
    const loaded = await loadInputModel(inputPath(ctx, o.init, "init", "checkpoint"), "init", stepId);
    if (loaded.optimizerState) tf.dispose(Object.values(loaded.optimizerState.slots));
    const mismatch = tokensMismatch(loaded.model.config, loaded.extra, tokens);
    if (mismatch) {
      tf.dispose(Object.values(loaded.model.params));
      throw new BadInputError(`step '${stepId}': with.init ${mismatch}; train both stages on the tokens of the same tokenize-images step`);
    }
    ({ model, tokenizer } = loaded);
    ctx.log(`initialised from ${loaded.extra.stage} checkpoint (step ${loaded.step}); fresh optimizer`);
  } else {
    const config = freshConfig(o, tokens, stepId);
    model = createModel(config, new Rng(config.seed));
    tokenizer = new CharTokenizer();
  }
  return { model, tokenizer, optimizer: new AdamW(model.params, { weightDecay: o.weightDecay }) };
}

/** Continues from one of the step's own checkpoints when it belongs to this run. */
export function restoreFromFolder(f: CheckpointFile, setup: ModelSetup, o: TrainOptions, tokens: Tokens): Promise<MetricPoint[]> {
  return restoreModelCheckpoint(f.path, setup.model, setup.optimizer, (loaded) => {
    if (loaded.extra.stage !== o.stage) return `written by stage '${loaded.extra.stage}', this step trains '${o.stage}'`;
    if (loaded.step > o.steps) return `is at step ${loaded.step}, beyond this run's ${o.steps} steps`;
    return tokensMismatch(loaded.model.config, loaded.extra, tokens);
  });
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
