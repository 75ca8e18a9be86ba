// The benchmark's input, identical for every backend: the default ModelConfig, one masked mixed
// [t2i | lm | mmu | chat] batch per step drawn from the project Rng (so every process sees the same
// numbers), and the files the PyTorch side reads.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../model/backend.ts";
import { DEFAULT_CONFIG, type ModelConfig } from "../model/config.ts";
import { chatLayout, type Layout, layoutContext, lmLayout, mmuLayout, t2iLayout } from "../model/layouts.ts";
import { STAGE1_COEFFICIENTS } from "../model/loss.ts";
import { type MaskedBatch, maskBatch } from "../model/masking.ts";
import { Rng } from "../model/rng.ts";
import { CharTokenizer } from "../model/text-tokenizer.ts";
import { createModel, disposeModel, paramShapes } from "../model/transformer.ts";

/** The shared, backend-independent input of every worker. */
export interface BenchData {
  config: ModelConfig;
  lr: number;
  seed: number;
  /** One masked batch per step (warm-up first). */
  batches: MaskedBatch[];
}

/** Equal parts of the four tasks, with content shaped like the real digit/arithmetic data. */
function makeLayouts(config: ModelConfig, batch: number, rng: Rng): Layout[] {
  const ctx = layoutContext(config, new CharTokenizer());
  const n = config.gridH * config.gridW;
  const codes = () => Array.from({ length: n }, () => rng.int(config.codebookSize));
  const digit = () => rng.int(10);
  const makers: Array<() => Layout> = [
    () => t2iLayout(ctx, `a handwritten ${digit()}`, codes(), { rng }),
    () => lmLayout(ctx, `the number ${digit()} comes after ${digit()} and before ${digit()}.`),
    () => mmuLayout(ctx, codes(), "which digit is this?", `it is a ${digit()}`),
    () => {
      const [a, b] = [digit(), digit()];
      return chatLayout(ctx, `what is ${a}+${b}?`, `<think>${a}+${b}=${a + b}</think>${a + b}`);
    },
  ];
  return Array.from({ length: batch }, (_, i) => makers[i % makers.length]!());
}

export function makeData(opts: { batch: number; lr: number; seed: number }, stepsTotal: number): BenchData {
  const rng = new Rng(opts.seed + 1);
  const batches = Array.from({ length: stepsTotal }, () =>
    maskBatch(makeLayouts(DEFAULT_CONFIG, opts.batch, rng), rng, DEFAULT_CONFIG.maskEps),
  );
  return { config: DEFAULT_CONFIG, lr: opts.lr, seed: opts.seed, batches };
}

/** Typed arrays as plain arrays (JSON for the workers and the Python side). */
export function serialise(data: BenchData): string {
  return JSON.stringify(data, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
}

export function revive(text: string): BenchData {
  const data = JSON.parse(text) as BenchData;
  data.batches = data.batches.map((b) => ({
    ...b,
    inputIds: Int32Array.from(b.inputIds),
    labels: Int32Array.from(b.labels),
    masked: Uint8Array.from(b.masked),
    weights: Float32Array.from(b.weights),
    maskProb: Float32Array.from(b.maskProb),
  }));
  return data;
}

/**
 * Files for the PyTorch side: initial weights (float32, paramShapes order, [in, out] matrices as
 * in transformer.ts), and per batch the inputs, labels and per-position loss weight already
 * multiplied by its task coefficient, so its loss is simply sum(weight * CE).
 */
export async function writeTorchInputs(dir: string, data: BenchData): Promise<void> {
  await initBackend("wasm"); // any backend: the weights come from the Rng, and wasm prints no banner
  const model = createModel(data.config, new Rng(data.seed));
  const shapes = paramShapes(data.config);
  const chunks = shapes.map(([name]) => {
    const a = model.params[name]!.dataSync<"float32">();
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  });
  writeFileSync(join(dir, "params.bin"), Buffer.concat(chunks));
  disposeModel(model);
  const coef = { ...STAGE1_COEFFICIENTS, chat: STAGE1_COEFFICIENTS.chat ?? STAGE1_COEFFICIENTS.mmu };
  const batches = data.batches.map((b) => ({
    inputIds: Array.from(b.inputIds),
    labels: Array.from(b.labels),
    weights: Array.from(b.weights, (w, i) => w * coef[b.tasks[Math.floor(i / b.length)]!]),
  }));
  const meta = { config: data.config, lr: data.lr, batch: data.batches[0]!.batch, length: data.batches[0]!.length, params: shapes };
  writeFileSync(join(dir, "torch.json"), JSON.stringify({ ...meta, batches }));
}

