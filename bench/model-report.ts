// The report of `npm run bench:model` (bench/model.ts): one row per run (a tfjs backend with the
// plain or the native kernels, or PyTorch), its ratio to PyTorch's fastest run and to the fp32 peak,
// the loss-curve parity check against wasm, and the closing verdict line.
import type { RunResult } from "./model-worker.ts";

/** Loss curves that differ from wasm by more than this are not float32 rounding (seen: ~3e-6). */
const LOSS_PARITY_TOLERANCE = 1e-3;

export interface Row {
  backend: string;
  threads?: number;
  steps?: number;
  msPerStep?: number;
  bestMsPerStep?: number;
  cpuMsPerStep?: number;
  tokensPerSec?: number;
  gflops?: number;
  vsPytorch?: number;
  fractionOfPeak?: number;
  /** Largest |loss - wasm loss| over the steps both ran. */
  lossDiffVsWasm?: number;
  leakedTensors?: number;
  error?: string;
}

export function summarise(runs: Array<RunResult | { backend: string; error: string }>, sgemm: object, tokensPerStep: number, flopsPerStep: number) {
  const peak = "peakGflops" in sgemm ? (sgemm.peakGflops as number) : undefined;
  const ok = runs.filter((r): r is RunResult => !("error" in r));
  const torchRuns = ok.filter((r) => r.backend === "pytorch");
  const fastestTorch = [...torchRuns].sort((a, b) => a.msPerStep - b.msPerStep)[0];
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
      bestMsPerStep: r.bestMsPerStep,
      cpuMsPerStep: r.cpuMsPerStep,
      tokensPerSec: tokensPerStep / sec,
      gflops,
      // Against PyTorch's fastest run: on a busy 2-core machine its 2-thread run can collapse
      // (OpenMP threads wait on a core someone else holds), which would flatter everyone else.
      vsPytorch: fastestTorch ? fastestTorch.msPerStep / r.msPerStep : undefined,
      fractionOfPeak: peak ? gflops / peak : undefined,
      lossDiffVsWasm: common > 0 ? Math.max(...diffs) : undefined,
      leakedTensors: r.leakedTensors,
    };
  });
  const blasCore = ok.find((r) => r.blasCore)?.blasCore;
  return { peakGflops: peak, blasCore, rows, losses: Object.fromEntries(ok.map((r) => [`${r.backend}/${r.threads}`, r.losses])) };
}

/** This project's fastest row: the native kernels' when they ran, else the best tfjs backend's. */
export function fastestOwn(rows: Row[]): Row | undefined {
  const own = rows.filter((r) => !r.error && r.backend !== "pytorch" && r.msPerStep !== undefined);
  const native = own.filter((r) => r.backend.endsWith("+native"));
  return [...(native.length > 0 ? native : own)].sort((a, b) => a.msPerStep! - b.msPerStep!)[0];
}

/** Report columns: header and width. */
const COLUMNS: Array<[string, number]> = [
  ["backend", 18], ["threads", 8], ["steps", 6], ["ms/step", 9], ["best ms", 9], ["CPU ms", 9], ["tokens/s", 9], ["GFLOP/s", 9],
  ["x PyTorch", 10], ["of peak", 8], ["max|dloss| vs wasm", 20],
];

export function printReport(report: ReturnType<typeof summarise>, opts: { lr: number; warmup: number; rounds: number }): void {
  const fmt = (x: number | undefined, digits: number) => (x === undefined ? "-" : x.toFixed(digits));
  const line = (cells: string[]) => console.log(cells.map((c, i) => c.padStart(COLUMNS[i]![1])).join(""));
  console.log(`\nfp32 peak (best sgemm 2048^2): ${fmt(report.peakGflops, 1)} GFLOP/s` +
    (report.blasCore ? `; native kernels on OpenBLAS's ${report.blasCore} kernels` +
      (process.env.OPENBLAS_CORETYPE ? ` (OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE} is set)` : "") : ""));
  line(COLUMNS.map(([h]) => h));
  for (const r of report.rows) {
    if (r.error) {
      console.log(`${r.backend.padStart(COLUMNS[0]![1])}  unavailable: ${r.error}`);
      continue;
    }
    line([r.backend, String(r.threads), String(r.steps), fmt(r.msPerStep, 0), fmt(r.bestMsPerStep, 0), fmt(r.cpuMsPerStep, 0), fmt(r.tokensPerSec, 0), fmt(r.gflops, 2),
      fmt(r.vsPytorch, 2), r.fractionOfPeak === undefined ? "-" : `${(100 * r.fractionOfPeak).toFixed(1)}%`,
      r.lossDiffVsWasm?.toExponential(1) ?? "-"]);
    if ((r.lossDiffVsWasm ?? 0) > LOSS_PARITY_TOLERANCE) {
      console.log(`${"".padStart(COLUMNS[0]![1])}  warning: loss differs from wasm by ${r.lossDiffVsWasm} (> ${LOSS_PARITY_TOLERANCE}): ` +
        "this backend computes something else; check it with the model tests on it");
    }
    if (r.leakedTensors) console.log(`${"".padStart(COLUMNS[0]![1])}  warning: ${r.leakedTensors} tensors leaked over ${r.steps} steps`);
  }
  console.log(`(lr ${opts.lr}; ${opts.warmup} warm-up steps not timed; ms/step is the median wall time of a run, the better of ` +
    `${opts.rounds} round${opts.rounds === 1 ? "" : "s"} (cpu: one), CPU ms the process CPU time of all its threads; x PyTorch: PyTorch's fastest ` +
    "median ms/step divided by this row's, > 1 is faster; +native: the model's native kernels (model/native) on that tfjs backend, " +
    "threads = the kernels' threads)");
}

/** The closing lines: this project's fastest configuration against PyTorch's, and against the peak. */
export function printVerdict(report: ReturnType<typeof summarise>): void {
  const best = fastestOwn(report.rows);
  if (!best || best.vsPytorch === undefined) {
    console.log("training throughput vs PyTorch: unavailable (PyTorch or this project's runs did not complete)");
    return;
  }
  const peak = best.fractionOfPeak === undefined ? "peak not measured" :
    `${(100 * best.fractionOfPeak).toFixed(1)}% of the measured fp32 peak (${best.gflops!.toFixed(1)} of ${report.peakGflops!.toFixed(1)} GFLOP/s)`;
  console.log(`fastest here: ${best.backend}, ${best.threads} thread${best.threads === 1 ? "" : "s"}: ${best.msPerStep!.toFixed(1)} ms/step, ` +
    `${Math.round(best.tokensPerSec!)} tokens/s, ${peak}`);
  console.log(`training throughput vs PyTorch: ${best.vsPytorch.toFixed(2)}x`);
}

