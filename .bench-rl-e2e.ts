// temporary measurement script (not part of the repo)
import { makeContext, makeWorkspace } from "./test/kinds/helpers.ts";
import { prepareData } from "./activities/prepare-data.ts";
import { runTrainVq } from "./activities/train-vq.ts";
import { runTokenizeImages } from "./activities/tokenize-images.ts";
import { runTrainClassifier } from "./activities/train-classifier.ts";
import { runTrain } from "./activities/train.ts";
import { runUnigrpo } from "./activities/unigrpo.ts";
import { runEvaluate } from "./activities/evaluate.ts";
const ws = await makeWorkspace();
const t = () => performance.now();
let t0 = t();
const step = async (name: string, uses: string, fn: any, w: any) => {
  const ctx = await makeContext(ws, name, uses);
  t0 = t();
  const r = await fn(ctx, w);
  console.log(`${name}: ${((t() - t0) / 1000).toFixed(1)} s`, JSON.stringify(r.metrics.filter((m: any) => m.step === undefined).slice(0, 12)));
  if (uses === "unigrpo") console.log(ctx.progressCalls.map((p: any) => p.message).filter((m: string) => /reward/.test(m)).join("\n"));
  return r;
};
const d = await step("data", "prepare-data", prepareData, { digits: { train: 3000, val: 300, test: 300 }, counts: { lm: { train: 2000, val: 50, test: 100 }, cot: { train: 2000, val: 50, test: 100 }, mmcot: { train: 2000, val: 50, test: 100 }, caption: { train: 2000, val: 50, test: 100 }, vqa: { train: 2000, val: 50, test: 100 }, t2i: { train: 2000, val: 50, test: 100 } } });
const dataset = d.artifacts.dataset;
const vq = (await step("vq", "train-vq", runTrainVq, { dataset, steps: 150, evalImages: 300 })).artifacts.vq;
const tokens = (await step("tok", "tokenize-images", runTokenizeImages, { dataset, vq })).artifacts.tokens;
const classifier = (await step("clf", "train-classifier", runTrainClassifier, { dataset, steps: 300 })).artifacts.classifier;
const ckpt = (await step("train", "train", runTrain, { dataset, tokens, stage: "pretrain", mix: { t2i: 1, lm: 1, mmu: 1, cot: 1, mmcot: 1 }, steps: 40, checkpointEvery: 40 })).artifacts.checkpoint;
await step("eval", "evaluate", runEvaluate, { checkpoint: ckpt, dataset, tokens, classifier, vq });
await step("rl", "unigrpo", runUnigrpo, { init: ckpt, dataset, tokens, classifier, vq, steps: 4, checkpointEvery: 2 });
await ws.cleanup();
