// One benchmark worker process: trains the default model on one tfjs backend for a fixed number of
// steps over the shared batches and prints a RunResult as JSON on its last stdout line.
// Usage (bench/model.ts spawns it): tsx bench/model-worker.ts <wasm|tensorflow|cpu> <data.json> <steps> <warmup>
// MMADA_KERNELS=native|tfjs picks the model's kernels (MMADA_THREADS the native kernels' threads).
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { type BackendChoice, initBackend } from "../model/backend.ts";
import { STAGE1_COEFFICIENTS, mixedLoss } from "../model/loss.ts";
import { nativeAddon } from "../model/native/index.ts";
import { AdamW } from "../model/optim.ts";
import { Rng } from "../model/rng.ts";
import { gradientStep } from "../model/gradient-step.ts";
import { createModel, kernelsFor } from "../model/transformer.ts";
import { revive } from "./model-data.ts";

/** What one worker (a tfjs backend or PyTorch) reports. */
export interface RunResult {
  backend: string;
  threads: number;
  steps: number;
  /** Median wall time of the timed steps (forward + backward + clip + AdamW). */
  msPerStep: number;
  /** Fastest timed step: less sensitive to other processes on a shared machine. */
  bestMsPerStep: number;
  /** Median process CPU time (all threads) per timed step: for a one-thread run, what an idle core would take. */
  cpuMsPerStep: number;
  /** Loss of every step, warm-up included, for the parity check. */
  losses: number[];
  /** Tensors alive after the last step minus after warm-up (tfjs only; should be 0). */
  leakedTensors?: number;
  /** The OpenBLAS kernel family the native kernels run on (native runs only). */
  blasCore?: string;
}

export async function runWorker(backend: BackendChoice, dataFile: string, steps: number, warmup: number): Promise<RunResult> {
  const name = await initBackend(backend);
  const data = revive(readFileSync(dataFile, "utf8"));
  const model = createModel(data.config, new Rng(data.seed));
  const optimizer = new AdamW(model.params);
  const rng = new Rng(data.seed + 2); // dropout (0 in the default config)
  const losses: number[] = [];
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let afterWarmup = 0;
  for (let step = 0; step < warmup + steps; step++) {
    if (step === warmup) afterWarmup = tf.memory().numTensors;
    const batch = data.batches[step]!;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const info = gradientStep({
      params: model.params,
      loss: () => mixedLoss(model, batch, STAGE1_COEFFICIENTS, { training: true, rng }),
      optimizer,
      lr: data.lr,
      step,
    });
    if (step >= warmup) {
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuTimes.push((c.user + c.system) / 1000);
    }
    losses.push(info.loss);
  }
  const leakedTensors = tf.memory().numTensors - afterWarmup;
  const native = kernelsFor(data.config, { training: true }) === "native";
  const threads = native ? nativeAddon().threads() : await backendThreads(name);
  return {
    backend: native ? `${name}+native` : name, threads, steps, msPerStep: median(times), bestMsPerStep: Math.min(...times),
    cpuMsPerStep: median(cpuTimes), losses, leakedTensors, ...(native ? { blasCore: nativeAddon().blasCore() } : {}),
  };
}

async function backendThreads(name: string): Promise<number> {
  // TensorFlow's intra-op pool: TF_NUM_INTRAOP_THREADS, else one thread per core; the cpu backend is plain JavaScript;
  // wasm says itself (1 in Node: its threaded build needs cross-origin-isolated web workers).
  if (name === "wasm") return (await import("@tensorflow/tfjs-backend-wasm")).getThreadsCount();
  if (name === "tensorflow") return Number(process.env.TF_NUM_INTRAOP_THREADS) || cpus().length;
  return 1;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const [backend, dataFile, steps, warmup] = process.argv.slice(2);
if (process.argv[1]?.endsWith("model-worker.ts")) {
  if (!backend || !dataFile) throw new Error("usage: tsx bench/model-worker.ts <wasm|tensorflow|cpu> <data.json> <steps> <warmup>");
  const r = await runWorker(backend as BackendChoice, dataFile, Number(steps ?? 20), Number(warmup ?? 2));
  console.log(JSON.stringify(r));
}
