// The `train-classifier` step kind: the frozen digit classifier (model/classifier.ts) that scores
// generated images for UniGRPO rewards and evaluation (docs/mmada.md §4, the CLIP-like scorer).
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { initBackend } from "../../model/backend.ts";
import {
  accuracy,
  type ClassifierConfig,
  classifierStep,
  classifierTraining,
  createClassifier,
  DEFAULT_CLASSIFIER_CONFIG,
  saveClassifier,
} from "../../model/classifier.ts";
import { classifierBatchRng, digitsOf, initRng, labelledOnly, readDataset } from "../../mmada/data.ts";
import { inputPath, inputSha, type StepContext, stepOptions, type WithInputs } from "../kit/step-context.ts";
import type { TrainClassifierWith } from "./kind.ts";
import { BadInputError } from "../../contract/failures.ts";
import { trainResumably } from "../kit/training-loop.ts";
import type { StepResult } from "../../contract/step-io.ts";

type TrainClassifierOptions = WithInputs<TrainClassifierWith, "dataset">;

const OUTPUT_FILE = "classifier.ckpt";

export async function run(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const w = stepOptions<TrainClassifierOptions>(ctx, raw);
  const stepId = ctx.input.step.id;
  const backend = await initBackend();
  ctx.progress({ percent: 0, step: 0, totalSteps: w.steps, message: "reading digits" });
  const dataset = await readDataset(inputPath(ctx, w.dataset, "dataset", "dataset"));
  const train = labelledOnly(digitsOf(dataset.splits.train));
  const val = labelledOnly(digitsOf(dataset.splits.val));
  const test = labelledOnly(digitsOf(dataset.splits.test));
  if (train.n === 0) throw new BadInputError(`train-classifier step '${stepId}': the dataset has no labelled train images; bring labelled images (captions with "label") or use MNIST`);

  const config: ClassifierConfig = { ...DEFAULT_CLASSIFIER_CONFIG, hidden: w.hidden };
  const clf = createClassifier(config, initRng(w.seed));
  ctx.log(`train-classifier: ${train.n} labelled train images, hidden [${w.hidden}], backend ${backend}`);
  const t = classifierTraining(clf, train, { steps: w.steps, batchSize: w.batch, lr: w.lr, rng: classifierBatchRng(w.seed), maxShift: w.maxShift });
  try {
    // Seconds: no checkpoints, a retry starts over (the batch stream is sequential).
    const { history: metrics } = await trainResumably(ctx, {
      steps: w.steps,
      lrAt: t.lr,
      divergenceHint: "lower lr",
      percentOfStep: 95,
      step(step) {
        const info = classifierStep(t, step);
        const done = step + 1;
        const logged = done % w.logEvery === 0 || done === w.steps;
        return { loss: info.loss, metrics: logged ? [{ key: "loss", value: info.loss, step: done }] : [], message: `train-classifier: step ${done}/${w.steps} loss ${info.loss.toFixed(4)}` };
      },
    });
    const accVal = val.n > 0 ? accuracy(clf, val) : Number.NaN;
    const accTest = test.n > 0 ? accuracy(clf, test) : Number.NaN;
    if (val.n > 0) metrics.push({ key: "accuracy.val", value: accVal });
    if (test.n > 0) metrics.push({ key: "accuracy.test", value: accTest });
    const file = join(ctx.scratch, OUTPUT_FILE);
    const datasetSha = inputSha(w.dataset);
    await saveClassifier(file, clf, datasetSha ? { datasetSha256: datasetSha } : {});
    const meta: { [k: string]: number } = { numClasses: config.numClasses };
    if (val.n > 0) meta.accuracy_val = accVal;
    if (test.n > 0) meta.accuracy_test = accTest;
    const artifact = await ctx.store(file, "classifier", { name: OUTPUT_FILE, meta });
    ctx.progress({ percent: 100, message: `train-classifier: val accuracy ${(100 * accVal).toFixed(1)}%` });
    return { artifacts: { classifier: artifact }, metrics };
  } finally {
    t.optimizer.dispose();
    tf.dispose(Object.values(clf.params));
  }
}
