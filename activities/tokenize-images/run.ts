// The `tokenize-images` step kind: every split's digits -> VQ codes with a trained tokenizer, the
// `tokens` artifact that training, RL and evaluation read (format: mmada/data/tokens.ts).
import * as tf from "@tensorflow/tfjs-core";
import { basename, join } from "node:path";
import { initBackend } from "../../model/backend.ts";
import { CheckpointError } from "../../model/checkpoint.ts";
import { gridSide } from "../../model/images.ts";
import { codebookStats, disposeVq, encode, loadVq, numTokens, type Vq } from "../../model/vq.ts";
import { digitsOf, PIXELS, readDataset, type Split, SPLITS, type Tokens, TOKENS_FORMAT, TOKENS_FORMAT_VERSION, writeTokens } from "../../mmada/data.ts";
import { inputPath, inputSha, type StepContext, stepOptions, type WithInputs } from "../kit/step-context.ts";
import type { TokenizeImagesWith } from "./kind.ts";
import { BadInputError } from "../../contract/failures.ts";
import type { MetricPoint, StepResult } from "../../contract/step-io.ts";

type TokenizeOptions = WithInputs<TokenizeImagesWith, "dataset" | "vq">;

const OUTPUT_DIR = "tokens";

export async function run(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const w = stepOptions<TokenizeOptions>(ctx, raw);
  const stepId = ctx.input.step.id;
  await initBackend();
  const datasetPath = inputPath(ctx, w.dataset, "dataset", "dataset");
  const vqPath = inputPath(ctx, w.vq, "vq", "vq");
  const vq = await loadVq(vqPath).catch((err: Error) => {
    const why = err instanceof CheckpointError ? `${err.code}: ${err.message}` : err.message;
    throw new BadInputError(`tokenize-images step '${stepId}': with.vq (${basename(vqPath)}) is not a usable VQ tokenizer: ${why}; re-run train-vq`);
  });
  try {
    ctx.progress({ percent: 0, message: "reading digits" });
    const dataset = await readDataset(datasetPath);
    const side = gridSide(vq.config.imageSize, vq.config.patchSize);
    const codes = {} as Tokens["codes"];
    const metrics: MetricPoint[] = [];
    for (const [i, split] of SPLITS.entries()) {
      codes[split] = await encodeSplit(ctx, vq, digitsOf(dataset.splits[split]), w.chunk, split, i);
      const stats = codebookStats(codes[split], vq.config.codebookSize);
      metrics.push({ key: `usage.${split}`, value: stats.usage }, { key: `perplexity.${split}`, value: stats.perplexity });
    }
    const tokens: Tokens = {
      meta: {
        format: TOKENS_FORMAT,
        version: TOKENS_FORMAT_VERSION,
        tokensPerImage: numTokens(vq.config),
        gridH: side,
        gridW: side,
        codebookSize: vq.config.codebookSize,
        vqSha256: inputSha(w.vq) ?? (await ctx.hashOf(vqPath)),
        datasetSha256: inputSha(w.dataset) ?? (await ctx.hashOf(datasetPath)),
        counts: { train: dataset.manifest.counts.train.digits, val: dataset.manifest.counts.val.digits, test: dataset.manifest.counts.test.digits },
      },
      codes,
    };
    const dir = join(ctx.scratch, OUTPUT_DIR);
    await writeTokens(dir, tokens);
    const artifact = await ctx.store(dir, "tokens", {
      name: OUTPUT_DIR,
      meta: { tokensPerImage: tokens.meta.tokensPerImage, codebookSize: tokens.meta.codebookSize, ...tokens.meta.counts },
    });
    ctx.progress({ percent: 100, message: `tokens ${artifact.sha256.slice(0, 12)} stored` });
    return { artifacts: { tokens: artifact }, metrics };
  } finally {
    disposeVq(vq);
  }
}

/** Codes [n * N] of a split's digits, `chunk` images at a time. */
async function encodeSplit(ctx: StepContext, vq: Vq, d: ReturnType<typeof digitsOf>, chunk: number, split: Split, index: number): Promise<Int32Array> {
  const n = numTokens(vq.config);
  const out = new Int32Array(d.n * n); // [n, N]
  for (let start = 0; start < d.n; start += chunk) {
    if (ctx.signal.aborted) throw new Error(`tokenize-images cancelled while encoding ${split}`);
    const count = Math.min(chunk, d.n - start);
    const x = tf.tensor2d(d.images.subarray(start * PIXELS, (start + count) * PIXELS), [count, PIXELS]); // [c, 784]
    out.set(encode(vq, x), start * n);
    x.dispose();
    ctx.progress({ percent: (100 * (index + (start + count) / Math.max(1, d.n))) / SPLITS.length, message: `encoding ${split}: ${start + count}/${d.n}` });
    await new Promise((r) => setImmediate(r));
  }
  return out;
}
