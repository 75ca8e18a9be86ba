// `npm run bench:overfit`: the per-task overfit check of the main job's diagnosis (BENCHMARKS.md
// "Main job: what was wrong"). For each benchmark family a fresh default-size model trains on the
// first --examples training records of that family alone (the mix task's layout, the paper's
// masking and loss), then answers those same records with the main job's sampler settings, and as
// many test records. Memorised training records with a low test score say the data path, masking,
// loss and sampler work for that task and what the main job lacks is generalisation from its
// budget; a family that cannot even memorise would point at a broken task.
//   npm run bench:overfit -- --tokens DIR --dataset DIR --vq FILE --classifier FILE
//     [--examples 16] [--steps 300] [--lr 0.001] [--only gsm8k,t2i]
// (paths from `mmada lineage <run>`: the run's tokens, dataset, vq and classifier artifacts)
import * as tf from "@tensorflow/tfjs-core";
import { type DatasetSplit, type MixTask, type Split, type TaskRecords, type Tokens, imageCodes, readDataset, readTokens, rngFor } from "../mmada/data.ts";
import { type EvalModels, type EvalSplit, generateImages, runTextBenchmark, scoreGeneratedImages, t2iPrompt, textBenchmarkPrompts } from "../mmada/eval.ts";
import { splitSources } from "../mmada/training.ts";
import { initBackend } from "../model/backend.ts";
import { loadClassifier } from "../model/classifier.ts";
import { makeConfig, type ModelConfig } from "../model/config.ts";
import { gradientStep } from "../model/gradient-step.ts";
import { layoutContext, type LayoutContext } from "../model/layouts.ts";
import { mixedLoss } from "../model/loss.ts";
import { maskBatch } from "../model/masking.ts";
import { AdamW } from "../model/optim.ts";
import { Rng } from "../model/rng.ts";
import { cosineWithWarmup } from "../model/schedule.ts";
import { CharTokenizer } from "../model/text-tokenizer.ts";
import { createModel, disposeModel, logitsFn, type MMaDA } from "../model/transformer.ts";
import { loadVq } from "../model/vq.ts";
import { MAIN_JOB_IMAGE, MAIN_JOB_TEXT, readFlags, type TextBenchmark } from "./kit.ts";

const BATCH = 16;
type Family = TextBenchmark | "t2i";
const FAMILIES: Family[] = ["gsm8k", "mmcot", "vqa", "pope", "caption", "t2i"];

/** Which mix task trains a family, and which records of a split it holds. */
const FAMILY: Record<Family, { task: MixTask; records: (r: TaskRecords) => Partial<TaskRecords> }> = {
  gsm8k: { task: "cot", records: (r) => ({ cot: r.cot }) },
  mmcot: { task: "mmcot", records: (r) => ({ mmcot: r.mmcot }) },
  vqa: { task: "mmu", records: (r) => ({ vqa: r.vqa.filter((x) => x.kind === "digit") }) },
  pope: { task: "mmu", records: (r) => ({ vqa: r.vqa.filter((x) => x.kind === "yesno") }) },
  caption: { task: "mmu", records: (r) => ({ caption: r.caption }) },
  t2i: { task: "t2i", records: (r) => ({ t2i: r.t2i }) },
};

const flags = readFlags(process.argv.slice(2), "npm run bench:overfit -- --tokens DIR --dataset DIR --vq FILE --classifier FILE");

/** Every flag, read and checked before any work starts. */
function options() {
  const only = flags.text("--only", FAMILIES.join(",")).split(",");
  const unknown = only.filter((f) => !FAMILIES.includes(f as Family));
  if (unknown.length > 0) throw new Error(`--only ${unknown.join(",")}: families are ${FAMILIES.join(", ")}`);
  return {
    tokens: flags.text("--tokens"),
    dataset: flags.text("--dataset"),
    vq: flags.text("--vq"),
    classifier: flags.text("--classifier"),
    examples: flags.positive("--examples", "16", true),
    steps: flags.positive("--steps", "300", true),
    lr: flags.positive("--lr", "0.001", false),
    families: only as Family[],
  };
}

/** The split with only the family's first `n` records (every other task empty). */
function restrict(data: DatasetSplit, family: Family, n: number): DatasetSplit {
  const none: TaskRecords = { lm: [], cot: [], mmcot: [], caption: [], vqa: [], t2i: [] };
  const kept = Object.fromEntries(Object.entries(FAMILY[family].records(data.records)).map(([k, xs]) => [k, xs.slice(0, n)]));
  return { images: data.images, records: { ...none, ...kept } };
}

/** A fresh model trained on the family's records alone; returns it and the last loss. */
function memorise(config: ModelConfig, ctx: LayoutContext, split: DatasetSplit, tokens: Tokens, family: Family, steps: number, peak: number): { model: MMaDA; loss: number } {
  const source = splitSources(split, tokens, "train", ctx).sources[FAMILY[family].task];
  if (source.size === 0) throw new Error(`${family}: no training records fit the model's sequence`);
  const model = createModel(config, new Rng(0));
  const optimizer = new AdamW(model.params, { weightDecay: 0.01 });
  const lr = cosineWithWarmup({ peakLr: peak, minLr: peak / 10, warmupSteps: Math.min(30, steps), totalSteps: steps });
  let loss = Number.NaN;
  for (let step = 0; step < steps; step++) {
    const rng = new Rng(1000 + step);
    const layouts = Array.from({ length: BATCH }, () => source.layout(rng.int(source.size), rng));
    loss = gradientStep({
      params: model.params,
      loss: () => mixedLoss(model, maskBatch(layouts, rng, config.maskEps), { t2i: 1, lm: 1, mmu: 1 }).total,
      optimizer,
      lr: lr(step),
      step,
    }).loss;
  }
  optimizer.dispose();
  return { model, loss };
}

interface Scorers {
  vq: Awaited<ReturnType<typeof loadVq>>;
  classifier: Awaited<ReturnType<typeof loadClassifier>>;
}

interface Answered {
  accuracy: number;
  count: number;
  /** One answer, for the table. */
  sample: string;
}

/** Accuracy on the family's records of `split` (all of them: the caller restricts it). */
async function answer(m: EvalModels, family: Family, split: DatasetSplit, splitName: Split, tokens: Tokens, n: number): Promise<Answered> {
  const evalSplit: EvalSplit = { data: split, codes: (i) => imageCodes(tokens, splitName, i) };
  if (family === "t2i") {
    const records = split.records.t2i.slice(0, n);
    const labels = records.map((r) => split.images.labels[r.image]!);
    const prompts = records.map((r, i) => t2iPrompt(m.layout, r.caption, labels[i]!));
    const gen = await generateImages(m.logits, prompts.map((p) => p.layout), m.layout, MAIN_JOB_IMAGE, { rng: rngFor(0, "overfit/t2i"), maxBatch: m.maxBatch });
    const score = scoreGeneratedImages(m.vq, m.classifier, gen.codes, labels);
    const right = labels.filter((c, i) => score.predicted[i] === c).length;
    return { accuracy: right / labels.length, count: labels.length, sample: `"${records[0]?.caption}" drawn as ${score.predicted[0]}` };
  }
  const sizes = { gsm8k: 0, mmcot: 0, vqa: 0, pope: 0, caption: 0, [family]: n };
  const prompts = textBenchmarkPrompts(m.layout, evalSplit, sizes)[family];
  const r = await runTextBenchmark(m, `overfit/${family}`, prompts, MAIN_JOB_TEXT[family], 0);
  const s = r.samples[0];
  return { accuracy: r.accuracy, count: r.count, sample: s ? `"${s.question}" -> "${s.generated}" (expected "${s.expected}")` : "" };
}

async function main(): Promise<void> {
  const o = options();
  console.log(`backend ${await initBackend()}`);
  const tokens = await readTokens(o.tokens);
  const dataset = await readDataset(o.dataset);
  const scorers: Scorers = { vq: await loadVq(o.vq), classifier: await loadClassifier(o.classifier) };
  const tok = new CharTokenizer();
  const config = makeConfig({ textVocabSize: tok.vocabSize, codebookSize: tokens.meta.codebookSize, gridH: tokens.meta.gridH, gridW: tokens.meta.gridW, seed: 0 });
  const ctx = layoutContext(config, tok);
  console.log(`a fresh model per family, ${o.steps} steps of batch ${BATCH} on the first ${o.examples} training records, peak lr ${o.lr}`);
  console.log("| family | final training loss | memorised (training records) | test records | a memorised answer |");
  console.log("|---|---:|---:|---:|---|");
  for (const family of o.families) {
    const t0 = performance.now();
    const train = restrict(dataset.splits.train, family, o.examples);
    const { model, loss } = memorise(config, ctx, train, tokens, family, o.steps, o.lr);
    const m: EvalModels = { logits: logitsFn(model), layout: ctx, vq: scorers.vq, classifier: scorers.classifier, maxBatch: 64 };
    let seen: Answered, unseen: Answered;
    try {
      seen = await answer(m, family, train, "train", tokens, o.examples);
      unseen = await answer(m, family, restrict(dataset.splits.test, family, o.examples), "test", tokens, o.examples);
    } finally {
      disposeModel(model);
    }
    const acc = (r: { accuracy: number; count: number }) => `${r.accuracy.toFixed(2)} (${Math.round(r.accuracy * r.count)}/${r.count})`;
    console.log(`| ${family} | ${loss.toFixed(3)} | ${acc(seen)} | ${acc(unseen)} | ${seen.sample} |`);
    console.error(`  ${family}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  tf.dispose([...Object.values(scorers.vq.params), ...Object.values(scorers.classifier.params)]);
}

try {
  await main();
} catch (err) {
  console.error(`bench:overfit: ${(err as Error).message}`);
  process.exitCode = 1;
}
