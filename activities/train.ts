// The `train` step kind: stages 1 and 2 of MMaDA (MMADA.md §3) as ONE loop parameterised by the
// stage block in `with` (mix, coefficients, schedule, init). It builds the mixed batch of each step
// from the dataset and the image tokens, runs model/train-loop.ts over model/loss.ts's mixed loss,
// checkpoints into ctx.checkpointDir (resuming from there first), and stores the final model.
// Step numbers in messages count completed updates: checkpoint step-M.ckpt holds the model after M.
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { initBackend } from "../model/backend.ts";
import { layoutContext } from "../model/layouts.ts";
import { mixedLoss } from "../model/loss.ts";
import { kernelsSummary } from "../model/native/index.ts";
import { maskBatch } from "../model/masking.ts";
import { Rng } from "../model/rng.ts";
import { cosineWithWarmup } from "../model/schedule.ts";
import { NonFiniteLossError, train, type StepInfo, type TrainResult } from "../model/train-loop.ts";
import { disposeModel, parameterCount } from "../model/transformer.ts";
import { cursorAt, EpochOrder, stepRng, trainingLayouts } from "./mmada/batches.ts";
import { checkpointPath, listCheckpoints, pruneCheckpoints } from "./mmada/checkpoint-folder.ts";
import { readDataset } from "./mmada/dataset.ts";
import { inputPath, inputSha } from "./mmada/inputs.ts";
import { MODEL_CHECKPOINT_KIND, saveModelCheckpoint } from "./mmada/model-io.ts";
import { LOSS_TASK, splitSources, type MixTask } from "./mmada/task-sources.ts";
import { checkTokensMatch, readTokens } from "./mmada/tokens-artifact.ts";
import { resolveTrainOptions } from "./mmada/train-options.ts";
import { setupModel } from "./mmada/train-setup.ts";
import { buildValSets, validationLoss, type ValLoss } from "./mmada/validation.ts";
import { BadInputError, PermanentError, type StepContext } from "./step-context.ts";
import type { MetricPoint, StepResult } from "./types.ts";

/** Name of the stored final model. */
const OUTPUT_FILE = "model.ckpt";
/** Hand the event loop a turn at least this often, so heartbeats and cancellation get through. */
const YIELD_EVERY_MS = 250;

export async function runTrain(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const stepId = ctx.input.step.id;
  const { options: o, parts, errors } = resolveTrainOptions(raw);
  if (errors.length > 0) throw new BadInputError(`train step '${stepId}': ${errors.join("; ")}`);
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
    const valSets = buildValSets(val.sources, tasks, o.batch, o.valBatches, o.seed, model.config.maskEps);
    const lossParts = [...new Set(tasks.map((t) => LOSS_TASK[t]))];
    const lr = cosineWithWarmup({ peakLr: o.lr.peak, minLr: o.lr.min, warmupSteps: o.lr.warmup, totalSteps: o.steps });
    const history = setup.history;
    const valLosses = setup.valLosses;
    let lastVal: ValLoss | undefined;
    let lastSaved: number | undefined = setup.resumedFrom ? setup.startStep : undefined;
    let lastYield = Date.now();
    const breathe = async () => {
      if (Date.now() - lastYield < YIELD_EVERY_MS) return;
      lastYield = Date.now();
      await new Promise((r) => setImmediate(r));
    };
    /** Validation heartbeats: one per batch, so a long validation never looks stalled. */
    const validating = (done: number) => {
      let batches = 0;
      return async () => {
        ctx.progress({ step: done, totalSteps: o.steps, message: `${o.stage}: validating at step ${done} (batch ${++batches})` });
        await breathe();
      };
    };
    ctx.log(`train '${o.stage}': ${parameterCount(model.config)} parameters, batch ${parts.map((p) => `${p.task}:${p.rows}`).join(" ")}, backend ${backend}, ${kernelsSummary(model.config.dropout > 0)}`);

    const onStep = async (info: StepInfo) => {
      const done = info.step + 1;
      if (done % o.logEvery === 0 || done === o.steps) {
        history.push({ key: "loss", value: info.loss, step: done }, { key: "lr", value: info.lr, step: done });
        for (const p of lossParts) history.push({ key: `loss.${p}`, value: info.parts[p]!, step: done });
      }
      ctx.progress({
        percent: (100 * done) / o.steps,
        step: done,
        totalSteps: o.steps,
        message: `${o.stage}: step ${done}/${o.steps} loss ${info.loss.toFixed(4)} (${Math.round(info.msPerStep)} ms/step)`,
      });
      await breathe();
    };

    const onCheckpoint = async (done: number) => {
      lastVal = await validationLoss(model, valSets, o.coefficients, validating(done));
      const file = checkpointPath(ctx.checkpointDir, done);
      await saveModelCheckpoint(file, {
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
          valLoss: lastVal.total,
          history,
        },
      });
      await ctx.checkpoint(done, file);
      lastSaved = done;
      valLosses.set(done, lastVal.total);
      await pruneCheckpoints(ctx.checkpointDir, o.keep, bestStep(valLosses));
    };

    let result: TrainResult;
    try {
      result = await train({
        params: model.params,
        lossFn: (step) => {
          const rng = stepRng(o.seed, step);
          const batch = maskBatch(trainingLayouts(step, parts, trainSrc.sources, orders, rng), rng, model.config.maskEps);
          const out = mixedLoss(model, batch, o.coefficients, { training: true, rng });
          return { total: out.total, parts: Object.fromEntries(lossParts.map((p) => [p, out.parts[p]])) };
        },
        steps: o.steps,
        startStep: setup.startStep,
        lr,
        clip: o.clip,
        optimizer,
        rng: new Rng(o.seed),
        checkpointEvery: o.checkpointEvery,
        callbacks: { onStep, onCheckpoint, shouldStop: () => ctx.signal.aborted },
      });
    } catch (err) {
      if (err instanceof NonFiniteLossError) throw divergence(stepId, err, lr(err.step), lastSaved);
      throw err;
    }
    if (result.stopped === "requested") {
      throw new Error(`train step '${stepId}' cancelled after step ${result.completedSteps}; checkpoint step-${result.completedSteps}.ckpt is kept for a resumed run`);
    }

    // Already complete when resumed from the last checkpoint: measure what the final one holds.
    lastVal ??= await validationLoss(model, valSets, o.coefficients, validating(o.steps));
    const final = (await listCheckpoints(ctx.checkpointDir)).find((f) => f.step === o.steps);
    if (!final) throw new Error(`train step '${stepId}': the final checkpoint step-${o.steps}.ckpt is missing from ${ctx.checkpointDir}`);
    const out = join(ctx.scratch, OUTPUT_FILE);
    await copyFile(final.path, out); // the folder keeps its copy for later resumes of this cache key
    const checkpoint = await ctx.store(out, "checkpoint", {
      name: OUTPUT_FILE,
      meta: { stage: o.stage, steps: o.steps, parameters: parameterCount(model.config), val_loss: lastVal.total },
    });
    ctx.progress({ percent: 100, step: o.steps, totalSteps: o.steps, message: `${o.stage}: done, val loss ${lastVal.total.toFixed(4)}` });
    // where this attempt started: 0 for a fresh start, else the checkpoint it continued from
    const resumed = { key: "resumed_from_step", value: setup.resumedFrom ? setup.startStep : 0 };
    return { artifacts: { checkpoint }, metrics: [...history, ...finalMetrics(lastVal, trainSrc.skipped, tasks), resumed] };
  } finally {
    optimizer.dispose();
    disposeModel(model);
  }
}

function bestStep(valLosses: Map<number, number>): number | undefined {
  let best: number | undefined;
  for (const [step, v] of valLosses) if (best === undefined || v < valLosses.get(best)!) best = step;
  return best;
}

function divergence(stepId: string, err: NonFiniteLossError, lr: number, lastSaved: number | undefined): PermanentError {
  const what = Number.isFinite(err.loss) ? `gradient norm is ${err.gradNorm} (loss ${err.loss.toPrecision(4)})` : `loss is ${err.loss}`;
  const kept = lastSaved === undefined ? "no checkpoint was written before it" : `the last good checkpoint step-${lastSaved}.ckpt is kept`;
  return new PermanentError("NonFiniteLoss", `${stepId}: ${what} at step ${err.step + 1} (lr=${lr.toPrecision(3)}); ${kept}; lower the learning rate (lr.peak) or raise lr.warmup`);
}

function finalMetrics(val: ValLoss, skipped: { [t in MixTask]: { count: number } }, tasks: MixTask[]): MetricPoint[] {
  const out: MetricPoint[] = [{ key: "val_loss", value: val.total }];
  for (const [task, v] of Object.entries(val.perTask)) out.push({ key: `val_loss.${task}`, value: v });
  for (const t of tasks) if (skipped[t].count > 0) out.push({ key: `skipped.${t}`, value: skipped[t].count });
  return out;
}
