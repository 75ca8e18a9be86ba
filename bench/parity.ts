// Parity of the TypeScript model with the PyTorch reference (`npm run parity`).
// Exports a small model's weights (non-trivial: std 0.25, random norm gains), a masked mixed batch
// [t2i | lm | mmu | chat] and one text-sampler step (its prompt, block and Gumbel noise) to a temp
// dir; bench/reference/mmada_ref.py recomputes everything in float64 from the rules of docs/mmada.md (the
// loss from the masks alone, not from our weights), and this compares:
//   logits                max |ts - ref|                                  tol 1e-4
//   loss total and parts  |ts - ref| / max(1, |ref|)                      tol 1e-4
//   gradients             max |ts - ref| / max(1, max |ref|) per tensor   tol 1e-3
//   sampler step          same x0 ids and committed positions; confidences max abs diff 1e-4
// "Relative where magnitudes are large": each diff is divided by max(1, reference magnitude), so it
// is an absolute difference for values below 1 and a relative one above.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../model/backend.ts";
import { makeConfig } from "../model/config.ts";
import { chatLayout, layoutContext, lmLayout, mmuLayout, t2iLayout } from "../model/layouts.ts";
import { mixedLoss } from "../model/loss.ts";
import type { Kernels } from "../model/native/index.ts";
import { maskBatch } from "../model/masking.ts";
import { Rng } from "../model/rng.ts";
import { sampleText, type TextSampleStep } from "../model/sample-text.ts";
import { CharTokenizer } from "../model/text-tokenizer.ts";
import { createModel, disposeModel, forward, logitsFn, paramShapes } from "../model/transformer.ts";
import { MASK_ID, vocabSize } from "../model/vocab.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REFERENCE = join(ROOT, "bench", "reference", "mmada_ref.py");
const PYTHON_TIMEOUT_MS = 120_000;
const TOL = { logits: 1e-4, loss: 1e-4, grad: 1e-3, confidence: 1e-4 };
const SEED = 1234;
const INIT_STD = 0.25;
const GAIN_JITTER = 0.2;
const COEFFS = { t2i: 1.0, lm: 0.1, mmu: 1.0, chat: 0.7 };
const SAMPLER = { temperature: 1, genLength: 8, blockLength: 4, steps: 4, seed: 77 };

export interface ParityRow {
  quantity: string;
  /** Largest |reference| value compared (so a tiny diff on tiny numbers is visible as such). */
  scale: number;
  diff: number;
  tol: number;
  ok: boolean;
}

export interface ParityReport {
  python: string;
  torch: string;
  rows: ParityRow[];
  ok: boolean;
}

/** A python that imports torch: $MMADA_PYTHON, else .venv/bin/python, else python3; or why none. */
export function findPython(): { python: string } | { reason: string } {
  const tried: string[] = [];
  const candidates = [process.env.MMADA_PYTHON, join(ROOT, ".venv", "bin", "python"), "python3"].filter((c): c is string => !!c);
  for (const python of candidates) {
    if (python.includes("/") && !existsSync(python)) {
      tried.push(`${python} (missing)`);
      continue;
    }
    const r = spawnSync(python, ["-c", "import torch"], { encoding: "utf8", timeout: PYTHON_TIMEOUT_MS });
    if (r.status === 0) return { python };
    tried.push(`${python} (${r.error ? r.error.message : "import torch failed"})`);
  }
  return { reason: `no python with torch: tried ${tried.join(", ")}; set MMADA_PYTHON or install torch into .venv` };
}

/** `kernels` picks the model's kernels for every forward (default: as MMADA_KERNELS says). */
export async function runParity(python: string, kernels?: Kernels): Promise<ParityReport> {
  await initBackend("wasm");
  const tok = new CharTokenizer();
  const config = makeConfig({ textVocabSize: tok.vocabSize, textLength: 16, gridH: 2, gridW: 2, codebookSize: 8, dModel: 32, nHeads: 2, nLayers: 2, mlpHidden: 48, initStd: INIT_STD });
  const rng = new Rng(SEED);
  const model = createModel(config, rng);
  for (const [name, shape] of paramShapes(config)) {
    if (shape.length === 1) model.params[name]!.assign(tf.tensor1d(rng.fill(shape[0]!, () => 1 + GAIN_JITTER * rng.normal())));
  }
  const ctx = layoutContext(config, tok);
  const img = () => Array.from({ length: ctx.imageTokens }, () => rng.int(config.codebookSize));
  const layouts = [
    t2iLayout(ctx, "a seven", img(), { dropCaption: false }),
    t2iLayout(ctx, "a one", img(), { dropCaption: true }),
    lmLayout(ctx, "Call me Ishmael."),
    lmLayout(ctx, "Some years ago"),
    mmuLayout(ctx, img(), "digit?", "seven"),
    mmuLayout(ctx, img(), "odd?", "no"),
    chatLayout(ctx, "3*2?", "<think>3*2=6</think>6"),
    chatLayout(ctx, "1+2?", "<think>1+2=3</think>3"),
  ];
  const batch = maskBatch(layouts, rng, config.maskEps);
  const B = batch.batch;
  const L = batch.length;

  // TS side: logits, loss, gradients.
  const vars = Object.values(model.params);
  const nameOf = new Map(Object.entries(model.params).map(([k, v]) => [v.name, k]));
  const logits = tf.tidy(() => forward(model, tf.tensor2d(batch.inputIds, [B, L], "int32"), { kernels }).dataSync());
  let parts: Record<string, number> = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = mixedLoss(model, batch, COEFFS, { kernels });
    parts = Object.fromEntries(Object.entries(out.parts).map(([t, s]) => [t, s.dataSync()[0]!]));
    return out.total;
  }, vars);
  const total = value.dataSync()[0]!;
  const tsGrads = Object.fromEntries(Object.entries(grads).map(([v, g]) => [nameOf.get(v)!, g.dataSync().slice()]));
  tf.dispose([value, ...Object.values(grads)]);

  // One text-sampler step: chat + mmu prompts with masked answers; replay its Gumbel noise.
  const prompts = [chatLayout(ctx, "3*2?", null), mmuLayout(ctx, img(), "digit?", null)];
  const sTokens = Int32Array.from(prompts.flatMap((p) => [...p.ids]));
  const sampled = await sampleText(logitsFn(model, { kernels }), sTokens, prompts.length, {
    maskId: MASK_ID,
    genStart: prompts.map((p) => p.answerStart),
    genLength: SAMPLER.genLength,
    steps: SAMPLER.steps,
    blockLength: SAMPLER.blockLength,
    temperature: SAMPLER.temperature,
    rng: new Rng(SAMPLER.seed),
    trace: true,
  });
  const first = sampled.trace![0]!;
  const noise = replayNoise(first, vocabSize(config), new Rng(SAMPLER.seed));

  const dir = mkdtempSync(join(tmpdir(), "mmada-parity-"));
  try {
    const shapes = paramShapes(config);
    writeFileSync(join(dir, "params.bin"), Buffer.concat(shapes.map(([n]) => Buffer.from(model.params[n]!.dataSync().buffer.slice(0)))));
    const spec = {
      config,
      params: shapes,
      coefficients: COEFFS,
      batch: {
        batch: B,
        length: L,
        inputIds: [...batch.inputIds],
        labels: [...batch.labels],
        masked: [...batch.masked],
        roles: layouts.flatMap((l) => [...l.roles]),
        maskProb: [...batch.maskProb],
        tasks: batch.tasks,
        chatSlice: batch.chatSlice,
      },
      sampler: {
        batch: prompts.length,
        tokens: [...sTokens],
        maskId: MASK_ID,
        temperature: SAMPLER.temperature,
        steps: SAMPLER.steps / Math.ceil(SAMPLER.genLength / SAMPLER.blockLength),
        rows: first.blockRange.map(([start, end], row) => ({ row, start, end })),
        noise,
      },
    };
    writeFileSync(join(dir, "parity.json"), JSON.stringify(spec));
    const r = spawnSync(python, [REFERENCE, dir], { encoding: "utf8", timeout: PYTHON_TIMEOUT_MS });
    if (r.status !== 0) throw new Error(`parity: ${python} ${REFERENCE} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
    const ref = JSON.parse(readFileSync(join(dir, "reference.json"), "utf8")) as Reference;
    const bin = readFileSync(join(dir, "reference.bin"));
    const arr = (key: string) => {
      const [at, n] = ref.arrays[key]!;
      return new Float64Array(bin.buffer.slice(bin.byteOffset + at * 8, bin.byteOffset + (at + n) * 8));
    };

    const rows: ParityRow[] = [];
    const row = (quantity: string, scale: number, diff: number, tol: number) => rows.push({ quantity, scale, diff, tol, ok: diff <= tol });
    row("logits (max abs)", maxAbs(arr("logits")), maxAbsDiff(logits, arr("logits")), TOL.logits);
    row("loss total", Math.abs(ref.total), scaled(total, ref.total), TOL.loss);
    for (const t of Object.keys(ref.parts)) row(`loss part ${t}`, Math.abs(ref.parts[t]!), scaled(parts[t]!, ref.parts[t]!), TOL.loss);
    for (const [name] of shapes) {
      const g = arr(`grad/${name}`);
      row(`grad ${name}`, maxAbs(g), maxAbsDiff(tsGrads[name]!, g) / Math.max(1, maxAbs(g)), TOL.grad);
    }
    const confidences = ref.sampler.flatMap((r) => r.candidates.map((c) => c.confidence));
    row("sampler step (ids, commits, confidence)", Math.max(...confidences), compareSampler(first, ref.sampler), TOL.confidence);
    return { python, torch: ref.torch, rows, ok: rows.every((x) => x.ok) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    disposeModel(model);
  }
}

interface Reference {
  torch: string;
  total: number;
  parts: Record<string, number>;
  arrays: Record<string, [number, number]>;
  sampler: Array<{ row: number; candidates: Array<{ pos: number; id: number; confidence: number }>; committed: number[] }>;
}

/**
 * The Gumbel draws sampleText made in its first step: one per vocabulary entry except [MASK], per
 * candidate position in row order (model/sample-text.ts scoreBlock), with 0 in the [MASK] column.
 */
function replayNoise(step: TextSampleStep, vocab: number, rng: Rng): number[][] {
  const out: number[][] = [];
  for (const rowCandidates of step.candidates) {
    for (let k = 0; k < rowCandidates.length; k++) out.push(Array.from({ length: vocab }, (_, v) => (v === MASK_ID ? 0 : rng.gumbel())));
  }
  return out;
}

/** Candidate ids and committed positions must match exactly (else Infinity); returns the confidence diff. */
function compareSampler(step: TextSampleStep, ref: Reference["sampler"]): number {
  let diff = 0;
  step.candidates.forEach((cands, b) => {
    const r = ref[b]!;
    const same = cands.length === r.candidates.length && cands.every((c, k) => c.pos === r.candidates[k]!.pos && c.id === r.candidates[k]!.id);
    const committed = [...step.committed[b]!].sort((x, y) => x - y);
    if (!same || committed.join() !== r.committed.join()) diff = Infinity;
    cands.forEach((c, k) => (diff = Math.max(diff, Math.abs(c.confidence - (r.candidates[k]?.confidence ?? Infinity)))));
  });
  return diff;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function scaled(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(b));
}

export function formatReport(report: ParityReport): string {
  const width = Math.max(...report.rows.map((r) => r.quantity.length));
  const num = (x: number) => x.toExponential(2).padStart(9);
  const lines = report.rows.map((r) => `${r.quantity.padEnd(width)}  ${num(r.scale)}  ${num(r.diff)}  ${r.tol.toExponential(0).padStart(5)}  ${r.ok ? "ok" : "FAIL"}`);
  return [
    `parity vs PyTorch ${report.torch} (${report.python}); diff = |ts - ref| / max(1, |ref|), grads per tensor; scale = max |ref|`,
    `${"quantity".padEnd(width)}  ${"scale".padStart(9)}  ${"diff".padStart(9)}  ${"tol".padStart(5)}`,
    ...lines,
    report.ok ? "all within tolerance" : "PARITY FAILED",
  ].join("\n");
}

async function main(): Promise<void> {
  const found = findPython();
  if ("reason" in found) {
    console.error(`parity: ${found.reason}`);
    process.exit(2);
  }
  const report = await runParity(found.python);
  console.log(formatReport(report));
  process.exit(report.ok ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
