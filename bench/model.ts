// Model training benchmark (`npm run bench:model`; not part of the test suite).
// Trains the default ModelConfig on one fixed sequence of mixed [t2i | lm | mmu | chat] batches on
// every available tfjs backend (wasm, tensorflow when @tensorflow/tfjs-node loads, cpu with few
// steps) and on the PyTorch reference, each in its own process from the same initial weights, and
// measures the machine's fp32 sgemm peak in the same run. Prints tokens/s, achieved GFLOP/s, the
// ratio to PyTorch and the fraction of peak; writes the whole result as JSON.
//
// FLOPs are counted analytically (multiply-add = 2), per token of a training step:
//   3 x forwardFlopsPerToken(config, L) = 3 x (2 x params + nLayers x 4 x L x dModel)
// i.e. ~6 x params for the dense layers (forward 2, backward 4: input and weight gradients) plus the
// two L x L attention products per layer (QK^T and PV, 2 x L x dModel each forward), x3 likewise.
// The one-hot embedding matmul counts as the V x D matmul it really is; elementwise ops, softmax,
// norms and the optimizer are left out (a few %), so achieved GFLOP/s slightly under-counts work.
// Because every backend starts from the same weights and batches, their loss curves must agree
// (float32 rounding only): the report prints the largest difference to wasm as a parity check.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../model/backend.ts";
import { DEFAULT_CONFIG, type ModelConfig, seqLength } from "../model/config.ts";
import { chatLayout, type Layout, layoutContext, lmLayout, mmuLayout, t2iLayout } from "../model/layouts.ts";
import { STAGE1_COEFFICIENTS, mixedLoss } from "../model/loss.ts";
import { type MaskedBatch, maskBatch } from "../model/masking.ts";
import { AdamW } from "../model/optim.ts";
import { Rng } from "../model/rng.ts";
import { CharTokenizer } from "../model/text-tokenizer.ts";
import { gradientStep } from "../model/train-loop.ts";
import { createModel, disposeModel, forwardFlopsPerToken, paramShapes } from "../model/transformer.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = join(ROOT, ".venv", "bin", "python");
const BACKENDS = ["wasm", "tensorflow", "cpu"] as const;
type Backend = (typeof BACKENDS)[number];

interface Options {
  batch: number;
  steps: number;
  /** The cpu backend runs ~20x slower than wasm: only this many timed steps. */
  cpuSteps: number;
  warmup: number;
  lr: number;
  seed: number;
  backends: Backend[];
  torch: boolean;
  out: string;
}

const DEFAULTS: Options = {
  batch: 16,
  steps: 20,
  cpuSteps: 3,
  warmup: 2,
  lr: 1e-3,
  seed: 0,
  backends: [...BACKENDS],
  torch: true,
  out: join(ROOT, ".mmada", "bench", "model.json"),
};

/** What one worker (a tfjs backend or PyTorch) reports. */
export interface RunResult {
  backend: string;
  threads: number;
  steps: number;
  /** Median wall time of the timed steps (forward + backward + clip + AdamW). */
  msPerStep: number;
  /** Loss of every step, warm-up included, for the parity check. */
  losses: number[];
  /** Tensors alive after the last step minus after warm-up (tfjs only; should be 0). */
  leakedTensors?: number;
}

/** The shared, backend-independent input of every worker. */
interface BenchData {
  config: ModelConfig;
  lr: number;
  seed: number;
  /** One masked batch per step (warm-up first). */
  batches: MaskedBatch[];
}

// ---------- data: fixed synthetic batches drawn from the project Rng ----------

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

function makeData(opts: Options, stepsTotal: number): BenchData {
  const rng = new Rng(opts.seed + 1);
  const batches = Array.from({ length: stepsTotal }, () =>
    maskBatch(makeLayouts(DEFAULT_CONFIG, opts.batch, rng), rng, DEFAULT_CONFIG.maskEps),
  );
  return { config: DEFAULT_CONFIG, lr: opts.lr, seed: opts.seed, batches };
}

/** Typed arrays as plain arrays (JSON for the workers and the Python side). */
function serialise(data: BenchData): string {
  return JSON.stringify(data, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
}

function revive(text: string): BenchData {
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
async function writeTorchInputs(dir: string, data: BenchData): Promise<void> {
  await initBackend("cpu");
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

// ---------- worker: time training steps on one tfjs backend ----------

async function runWorker(backend: Backend, dataFile: string, steps: number, warmup: number): Promise<RunResult> {
  const name = await initBackend(backend);
  const data = revive(readFileSync(dataFile, "utf8"));
  const model = createModel(data.config, new Rng(data.seed));
  const optimizer = new AdamW(model.params);
  const rng = new Rng(data.seed + 2); // dropout (0 in the default config)
  const losses: number[] = [];
  const times: number[] = [];
  let afterWarmup = 0;
  for (let step = 0; step < warmup + steps; step++) {
    if (step === warmup) afterWarmup = tf.memory().numTensors;
    const batch = data.batches[step]!;
    const t0 = performance.now();
    const info = gradientStep({
      params: model.params,
      loss: () => mixedLoss(model, batch, STAGE1_COEFFICIENTS, { training: true, rng }),
      optimizer,
      lr: data.lr,
      step,
    });
    if (step >= warmup) times.push(performance.now() - t0);
    losses.push(info.loss);
  }
  const leakedTensors = tf.memory().numTensors - afterWarmup;
  return { backend: name, threads: backendThreads(name), steps, msPerStep: median(times), losses, leakedTensors };
}

function backendThreads(name: string): number {
  // wasm runs its single-threaded SIMD build in Node (no worker threads); TensorFlow's intra-op
  // pool defaults to one thread per core; the cpu backend is plain JavaScript.
  return name === "tensorflow" ? cpus().length : 1;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---------- orchestration ----------

/** Runs a command and parses the JSON object on its last stdout line; errors become { error }. */
function runJson<T>(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): T | { error: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  const last = r.stdout?.trim().split("\n").pop() ?? "";
  if (r.status === 0 && last.startsWith("{")) return JSON.parse(last) as T;
  // The thrown message, not the stack under it.
  const lines = (r.error?.message ?? r.stderr ?? "").trim().split("\n");
  const why = lines.find((l) => /^(\w*Error\b|error:)/.test(l.trim())) ?? lines.slice(-3).join(" | ");
  return { error: `${args.find((a) => a.endsWith(".ts") || a.endsWith(".py")) ?? cmd} exited ${r.status}: ${why.trim()}` };
}

async function main(argv: string[]): Promise<void> {
  const opts = parseArgs(argv);
  const stepsTotal = opts.warmup + Math.max(opts.steps, opts.cpuSteps);
  const dir = mkdtempSync(join(tmpdir(), "mmada-bench-"));
  try {
    const data = makeData(opts, stepsTotal);
    const dataFile = join(dir, "data.json");
    writeFileSync(dataFile, serialise(data));
    const L = seqLength(data.config);
    const tokensPerStep = opts.batch * L;
    const flopsPerStep = 3 * forwardFlopsPerToken(data.config, L) * tokensPerStep;
    console.log(`model: default config, B=${opts.batch}, L=${L} (${tokensPerStep} tokens/step), ` +
      `${(flopsPerStep / 1e9).toFixed(2)} GFLOP/step (fwd+bwd); load average ${loadavg()[0]!.toFixed(2)}`);

    const runs: Array<RunResult | { backend: string; error: string }> = [];
    for (const backend of opts.backends) {
      const steps = backend === "cpu" ? opts.cpuSteps : opts.steps;
      const warmup = backend === "cpu" ? Math.min(1, opts.warmup) : opts.warmup;
      const args = ["--import", "tsx", fileURLToPath(import.meta.url), "--worker", backend, dataFile, String(steps), String(warmup)];
      const r = runJson<RunResult>(process.execPath, args, { TF_CPP_MIN_LOG_LEVEL: "2" });
      runs.push("error" in r ? { backend, error: r.error } : r);
      console.log(`  ${backend}: ${"error" in r ? `unavailable (${r.error})` : `${r.msPerStep.toFixed(0)} ms/step`}`);
    }
    if (opts.torch) {
      await writeTorchInputs(dir, data);
      const args = [join(ROOT, "bench", "model_torch.py"), join(dir, "torch.json"), join(dir, "params.bin"), String(opts.steps), String(opts.warmup)];
      const r = runJson<RunResult>(PYTHON, args);
      runs.push("error" in r ? { backend: "pytorch", error: r.error } : r);
      console.log(`  pytorch: ${"error" in r ? `unavailable (${r.error})` : `${r.msPerStep.toFixed(0)} ms/step`}`);
    }
    const sgemm = runJson<{ peakGflops: number; peakGflops1Thread?: number }>(PYTHON, [join(ROOT, "bench", "sgemm.py")]);
    const report = summarise(runs, sgemm, tokensPerStep, flopsPerStep);
    printReport(report, opts);
    const result = { date: new Date().toISOString(), machine: machine(), options: opts, tokensPerStep, flopsPerStep, sgemm, ...report };
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(result, null, 2) + "\n");
    console.log(`\nwrote ${opts.out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Row {
  backend: string;
  threads?: number;
  steps?: number;
  msPerStep?: number;
  tokensPerSec?: number;
  gflops?: number;
  vsPytorch?: number;
  fractionOfPeak?: number;
  /** Largest |loss - wasm loss| over the steps both ran. */
  lossDiffVsWasm?: number;
  leakedTensors?: number;
  error?: string;
}

function summarise(runs: Array<RunResult | { backend: string; error: string }>, sgemm: object, tokensPerStep: number, flopsPerStep: number) {
  const peak = "peakGflops" in sgemm ? (sgemm.peakGflops as number) : undefined;
  const ok = runs.filter((r): r is RunResult => !("error" in r));
  const torch = ok.find((r) => r.backend === "pytorch");
  const wasm = ok.find((r) => r.backend === "wasm");
  const rows: Row[] = runs.map((r) => {
    if ("error" in r) return { backend: r.backend, error: r.error };
    const sec = r.msPerStep / 1000;
    const gflops = flopsPerStep / sec / 1e9;
    const common = wasm ? Math.min(wasm.losses.length, r.losses.length) : 0;
    const diffs = Array.from({ length: common }, (_, i) => Math.abs(r.losses[i]! - wasm!.losses[i]!));
    return {
      backend: r.backend,
      threads: r.threads,
      steps: r.steps,
      msPerStep: r.msPerStep,
      tokensPerSec: tokensPerStep / sec,
      gflops,
      vsPytorch: torch ? torch.msPerStep / r.msPerStep : undefined,
      fractionOfPeak: peak ? gflops / peak : undefined,
      lossDiffVsWasm: common > 0 ? Math.max(...diffs) : undefined,
      leakedTensors: r.leakedTensors,
    };
  });
  return { peakGflops: peak, rows, losses: Object.fromEntries(ok.map((r) => [r.backend, r.losses])) };
}

function printReport(report: ReturnType<typeof summarise>, opts: Options): void {
  const fmt = (x: number | undefined, digits: number) => (x === undefined ? "-" : x.toFixed(digits));
  console.log(`\nfp32 peak (best sgemm 2048^2): ${fmt(report.peakGflops, 1)} GFLOP/s`);
  console.log(["backend", "threads", "steps", "ms/step", "tokens/s", "GFLOP/s", "x PyTorch", "of peak", "|dloss| vs wasm"].map((h) => h.padStart(11)).join(""));
  for (const r of report.rows) {
    if (r.error) {
      console.log(`${r.backend.padStart(11)}  unavailable: ${r.error}`);
      continue;
    }
    const cells = [r.backend, String(r.threads), String(r.steps), fmt(r.msPerStep, 0), fmt(r.tokensPerSec, 0), fmt(r.gflops, 2),
      fmt(r.vsPytorch, 2), r.fractionOfPeak === undefined ? "-" : `${(100 * r.fractionOfPeak).toFixed(1)}%`, r.lossDiffVsWasm?.toExponential(1) ?? "-"];
    console.log(cells.map((c) => c.padStart(11)).join(""));
    if (r.leakedTensors) console.log(`${"".padStart(11)}  warning: ${r.leakedTensors} tensors leaked over ${r.steps} steps`);
  }
  console.log(`(lr ${opts.lr}, ${opts.warmup} warm-up steps not timed; x PyTorch > 1 means faster than PyTorch)`);
}

function machine() {
  const c = cpus();
  return { cpu: c[0]?.model ?? "unknown", cores: c.length, node: process.version, loadAverage: loadavg() };
}

function parseArgs(argv: string[]): Options {
  const o = { ...DEFAULTS, backends: [...DEFAULTS.backends] };
  const usage = "usage: tsx bench/model.ts [--steps N] [--cpu-steps N] [--warmup N] [--batch N] [--lr X] [--seed N] " +
    "[--backends wasm,tensorflow,cpu] [--no-torch] [--out FILE]";
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${usage}`);
      return v;
    };
    const int = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} must be an integer >= 0\n${usage}`);
      return v;
    };
    if (flag === "--steps") o.steps = int();
    else if (flag === "--cpu-steps") o.cpuSteps = int();
    else if (flag === "--warmup") o.warmup = int();
    else if (flag === "--batch") o.batch = Math.max(1, int());
    else if (flag === "--seed") o.seed = int();
    else if (flag === "--lr") o.lr = Number(value());
    else if (flag === "--no-torch") o.torch = false;
    else if (flag === "--out") o.out = resolve(value());
    else if (flag === "--backends") {
      const list = value().split(",");
      const bad = list.filter((b) => !(BACKENDS as readonly string[]).includes(b));
      if (bad.length > 0) throw new Error(`--backends: unknown ${bad.join(", ")}; choose from ${BACKENDS.join(", ")}`);
      o.backends = list as Backend[];
    } else throw new Error(`unknown argument ${flag}\n${usage}`);
  }
  return o;
}

const args = process.argv.slice(2);
if (args[0] === "--worker") {
  const [, backend, dataFile, steps, warmup] = args;
  const r = await runWorker(backend as Backend, dataFile!, Number(steps), Number(warmup));
  console.log(JSON.stringify(r));
} else {
  await main(args);
}
