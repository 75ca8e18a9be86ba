// MaskGIT image sampling with classifier-free guidance (docs/mmada.md §5; MMaDA t2i_generate and
// MaskGIT's decode loop). Every step samples all still-unknown image positions from the softmax
// over the image-code slice of the logits, then re-masks the least confident of them; the number
// kept masked follows the cosine schedule, so the image is complete after the last step.
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "./rng.ts";
import { rowLength } from "./sample-text.ts";
import type { LogitsFn } from "./ops.ts";

export interface ImageSampleOptions {
  /** The [MASK] id; image positions holding it are unknown (normally all of them at the start). */
  maskId: number;
  /** Position of the first image token (just after <|soi|>). */
  imageStart: number;
  /** N, the number of image tokens. */
  numImageTokens: number;
  /** Unified id of VQ code 0 (= textVocabSize): image ids are codeOffset .. codeOffset + codebookSize - 1. */
  codeOffset: number;
  codebookSize: number;
  /** K, the number of MaskGIT steps. */
  steps: number;
  /** CFG weight w: logits = (1 + w) * cond - w * uncond; 0 = no guidance (and no uncond pass). */
  guidance?: number;
  /**
   * The unconditional text prefix, positions 0 .. imageStart - 1 (the empty caption `BOS EOS`,
   * left-padded, ending with <|soi|>): one prefix for all rows ([imageStart]) or one per row
   * ([batch * imageStart]). Required when guidance > 0.
   */
  uncondPrefix?: Int32Array;
  /** tau: scale of the Gumbel noise on the confidences, annealed to 0 over the steps; default 1. */
  temperature?: number;
  /** How tau decays over the steps (annealedTemperature); default "compound", the reference's. */
  temperatureSchedule?: TemperatureSchedule;
  rng: Rng;
  trace?: boolean;
}

export interface ImageSampleStep {
  step: number;
  /** Per row, the number of unknown image positions before this step. */
  unknown: number[];
  /** Per row, how many of them stay masked after this step (0 at the last step). */
  maskLen: number[];
  /** Rows fed to the model in this step (cond rows, then uncond rows when guided), [rows * L]. */
  input: Int32Array;
}

export interface ImageSampleResult {
  /** Sampled VQ codes (0 .. codebookSize - 1), [B * N]. */
  codes: Int32Array;
  /** The input rows with the image slice filled in (unified ids), [B * L]. */
  tokens: Int32Array;
  trace?: ImageSampleStep[];
}

const DEFAULT_TEMPERATURE = 1;

/**
 * How many unknown positions stay masked after step k (0-based) of K:
 * floor(N * cos(pi/2 * (k+1)/K)), clamped to [1, unknown - 1] as in MaskGIT (at least one new token
 * is kept, at least one stays masked for the next step); 0 at the last step.
 */
export function maskLength(numImageTokens: number, k: number, steps: number, unknown: number): number {
  if (k >= steps - 1) return 0;
  const scheduled = Math.floor(numImageTokens * Math.cos((Math.PI / 2) * ((k + 1) / steps)));
  return Math.min(unknown, Math.max(1, Math.min(unknown - 1, scheduled)));
}

/**
 * How the Gumbel scale of the re-masking confidences decays (docs/mmada.md §5):
 *   compound  the reference code (MMaDA t2i_generate, MaskGIT): `temperature *= (1 - ratio)` every
 *             step with ratio = (k+1)/K, so tau_k = tau * prod_{j<=k} (1 - (j+1)/K): fast decay;
 *   linear    tau_k = tau * (1 - (k+1)/K) (this project's first version): more noise mid-schedule.
 * Both reach 0 at the last step.
 */
export const TEMPERATURE_SCHEDULES = ["compound", "linear"] as const;
export type TemperatureSchedule = (typeof TEMPERATURE_SCHEDULES)[number];

/** Gumbel scale used at step k (0-based) of K under `schedule`. */
export function annealedTemperature(tau: number, k: number, steps: number, schedule: TemperatureSchedule = "compound"): number {
  if (schedule === "linear") return tau * (1 - (k + 1) / steps);
  let t = tau;
  for (let j = 0; j <= k; j++) t *= 1 - (j + 1) / steps;
  return t;
}

/** Classifier-free guidance: (1 + w) * cond - w * uncond. */
export function cfgCombine(cond: tf.Tensor, uncond: tf.Tensor, w: number): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.mul(cond, 1 + w), tf.mul(uncond, w)));
}

/**
 * Generate the image slice of each row of `tokens` ([batch * L], the t2i layout with the image
 * positions masked). With guidance, cond and uncond rows go through ONE forward pass of 2B rows.
 */
export async function sampleImage(
  logitsFn: LogitsFn,
  tokens: Int32Array,
  batch: number,
  opts: ImageSampleOptions,
): Promise<ImageSampleResult> {
  const length = rowLength(tokens, batch, "sampleImage");
  const w = opts.guidance ?? 0;
  checkOptions(opts, batch, length, w);
  const { imageStart, numImageTokens: n, codeOffset, codebookSize: c, maskId } = opts;
  const tau = opts.temperature ?? DEFAULT_TEMPERATURE;
  const x = Int32Array.from(tokens);
  const codes = new Int32Array(batch * n); // [B, N]
  const trace: ImageSampleStep[] | undefined = opts.trace ? [] : undefined;

  for (let k = 0; k < opts.steps; k++) {
    // A copy: x is updated below while the trace keeps what the model saw.
    const input = w > 0 ? withUncondRows(x, batch, length, imageStart, opts.uncondPrefix!) : Int32Array.from(x);
    const logp = await imageLogProbs(logitsFn, input, batch, length, opts, w); // [B * N * C]
    const unknown: number[] = [];
    const maskLen: number[] = [];
    const tauK = annealedTemperature(tau, k, opts.steps, opts.temperatureSchedule);
    for (let b = 0; b < batch; b++) {
      const scored: Array<{ i: number; confidence: number }> = [];
      for (let i = 0; i < n; i++) {
        const id = x[b * length + imageStart + i]!;
        if (id !== maskId) {
          codes[b * n + i] = id - codeOffset; // known: kept as is, never re-masked
          continue;
        }
        const dist = logp.subarray((b * n + i) * c, (b * n + i + 1) * c);
        const code = sampleCategorical(dist, opts.rng);
        codes[b * n + i] = code;
        scored.push({ i, confidence: dist[code]! + tauK * opts.rng.gumbel() });
      }
      unknown.push(scored.length);
      maskLen.push(maskLength(n, k, opts.steps, scored.length));
      // The least confident maskLen stay masked; the others are committed for the next step.
      scored.sort((p, q) => p.confidence - q.confidence || p.i - q.i);
      scored.forEach(({ i }, rank) => {
        x[b * length + imageStart + i] = rank < maskLen[b]! ? maskId : codeOffset + codes[b * n + i]!;
      });
    }
    trace?.push({ step: k, unknown, maskLen, input });
  }
  return { codes, tokens: x, trace };
}

/** Log-softmax over the image-code slice of the (guided) logits at the image positions, [B * N * C]. */
async function imageLogProbs(
  logitsFn: LogitsFn,
  input: Int32Array,
  batch: number,
  length: number,
  opts: ImageSampleOptions,
  w: number,
): Promise<Float32Array> {
  const rows = input.length / length;
  const logp = tf.tidy(() => {
    const logits = logitsFn(tf.tensor2d(input, [rows, length], "int32")); // [rows, L, V]
    if (logits.shape[2] < opts.codeOffset + opts.codebookSize) {
      throw new Error(
        `sampleImage: logits have ${logits.shape[2]} ids but image codes reach ${opts.codeOffset + opts.codebookSize}; ` +
          "check codeOffset (textVocabSize) and codebookSize against the model config",
      );
    }
    const image = tf.slice(logits, [0, opts.imageStart, opts.codeOffset], [rows, opts.numImageTokens, opts.codebookSize]); // [rows, N, C]
    const guided =
      w > 0
        ? cfgCombine(tf.slice(image, [0, 0, 0], [batch, -1, -1]), tf.slice(image, [batch, 0, 0], [batch, -1, -1]), w)
        : image; // [B, N, C]
    return tf.logSoftmax(guided);
  });
  const data = (await logp.data()) as Float32Array;
  logp.dispose();
  return data;
}

/** Cond rows followed by uncond rows: the uncond prefix, then the CURRENT image tokens and suffix. */
function withUncondRows(x: Int32Array, batch: number, length: number, imageStart: number, prefix: Int32Array): Int32Array {
  const out = new Int32Array(2 * batch * length); // [2B, L]
  out.set(x);
  for (let b = 0; b < batch; b++) {
    const row = (batch + b) * length;
    const p = prefix.length === imageStart ? prefix : prefix.subarray(b * imageStart, (b + 1) * imageStart);
    out.set(p, row);
    out.set(x.subarray(b * length + imageStart, (b + 1) * length), row + imageStart);
  }
  return out;
}

/** Inverse-CDF draw from a log-probability vector. */
function sampleCategorical(logp: Float32Array, rng: Rng): number {
  let u = rng.uniform();
  for (let v = 0; v < logp.length; v++) {
    u -= Math.exp(logp[v]!);
    if (u < 0) return v;
  }
  // Rounding left u slightly positive: fall back to the last id with non-zero probability.
  for (let v = logp.length - 1; v >= 0; v--) if (logp[v]! > -Infinity) return v;
  return logp.length - 1;
}

function checkOptions(opts: ImageSampleOptions, batch: number, length: number, w: number): void {
  const problems: string[] = [];
  const { imageStart, numImageTokens: n } = opts;
  if (!Number.isInteger(opts.steps) || opts.steps <= 0) problems.push(`steps=${opts.steps} must be a positive integer`);
  if (!Number.isInteger(n) || n <= 0) problems.push(`numImageTokens=${n} must be a positive integer`);
  if (!Number.isInteger(imageStart) || imageStart < 0 || imageStart + n > length) {
    problems.push(`image slice [${imageStart}, ${imageStart + n}) does not fit in rows of length ${length}`);
  }
  if (!(opts.codebookSize > 0) || !(opts.codeOffset >= 0)) problems.push("codebookSize must be > 0 and codeOffset >= 0");
  if (w < 0) problems.push(`guidance=${w} must be >= 0`);
  if (w > 0) {
    const p = opts.uncondPrefix;
    if (!p) problems.push("guidance > 0 needs uncondPrefix (the empty-caption prefix, positions 0 .. imageStart-1)");
    else if (p.length !== imageStart && p.length !== batch * imageStart) {
      problems.push(`uncondPrefix has ${p.length} ids; expected imageStart=${imageStart} or batch*imageStart=${batch * imageStart}`);
    }
  }
  if ((opts.temperature ?? DEFAULT_TEMPERATURE) < 0) problems.push(`temperature=${opts.temperature} must be >= 0`);
  if (opts.temperatureSchedule !== undefined && !TEMPERATURE_SCHEDULES.includes(opts.temperatureSchedule)) {
    problems.push(`temperatureSchedule=${JSON.stringify(opts.temperatureSchedule)} must be one of ${TEMPERATURE_SCHEDULES.join(", ")}`);
  }
  if (problems.length > 0) throw new Error(`sampleImage: ${problems.join("; ")}`);
}
