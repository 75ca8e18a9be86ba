// The `train-vq` step kind: the VQ-VAE image tokenizer (model/vq.ts, model/vq-train.ts) trained on
// the dataset's train digits. Output `vq`: a verified checkpoint file (model/checkpoint.ts).
// Short (seconds to minutes), so it restarts from scratch on retry rather than checkpointing.
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { initBackend } from "../../model/backend.ts";
import { gatherRows } from "../../model/images.ts";
import { AdamW } from "../../model/optim.ts";
import { cosineWithWarmup } from "../../model/schedule.ts";
import { codebookStats, createVq, disposeVq, encode, numTokens, reconstructionMse, saveVq, vqDecayFilter } from "../../model/vq.ts";
import { trainVqStep } from "../../model/vq-train.ts";
import { type Digits, digitsOf, initRng, PIXELS, readDataset, vqBatchRng } from "../../mmada/data.ts";
import { inputPath, inputSha, type StepContext, stepOptions } from "../kit/step-context.ts";
import { checkTrainVq, type TrainVqOptions, vqConfigOf } from "./kind.ts";
import { BadInputError } from "../../contract/failures.ts";
import { trainResumably } from "../kit/training-loop.ts";
import type { MetricPoint, StepResult } from "../../contract/step-io.ts";

const OUTPUT_FILE = "vq.ckpt";
const WARMUP_FRACTION = 0.05;
const EVAL_CHUNK = 500;

export async function run(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const w = stepOptions<TrainVqOptions>(ctx, raw, checkTrainVq);
  const stepId = ctx.input.step.id;
  const config = vqConfigOf(w);
  const backend = await initBackend();

  ctx.progress({ percent: 0, step: 0, totalSteps: w.steps, message: "reading digits" });
  const dataset = await readDataset(inputPath(ctx, w.dataset, "dataset", "dataset"));
  const train = digitsOf(dataset.splits.train);
  const val = digitsOf(dataset.splits.val);
  if (train.n === 0) throw new BadInputError(`train-vq step '${stepId}': the dataset has no train images; raise digits.train in prepare-data`);

  const vq = createVq(config, initRng(w.seed));
  const optimizer = new AdamW(vq.params, { decay: vqDecayFilter });
  const lr = cosineWithWarmup({ peakLr: w.lr, warmupSteps: Math.floor(w.steps * WARMUP_FRACTION), totalSteps: w.steps });
  const rng = vqBatchRng(w.seed);
  ctx.log(`train-vq: ${train.n} train images, K=${config.codebookSize}, ${numTokens(config)} tokens per image, backend ${backend}`);
  try {
    // Seconds to minutes: no checkpoints, a retry starts over (the batch stream is sequential).
    const { history: metrics } = await trainResumably(ctx, {
      steps: w.steps,
      lrAt: lr,
      divergenceHint: "lower lr",
      percentOfStep: 95,
      step(step) {
        const images = gatherRows(train.images, PIXELS, Array.from({ length: w.batch }, () => rng.int(train.n))); // [B, 784]
        let r;
        try {
          r = trainVqStep(vq, optimizer, images, { lr: lr(step), rng, step });
        } finally {
          images.dispose();
        }
        const done = step + 1;
        const logged = done % w.logEvery === 0 || done === w.steps;
        const metrics: MetricPoint[] = logged
          ? [{ key: "loss", value: r.loss, step: done }, { key: "recon", value: r.recon, step: done }, { key: "usage", value: r.usage, step: done }, { key: "perplexity", value: r.perplexity, step: done }]
          : [];
        return { loss: r.loss, metrics, message: `train-vq: step ${done}/${w.steps} recon ${r.recon.toFixed(4)} usage ${(100 * r.usage).toFixed(0)}%` };
      },
    });

    ctx.progress({ percent: 96, message: "train-vq: measuring on val" });
    const evalSet = firstImages(val.n > 0 ? val : train, w.evalImages);
    const final = evaluateVq(vq, evalSet, config.codebookSize);
    metrics.push(
      { key: "val_recon_mse", value: final.mse },
      { key: "val_codebook_usage", value: final.usage },
      { key: "val_codebook_perplexity", value: final.perplexity },
    );
    const file = join(ctx.scratch, OUTPUT_FILE);
    const datasetSha = inputSha(w.dataset);
    await saveVq(file, vq, datasetSha ? { datasetSha256: datasetSha } : {});
    const side = w.grid;
    const artifact = await ctx.store(file, "vq", {
      name: OUTPUT_FILE,
      meta: { codebookSize: config.codebookSize, gridH: side, gridW: side, tokensPerImage: numTokens(config), val_recon_mse: final.mse },
    });
    ctx.progress({ percent: 100, message: `train-vq: val recon MSE ${final.mse.toFixed(4)}, perplexity ${final.perplexity.toFixed(1)}` });
    return { artifacts: { vq: artifact }, metrics };
  } finally {
    optimizer.dispose();
    disposeVq(vq);
  }
}

function firstImages(d: Digits, max: number): Digits {
  const n = Math.min(d.n, max);
  return { images: d.images.subarray(0, n * PIXELS), labels: d.labels.subarray(0, n), n };
}

/** Reconstruction MSE and codebook usage/perplexity over `d`, in chunks. */
function evaluateVq(vq: ReturnType<typeof createVq>, d: Digits, k: number): { mse: number; usage: number; perplexity: number } {
  const codes: Int32Array[] = [];
  let sse = 0;
  for (let start = 0; start < d.n; start += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, d.n - start);
    const x = tf.tensor2d(d.images.subarray(start * PIXELS, (start + n) * PIXELS), [n, PIXELS]); // [n, 784]
    sse += reconstructionMse(vq, x) * n;
    codes.push(encode(vq, x));
    x.dispose();
  }
  const all = new Int32Array(codes.reduce((s, c) => s + c.length, 0));
  let off = 0;
  for (const c of codes) {
    all.set(c, off);
    off += c.length;
  }
  return { mse: sse / d.n, ...codebookStats(all, k) };
}
