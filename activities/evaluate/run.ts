// The `evaluate` step kind: the tiny benchmark suite of docs/mmada.md §6 on one model checkpoint.
// Text benchmarks generate with the semi-autoregressive sampler and score exact answers; text_nll
// scores masked held-out passages; geneval generates digits with MaskGIT + CFG and lets the frozen
// classifier judge them. Outputs: `report` (metrics, config, sample answers) and `samples` (a PNG
// grid of the generated digits, one row per class, and the classifier's predictions).
import * as tf from "@tensorflow/tfjs-core";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { initBackend } from "../../model/backend.ts";
import { layoutContext } from "../../model/layouts.ts";
import { disposeModel, logitsFn } from "../../model/transformer.ts";
import { checkImageGrid, checkVqLineage, disposeScorers, type EvalModels, type EvalSplit, type ItemResult, loadJudge, loadScorers, nllTexts, pngGrid, runGeneval, runTextBenchmark, runTextNll, samplingOf, type Scorers, textBenchmarkPrompts, type TextSample } from "../../mmada/eval.ts";
import { DIGIT_NAMES, IMAGE_SIDE, imageCodes, readDatasetSplit, readManifest, readSplitRecords, readTokens, TEXT_BENCHMARKS } from "../../mmada/data.ts";
import { loadInputModel } from "../../mmada/training.ts";
import type { Classifier } from "../../model/classifier.ts";
import { beat, inputPath, inputSha, type StepContext, stepOptions } from "../kit/step-context.ts";
import { checkEvaluate, type EvaluateOptions } from "./kind.ts";
import type { MetricPoint, StepResult } from "../../contract/step-io.ts";

export const GRID_FILE = "geneval-grid.png";
export const PREDICTIONS_FILE = "predictions.json";

export async function run(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const w = stepOptions<EvaluateOptions>(ctx, raw, checkEvaluate);
  const stepId = ctx.input.step.id;
  const started = Date.now();
  await initBackend();
  const datasetDir = inputPath(ctx, w.dataset, "dataset", "dataset");
  const manifest = await readManifest(datasetDir);
  const data = await readDatasetSplit(datasetDir, w.split, manifest);
  const tokens = await readTokens(inputPath(ctx, w.tokens, "tokens", "tokens"));
  const loaded = await loadInputModel(inputPath(ctx, w.checkpoint, "checkpoint", "checkpoint"), "checkpoint", stepId);
  if (loaded.optimizerState) tf.dispose(Object.values(loaded.optimizerState.slots)); // evaluation needs the weights only
  let scorers: Scorers;
  let judge2: Classifier | undefined;
  try {
    scorers = await loadScorers(stepId, { vq: inputPath(ctx, w.vq, "vq", "vq"), classifier: inputPath(ctx, w.classifier, "classifier", "classifier") });
    if (w.judge2 !== undefined) judge2 = await loadJudge(stepId, inputPath(ctx, w.judge2, "judge2", "classifier"), scorers.vq);
  } catch (err) {
    disposeModel(loaded.model);
    throw err;
  }
  try {
    const config = loaded.model.config;
    checkImageGrid(stepId, config, tokens.meta, scorers.vq);
    checkVqLineage(stepId, "checkpoint", loaded.extra.vqSha256, tokens.meta.vqSha256, inputSha(w.vq));
    const m: EvalModels = {
      logits: logitsFn(loaded.model),
      layout: layoutContext(config, loaded.tokenizer),
      vq: scorers.vq,
      classifier: scorers.classifier,
      maxBatch: w.maxBatch,
    };
    const split: EvalSplit = { data, codes: (i) => imageCodes(tokens, w.split, i) };
    const image = samplingOf(w.sampler).image;

    const metrics: MetricPoint[] = [];
    const samples: Record<string, TextSample[]> = {};
    const counts: Record<string, number> = {};
    const skipped: string[] = [];
    const seconds: Record<string, number> = {};
    const total = 7;
    let done = 0;
    const bench = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      if (ctx.signal.aborted) throw new Error(`evaluate (step '${stepId}') cancelled before ${name}`);
      await beat(ctx, { percent: (100 * done) / total, step: done, totalSteps: total, message: `running ${name}` });
      const t0 = Date.now();
      const out = await fn();
      seconds[name] = (Date.now() - t0) / 1000;
      done++;
      return out;
    };
    const items: Record<string, { ids: string[]; correct: boolean[] }> = {};
    const record = (key: string, value: number, count: number, perItem?: ItemResult[]) => {
      counts[key] = count;
      if (count > 0 && Number.isFinite(value)) {
        metrics.push({ key, value });
        // every accuracy with the number of items it was measured on (the UI's Wilson intervals)
        if (key.endsWith(ACCURACY_SUFFIX)) metrics.push({ key: `${key.slice(0, -ACCURACY_SUFFIX.length)}_n`, value: count });
      } else skipped.push(`${key}: no ${w.split} records to ask (or none fit the model's text length)`);
      if (perItem) items[key] = { ids: perItem.map((x) => x.id), correct: perItem.map((x) => x.correct) };
    };

    const prompts = textBenchmarkPrompts(m.layout, split, w.samples);
    for (const name of TEXT_BENCHMARKS) {
      const r = await bench(name, () => runTextBenchmark(m, name, prompts[name], samplingOf(w.sampler, name).text, w.seed));
      record(`${name}_acc`, r.accuracy, r.count, r.items);
      samples[name] = r.samples;
    }
    // Held-out arithmetic must be unseen: how many asked questions also appear in the train split (0 by construction).
    if (prompts.gsm8k.length > 0) {
      const train = new Set((await readSplitRecords(datasetDir, "train", "cot", manifest)).map((r) => r.question));
      metrics.push({ key: "gsm8k_train_overlap", value: prompts.gsm8k.filter((p) => train.has(p.question)).length });
    }
    const texts = nllTexts(m.layout, split, w.samples.textNll);
    const nll = await bench("text_nll", () => runTextNll(m, texts, w.seed));
    record("text_nll", nll.nll, texts.length);
    const gen = await bench("geneval", () => runGeneval(m, w.samples.genevalPerClass, image, w.seed, judge2));
    record("geneval_acc", gen.accuracy, gen.classes.length, gen.items);
    if (gen.judge2) record("geneval_judge2_acc", gen.judge2.accuracy, gen.classes.length, gen.judge2.items);
    record("clip_score", gen.clipScore, gen.classes.length);
    record("imagereward_score", gen.imageReward, gen.classes.length);
    ctx.progress({ percent: 100, step: total, totalSteps: total, message: metrics.map((p) => `${p.key}=${p.value.toFixed(3)}`).join(" ") });

    // Outputs: the report and the samples folder.
    const report = {
      checkpoint: { sha256: inputSha(w.checkpoint), stage: loaded.extra.stage, step: loaded.step },
      split: w.split,
      metrics: Object.fromEntries(metrics.map((p) => [p.key, p.value])),
      counts,
      items,
      skipped,
      textNllByRatio: nll.byRatio,
      config: { samples: w.samples, sampler: w.sampler, seed: w.seed, maxBatch: w.maxBatch, model: config },
      samples,
      seconds,
    };
    const reportFile = join(ctx.scratch, "report.json");
    await writeFile(reportFile, `${JSON.stringify(report, null, 2)}\n`);
    const samplesDir = join(ctx.scratch, "samples");
    await mkdir(samplesDir, { recursive: true });
    if (gen.classes.length > 0) {
      await writeFile(join(samplesDir, GRID_FILE), pngGrid(gen.images, IMAGE_SIDE, DIGIT_NAMES.length, w.samples.genevalPerClass));
    }
    const predictions = gen.classes.map((c, i) => ({
      prompted: c, prompt: DIGIT_NAMES[c], predicted: gen.predicted[i], clip: gen.clip[i], confidence: gen.confidence[i], margin: gen.margin[i],
      ...(gen.judge2 ? { judge2: gen.judge2.predicted[i] } : {}),
    }));
    await writeFile(join(samplesDir, PREDICTIONS_FILE), `${JSON.stringify(predictions, null, 2)}\n`);
    metrics.push({ key: "eval_seconds", value: (Date.now() - started) / 1000 });
    return {
      artifacts: {
        report: await ctx.store(reportFile, "file", { meta: { metrics: metrics.length } }),
        samples: await ctx.store(samplesDir, "dir", { meta: { images: gen.classes.length } }),
      },
      metrics,
    };
  } finally {
    disposeModel(loaded.model);
    disposeScorers(scorers);
    if (judge2) tf.dispose(Object.values(judge2.params));
  }
}

const ACCURACY_SUFFIX = "_acc";
