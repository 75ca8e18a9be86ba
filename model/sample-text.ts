// Semi-autoregressive text sampling with low-confidence remasking (docs/mmada.md §5; LLaDA's
// `generate` with remasking="low_confidence"). The generation region of each row is split into
// blocks filled left to right; inside a block, every step commits the k most confident masked
// positions, k following LLaDA's get_num_transfer_tokens. Committed tokens are never re-masked.
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "./rng.ts";
import type { LogitsFn } from "./ops.ts";

export interface TextSampleOptions {
  /** The [MASK] id; positions holding it inside the generation region are generated. */
  maskId: number;
  /** Where each row's generation starts (end of its prompt): one number for all rows or one per row. */
  genStart: number | number[];
  /** Generation length from genStart (clipped at the row end); default: to the end of the row. */
  genLength?: number;
  /** Total denoising steps, divided evenly over the blocks. */
  steps: number;
  blockLength: number;
  /** Gumbel noise scale on the logits when picking x0; 0 = plain argmax (no randomness). */
  temperature?: number;
  /** Source of all noise; required when temperature > 0. */
  rng?: Rng;
  /** Restrict candidates to ids in [start, end) (e.g. the text ids); the softmax is taken over that range. */
  vocabRange?: { start: number; end: number };
  /** Record every step (tests, debugging). */
  trace?: boolean;
}

/** One denoising step: which positions of each row were committed, and the rows afterwards. */
export interface TextSampleStep {
  block: number;
  step: number;
  /** Per row, the [start, end) positions of the current block. */
  blockRange: Array<[number, number]>;
  /** Per row, every masked position of the block with its x0 and noise-free confidence. */
  candidates: TextCandidate[][];
  /** Per row, the positions committed in this step. */
  committed: number[][];
  /** Rows after this step, [B * L]. */
  tokens: Int32Array;
}

export interface TextSampleResult {
  /** Final ids, [B * L] row-major. */
  tokens: Int32Array;
  batch: number;
  length: number;
  trace?: TextSampleStep[];
}

/**
 * How many tokens to commit at each of `steps` steps so that `maskedCount` are committed in total:
 * floor(maskedCount / steps) each, the remainder spread one by one over the earliest steps
 * (LLaDA get_num_transfer_tokens).
 */
export function numTransferTokens(maskedCount: number, steps: number): number[] {
  const base = Math.floor(maskedCount / steps);
  const remainder = maskedCount % steps;
  return Array.from({ length: steps }, (_, s) => base + (s < remainder ? 1 : 0));
}

/**
 * Fill the masked generation region of each row of `tokens` ([batch * L] int32, row-major).
 * `logitsFn` maps [B, L] ids to [B, L, V] logits; it is called once per step on the whole batch.
 */
export async function sampleText(
  logitsFn: LogitsFn,
  tokens: Int32Array,
  batch: number,
  opts: TextSampleOptions,
): Promise<TextSampleResult> {
  const length = rowLength(tokens, batch, "sampleText");
  const starts = typeof opts.genStart === "number" ? new Array<number>(batch).fill(opts.genStart) : opts.genStart;
  checkOptions(opts, starts, batch, length);
  const temperature = opts.temperature ?? 0;
  const x = Int32Array.from(tokens);
  const ends = starts.map((s) => Math.min(length, s + (opts.genLength ?? length - s)));
  const maxGen = Math.max(0, ...ends.map((e, b) => e - starts[b]!));
  const numBlocks = Math.ceil(maxGen / opts.blockLength);
  const trace: TextSampleStep[] | undefined = opts.trace ? [] : undefined;
  if (numBlocks === 0) return { tokens: x, batch, length, trace };
  if (opts.steps % numBlocks !== 0) {
    throw new Error(
      `sampleText: steps=${opts.steps} must be a multiple of the number of blocks (${numBlocks} = ` +
        `ceil(generation length ${maxGen} / blockLength ${opts.blockLength})); use steps=${numBlocks * Math.max(1, Math.round(opts.steps / numBlocks))}`,
    );
  }
  const stepsPerBlock = opts.steps / numBlocks;

  for (let block = 0; block < numBlocks; block++) {
    const range = starts.map((s, b): [number, number] => {
      const lo = Math.min(ends[b]!, s + block * opts.blockLength);
      return [lo, Math.min(ends[b]!, lo + opts.blockLength)];
    });
    // Each row's schedule counts its own masked positions in this block (rows may differ).
    const schedule = range.map(([lo, hi], b) => numTransferTokens(countMasked(x, b * length, lo, hi, opts.maskId), stepsPerBlock));
    for (let step = 0; step < stepsPerBlock; step++) {
      const quota = schedule.map((s) => s[step]!);
      const committed: number[][] = quota.map(() => []);
      let candidates: TextCandidate[][] = quota.map(() => []);
      if (quota.some((k) => k > 0)) {
        candidates = await scoreBlock(logitsFn, x, batch, length, range, opts, temperature);
        for (let b = 0; b < batch; b++) {
          const best = [...candidates[b]!].sort((p, q) => q.confidence - p.confidence || p.pos - q.pos).slice(0, quota[b]);
          for (const c of best) {
            x[b * length + c.pos] = c.id;
            committed[b]!.push(c.pos);
          }
        }
      }
      trace?.push({ block, step, blockRange: range, candidates, committed, tokens: Int32Array.from(x) });
    }
  }
  return { tokens: x, batch, length, trace };
}

export interface TextCandidate {
  pos: number;
  /** x0: argmax of the (noisy) logits. */
  id: number;
  /** Noise-free softmax probability of x0. */
  confidence: number;
}

/**
 * One forward pass; for every still-masked position of each row's current block, the candidate
 * x0 = argmax(logits + temperature * Gumbel) and its noise-free softmax probability. Positions
 * outside the block are not candidates at all (equivalent to confidence -inf).
 */
async function scoreBlock(
  logitsFn: LogitsFn,
  x: Int32Array,
  batch: number,
  length: number,
  range: Array<[number, number]>,
  opts: TextSampleOptions,
  temperature: number,
): Promise<TextCandidate[][]> {
  const positions: Array<{ row: number; pos: number }> = [];
  range.forEach(([lo, hi], b) => {
    for (let p = lo; p < hi; p++) if (x[b * length + p] === opts.maskId) positions.push({ row: b, pos: p });
  });
  const flat = positions.map(({ row, pos }) => row * length + pos);
  const picked = tf.tidy(() => {
    const logits = logitsFn(tf.tensor2d(x, [batch, length], "int32")); // [B, L, V]
    const vocab = logits.shape[2];
    const { start, end } = opts.vocabRange ?? { start: 0, end: vocab };
    if (end > vocab) throw new Error(`sampleText: vocabRange end ${end} exceeds the logits' vocabulary size ${vocab}`);
    const rows = tf.gather(tf.reshape(logits, [batch * length, vocab]), tf.tensor1d(flat, "int32")); // [M, V]
    return tf.slice(rows, [0, start], [flat.length, end - start]); // [M, R]
  });
  const width = picked.shape[1]!;
  const offset = opts.vocabRange?.start ?? 0;
  const data = await picked.data();
  picked.dispose();

  // [MASK] itself is never a candidate (its logit counts as -inf): committing it would leave a hole.
  const maskCol = opts.maskId - offset;
  const out: TextCandidate[][] = range.map(() => []);
  positions.forEach(({ row, pos }, m) => {
    const logits = data.subarray(m * width, (m + 1) * width);
    let best = -1;
    let bestScore = -Infinity;
    let maxLogit = -Infinity;
    for (let v = 0; v < width; v++) {
      if (v === maskCol) continue;
      const score = temperature > 0 ? logits[v]! + temperature * opts.rng!.gumbel() : logits[v]!;
      if (best < 0 || score > bestScore) [best, bestScore] = [v, score];
      if (logits[v]! > maxLogit) maxLogit = logits[v]!;
    }
    let sumExp = 0;
    for (let v = 0; v < width; v++) if (v !== maskCol) sumExp += Math.exp(logits[v]! - maxLogit);
    out[row]!.push({ pos, id: offset + best, confidence: Math.exp(logits[best]! - maxLogit) / sumExp });
  });
  return out;
}

function countMasked(x: Int32Array, rowOffset: number, lo: number, hi: number, maskId: number): number {
  let n = 0;
  for (let p = lo; p < hi; p++) if (x[rowOffset + p] === maskId) n++;
  return n;
}

/** L from a flat [batch * L] array, or a clear error. */
export function rowLength(tokens: Int32Array, batch: number, where: string): number {
  if (!Number.isInteger(batch) || batch <= 0 || tokens.length % batch !== 0 || tokens.length === 0) {
    throw new Error(`${where}: ${tokens.length} token ids do not split into ${batch} equal rows; pass a [batch * L] array`);
  }
  return tokens.length / batch;
}

function checkOptions(opts: TextSampleOptions, starts: number[], batch: number, length: number): void {
  const problems: string[] = [];
  if (starts.length !== batch) problems.push(`genStart has ${starts.length} entries for ${batch} rows`);
  starts.forEach((s, b) => {
    if (!Number.isInteger(s) || s < 0 || s > length) problems.push(`genStart[${b}]=${s} is outside 0..${length}`);
  });
  if (!Number.isInteger(opts.steps) || opts.steps <= 0) problems.push(`steps=${opts.steps} must be a positive integer`);
  if (!Number.isInteger(opts.blockLength) || opts.blockLength <= 0) {
    problems.push(`blockLength=${opts.blockLength} must be a positive integer`);
  }
  if (opts.genLength !== undefined && (!Number.isInteger(opts.genLength) || opts.genLength < 0)) {
    problems.push(`genLength=${opts.genLength} must be a non-negative integer`);
  }
  const temperature = opts.temperature ?? 0;
  if (temperature < 0) problems.push(`temperature=${temperature} must be >= 0`);
  if (temperature > 0 && !opts.rng) problems.push("temperature > 0 needs an rng (model/rng.ts) for the Gumbel noise");
  const r = opts.vocabRange;
  if (r && !(Number.isInteger(r.start) && Number.isInteger(r.end) && 0 <= r.start && r.start < r.end)) {
    problems.push(`vocabRange [${r.start}, ${r.end}) must be a non-empty integer range`);
  } else if (r && r.end - r.start === 1 && r.start === opts.maskId) {
    problems.push(`vocabRange [${r.start}, ${r.end}) holds only the MASK id; widen it to the text ids`);
  }
  if (problems.length > 0) throw new Error(`sampleText: ${problems.join("; ")}`);
}
