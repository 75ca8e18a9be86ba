// The `train` step kind: stages 1 and 2 of MMaDA (docs/mmada.md §3) as ONE kind parameterised by the
// stage block in `with` (mix, coefficients, schedule, init). Each step builds the mixed batch from
// the dataset and the image tokens and takes one gradient step on model/loss.ts's mixed loss; the
// shared training loop (kit/training-loop.ts) resumes, checkpoints, cancels and reports. The final
// model is stored as the step's `checkpoint` output.
// Step numbers in messages count completed updates: checkpoint step-M.ckpt holds the model after M.
import type { MetricPoint, StepResult } from "../../contract/step-io.ts";
import { BadInputError } from "../../contract/failures.ts";
import { initBackend } from "../../model/backend.ts";
import { layoutContext } from "../../model/layouts.ts";
import { mixedLoss } from "../../model/loss.ts";
import { kernelsSummary } from "../../model/native/index.ts";
import { maskBatch } from "../../model/masking.ts";
import { Rng } from "../../model/rng.ts";
import { cosineWithWarmup } from "../../model/schedule.ts";
import { gradientStep } from "../../model/gradient-step.ts";
import { createModel, disposeModel, type MMaDA, parameterCount } from "../../model/transformer.ts";
import { inputPath, inputSha, type StepContext, stepOptions } from "../kit/step-context.ts";
import { type CheckpointFile, rungResult, storeFinalCheckpoint, trainResumably } from "../kit/training-loop.ts";
import { buildValSets, cursorAt, EpochOrder, loadInputModel, MODEL_CHECKPOINT_KIND, MODEL_FILE, type ModelExtra, restoreModelCheckpoint, saveModelCheckpoint, splitSources, trainingLayouts, validationLoss, type ValLoss } from "../../mmada/training.ts";
import { checkTokensMatch, initRng, LOSS_TASK, type MixTask, readDataset, readTokens, stepRng, type Tokens } from "../../mmada/data.ts";
import { batchParts, checkTrain, type TrainOptions } from "./kind.ts";
import * as tf from "@tensorflow/tfjs-core";
import { makeConfig, type ModelConfig } from "../../model/config.ts";
import { AdamW } from "../../model/optim.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";

export async function run(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const stepId = ctx.input.step.id;
  const o = stepOptions<TrainOptions>(ctx, raw, checkTrain);
  const parts = batchParts(o);
  const backend = await initBackend();

  ctx.progress({ percent: 0, step: 0, totalSteps: o.steps, message: "reading data" });
  const dataset = await readDataset(inputPath(ctx, o.dataset, "dataset", "dataset"));
  const tokens = await readTokens(inputPath(ctx, o.tokens, "tokens", "tokens"));
  checkTokensMatch(tokens, dataset, stepId, inputSha(o.dataset));

  const setup = await setupModel(ctx, o, tokens);
  const { model, tokenizer, optimizer } = setup;
  try {
    const lctx = layoutContext(model.config, tokenizer);
    const trainSrc = splitSources(dataset.splits.train, tokens, "train", lctx);
    const val = splitSources(dataset.splits.val, tokens, "val", lctx);
    const tasks = parts.map((p) => p.task);
    for (const t of tasks) {
      const s = trainSrc.skipped[t];
      if (s.count > 0) ctx.log(`train: skipped ${s.count} ${t} record(s) that do not fit the model (e.g. ${s.examples[0]})`);
      if (trainSrc.sources[t].size === 0) {
        throw new BadInputError(
          `train step '${stepId}': mix.${t} is ${o.mix[t]} but the dataset has no usable ${t} training records` +
            (s.count > 0 ? ` (${s.count} skipped: ${s.examples[0]}); raise model.textLength or shorten the records` : "; add them in prepare-data or set mix." + t + " to 0"),
        );
      }
    }
    const orders = Object.fromEntries(tasks.map((t) => [t, new EpochOrder(o.seed, t, trainSrc.sources[t].size)])) as { [t in MixTask]?: EpochOrder };
    const valSets = buildValSets(val.sources, tasks, o.batch, o.valBatches, o.seed, model.config.maskEps, o.chatSlice);
    const lossParts = [...new Set(tasks.map((t) => LOSS_TASK[t]))];
    const lr = cosineWithWarmup({ peakLr: o.lr.peak, minLr: o.lr.min, warmupSteps: o.lr.warmup, totalSteps: o.steps });
    let lastVal: ValLoss | undefined;
    /** Validation heartbeats: one per batch, so a long validation never looks stalled. */
    const validate = async (done: number): Promise<ValLoss> => {
      let batches = 0;
      lastVal = await validationLoss(model, valSets, o.coefficients, async () => {
        ctx.progress({ step: done, totalSteps: o.steps, message: `${o.stage}: validating at step ${done} (batch ${++batches})` });
        await new Promise((r) => setImmediate(r));
      });
      return lastVal;
    };
    ctx.log(`train '${o.stage}': ${parameterCount(model.config)} parameters, batch ${parts.map((p) => `${p.task}:${p.rows}`).join(" ")}, backend ${backend}, ${kernelsSummary(model.config.dropout > 0)}`);

    const result = await trainResumably(ctx, {
      steps: o.steps,
      lrAt: lr,
      divergenceHint: "lower the learning rate (lr.peak) or raise lr.warmup",
      step(step) {
        const info = gradientStep({
          params: model.params,
          loss: () => {
            const rng = stepRng(o.seed, step);
            const batch = maskBatch(trainingLayouts(step, parts, trainSrc.sources, orders, rng), rng, model.config.maskEps, { chatSlice: o.chatSlice });
            const out = mixedLoss(model, batch, o.coefficients, { training: true, rng });
            return { total: out.total, parts: Object.fromEntries(lossParts.map((p) => [p, out.parts[p]!])) };
          },
          optimizer,
          lr: lr(step),
          clip: o.clip,
          step,
        });
        const done = step + 1;
        const logged = done % o.logEvery === 0 || done === o.steps;
        const metrics: MetricPoint[] = logged
          ? [{ key: "loss", value: info.loss, step: done }, { key: "lr", value: info.lr, step: done }, ...lossParts.map((p) => ({ key: `loss.${p}`, value: info.parts[p]!, step: done }))]
          : [];
        return { loss: info.loss, metrics, message: `${o.stage}: step ${done}/${o.steps} loss ${info.loss.toFixed(4)} (${Math.round(info.msPerStep)} ms/step)` };
      },
      checkpoints: {
        every: o.checkpointEvery,
        keep: o.keep,
        restore: (f) => restoreFromFolder(f, setup, o, tokens),
        async score(done) {
          const v = await validate(done);
          const perTask = Object.entries(v.perTask).map(([t, x]) => ({ key: `val_loss.${t}`, value: x!, step: done }));
          return { value: v.total, metrics: [{ key: "val_loss", value: v.total, step: done }, ...perTask] };
        },
        async save(file, done, history, valLoss) {
          return saveModelCheckpoint(file, {
            model,
            optimizer,
            step: done,
            rng: new Rng(o.seed), // the data and masks of step s come from (seed, s); nothing to carry
            extra: {
              kind: MODEL_CHECKPOINT_KIND,
              stage: o.stage,
              tokenizer: tokenizer.toJSON(),
              vqSha256: tokens.meta.vqSha256,
              cursor: cursorAt(done, parts),
              ...(valLoss === undefined ? {} : { valLoss }),
              history,
            },
          });
        },
      },
    });

    const atRung = rungResult(result, o.steps);
    if (atRung) return atRung;
    // Already complete when resumed from the last checkpoint: measure what the final one holds.
    const finalVal = lastVal ?? (await validate(o.steps));
    const checkpoint = await storeFinalCheckpoint(ctx, result, MODEL_FILE, { stage: o.stage, steps: o.steps, parameters: parameterCount(model.config), val_loss: finalVal.total });
    ctx.progress({ percent: 100, step: o.steps, totalSteps: o.steps, message: `${o.stage}: done, val loss ${finalVal.total.toFixed(4)}` });
    // where this attempt started: 0 for a fresh start, else the checkpoint it continued from
    const resumed = { key: "resumed_from_step", value: result.startStep };
    return { artifacts: { checkpoint }, metrics: [...result.history, ...finalMetrics(finalVal, trainSrc.skipped, tasks), resumed] };
  } finally {
    optimizer.dispose();
    disposeModel(model);
  }
}

function finalMetrics(val: ValLoss, skipped: { [t in MixTask]: { count: number } }, tasks: MixTask[]): MetricPoint[] {
  const out: MetricPoint[] = [{ key: "val_loss", value: val.total }];
  for (const [task, v] of Object.entries(val.perTask)) out.push({ key: `val_loss.${task}`, value: v });
  for (const t of tasks) if (skipped[t].count > 0) out.push({ key: `skipped.${t}`, value: skipped[t].count });
  return out;
}

// The model a train step starts from, before any checkpoint of its own is resumed (the training
// loop does that, see restoreFromFolder): `init` (stage 2 from stage 1: its weights and config, a
// fresh optimizer), or a fresh model from the `model` overrides and `seed`.

export interface ModelSetup {
  model: MMaDA;
  tokenizer: CharTokenizer;
  optimizer: AdamW;
}

async function setupModel(ctx: StepContext, o: TrainOptions, tokens: Tokens): Promise<ModelSetup> {
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
    model = createModel(config, initRng(config.seed));
    tokenizer = new CharTokenizer();
  }
  return { model, tokenizer, optimizer: new AdamW(model.params, { weightDecay: o.weightDecay }) };
}

/** Continues from one of the step's own checkpoints when it belongs to this run. */
function restoreFromFolder(f: CheckpointFile, setup: ModelSetup, o: TrainOptions, tokens: Tokens): Promise<MetricPoint[]> {
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
