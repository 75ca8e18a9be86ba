// UniGRPO (docs/mmada.md §4): GRPO for a masked-diffusion policy. The log-likelihood of a response is
// estimated on a partially masked copy of it; mu inner iterations use uniformly spaced mask
// ratios, and the SAME masked inputs serve the current policy, the old policy (log-probs taken
// once, before any update) and the frozen reference. The question is never masked.
import * as tf from "@tensorflow/tfjs-core";
import { clipByGlobalNorm } from "./clip.ts";
import { tokenLogProbs } from "./loss.ts";
import type { Optimizer } from "./optim.ts";
import type { Rng } from "./rng.ts";
import type { LogitsFn, Params } from "./ops.ts";
import { NonFiniteLossError } from "./gradient-step.ts";

/** Diffusion timesteps T_d over which the mask ratios are spaced (docs/mmada.md §4). */
export const DIFFUSION_STEPS = 1000;
/** Added to the group std so near-constant rewards do not explode the advantages. */
const ADVANTAGE_EPS = 1e-6;
/** Default max global gradient norm (docs/mmada.md §3). */
const DEFAULT_GRAD_CLIP = 1.0;

/** G sampled responses to one prompt, with their rewards. */
export interface Group {
  /** Prompt + response rows, [G * L] unified ids. */
  rows: Int32Array;
  /** 1 where a row holds response tokens (the only maskable positions), [G * L]. */
  responseMask: Uint8Array;
  /** r_i, [G]. */
  rewards: number[];
}

/**
 * How a group's rewards become advantages. `zscore`, the paper's: A_i = (r_i - mean r) / (std r + 1e-6),
 * std unbiased (torch's default, as in TRL's GRPO). `centered`, an option (Dr. GRPO, Liu et al. 2025,
 * "Understanding R1-Zero-like training"): A_i = r_i - mean r. Dividing by the std gives a group whose
 * rewards differ by noise (text-to-image scores 0.198 and 0.200) the same full-size advantages as a
 * group with one right answer among wrong ones; centred advantages keep each group's reward scale.
 */
export type AdvantageMode = "zscore" | "centered";
export const ADVANTAGE_MODES: readonly AdvantageMode[] = ["zscore", "centered"];

/** The group's advantages, or null when all rewards are equal: such a group carries no signal and is skipped. */
export function groupAdvantages(rewards: number[], mode: AdvantageMode = "zscore"): number[] | null {
  if (rewards.length < 2 || rewards.every((r) => r === rewards[0])) return null;
  const mean = rewards.reduce((a, r) => a + r, 0) / rewards.length;
  if (mode === "centered") return rewards.map((r) => r - mean);
  const variance = rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / (rewards.length - 1);
  const std = Math.sqrt(variance);
  return rewards.map((r) => (r - mean) / (std + ADVANTAGE_EPS));
}

/**
 * Mask ratios of the mu inner iterations: t_1 = floor(U * T_d),
 * t_n = floor((n-1)/(mu-1) * (T_d - t_1) + t_1), ratio_n = t_n / T_d (so the last ratio is 1).
 * With mu = 1 the single ratio is t_1 / T_d.
 */
export function maskRatios(mu: number, rng: Rng, diffusionSteps = DIFFUSION_STEPS): number[] {
  if (!Number.isInteger(mu) || mu < 1) throw new Error(`maskRatios: mu=${mu} must be a positive integer`);
  const t1 = Math.floor(rng.uniform() * diffusionSteps);
  if (mu === 1) return [t1 / diffusionSteps];
  return Array.from({ length: mu }, (_, i) => Math.floor((i / (mu - 1)) * (diffusionSteps - t1) + t1) / diffusionSteps);
}

/**
 * Which tokens to mask, [R * L]: in each row exactly round(ratio * responseLength) response
 * positions (at least 1, so every response contributes a term), chosen by random permutation.
 * Positions outside `responseMask` (the question) are never chosen.
 */
export function responseMasks(responseMask: Uint8Array, rows: number, ratio: number, rng: Rng): Uint8Array {
  const length = responseMask.length / rows;
  const masked = new Uint8Array(responseMask.length); // [R, L]
  for (let r = 0; r < rows; r++) {
    const positions: number[] = [];
    for (let l = 0; l < length; l++) if (responseMask[r * length + l]) positions.push(r * length + l);
    if (positions.length === 0) continue;
    const count = Math.max(1, Math.round(ratio * positions.length));
    for (const i of rng.permutation(positions.length).slice(0, count)) masked[positions[i]!] = 1;
  }
  return masked;
}

/** Copy of `rows` with MASK at the masked positions. */
export function applyMask(rows: Int32Array, masked: Uint8Array, maskId: number): Int32Array {
  return rows.map((id, i) => (masked[i] ? maskId : id));
}

export interface UnigrpoOptions {
  /** The policy; must read the trainable `params` (gradients flow through it). */
  policyLogits: LogitsFn;
  /** The frozen reference policy (stage-2 weights). */
  refLogits: LogitsFn;
  params: Params;
  optimizer: Pick<Optimizer, "step">;
  lr: number;
  /** Max global gradient norm; 0 or Infinity disables clipping. Default 1.0. */
  clip?: number;
  groups: Group[];
  maskId: number;
  /** Inner iterations (gradient steps) on the same responses. */
  mu: number;
  /** PPO clip range: rho is clipped to [1 - eps, 1 + eps]. */
  eps: number;
  /** KL penalty weight. */
  beta: number;
  rng: Rng;
  diffusionSteps?: number;
  /** How rewards become advantages (default `zscore`, the paper's). */
  advantage?: AdvantageMode;
}

export interface UnigrpoResult {
  /** Mean loss over the mu iterations (0 when every group was skipped). */
  loss: number;
  /** Mean over iterations of mean_i mean_{masked t} kl. */
  kl: number;
  /** Mean reward over all groups, skipped ones included. */
  meanReward: number;
  skippedGroups: number;
  /** Fraction of masked tokens where the PPO clip was active (gradient cut), averaged over iterations. */
  clipFrac: number;
  /** Gradient steps taken (mu, or 0 when every group was skipped). */
  steps: number;
  /** Global gradient norm before clipping, per step. */
  gradNorms: number[];
}

/** Per-iteration inputs, fixed before the first update. */
interface Iteration {
  input: tf.Tensor2D; // [R, L] masked rows
  mask: tf.Tensor2D; // [R, L] 1 at masked response positions
  oldLogp: tf.Tensor2D; // [R, L]
  refLogp: tf.Tensor2D; // [R, L]
}

/**
 * One UniGRPO update: mu gradient steps on the given groups. Zero-variance groups are skipped; the
 * others form one batch of R responses, and mean_i runs over all R (every kept group's responses).
 */
export async function unigrpoUpdate(opts: UnigrpoOptions): Promise<UnigrpoResult> {
  const allRewards = opts.groups.flatMap((g) => g.rewards);
  const meanReward = allRewards.length ? allRewards.reduce((a, r) => a + r, 0) / allRewards.length : 0;
  const batch = collectBatch(opts.groups, opts.advantage ?? "zscore");
  const result = { loss: 0, kl: 0, meanReward, skippedGroups: batch.skipped, clipFrac: 0, steps: 0, gradNorms: [] as number[] };
  if (batch.advantages.length === 0) return result;

  const rowCount = batch.advantages.length;
  const length = batch.rows.length / rowCount;
  const targets = tf.tensor2d(batch.rows, [rowCount, length], "int32");
  const advantages = tf.tensor2d(batch.advantages, [rowCount, 1]); // [R, 1]
  // Old-policy and reference log-probs for every iteration's mask, ONCE, before any update.
  const iterations: Iteration[] = maskRatios(opts.mu, opts.rng, opts.diffusionSteps).map((ratio) => {
    const masked = responseMasks(batch.responseMask, rowCount, ratio, opts.rng);
    const input = tf.tensor2d(applyMask(batch.rows, masked, opts.maskId), [rowCount, length], "int32");
    const mask = tf.tensor2d(masked, [rowCount, length], "float32");
    const logp = (fn: LogitsFn) => tf.tidy(() => tokenLogProbs(fn(input), targets, mask));
    return { input, mask, oldLogp: logp(opts.policyLogits), refLogp: logp(opts.refLogits) };
  });

  const trainable = Object.entries(opts.params).filter(([, v]) => v.trainable);
  try {
    for (const it of iterations) {
      let stats: tf.Tensor[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const terms = lossTerms(opts.policyLogits(it.input), targets, it, advantages, opts.eps, opts.beta);
        stats = [tf.keep(terms.kl), tf.keep(terms.clipFrac)];
        return terms.loss;
      }, trainable.map(([, v]) => v));
      // variableGrads keys by tf variable name; the optimizer expects the Params keys.
      const named: Record<string, tf.Tensor> = {};
      for (const [key, v] of trainable) if (grads[v.name]) named[key] = grads[v.name]!;
      const clipped = clipByGlobalNorm(named, opts.clip ?? DEFAULT_GRAD_CLIP);
      if (!Number.isFinite(clipped.norm)) {
        const loss = value.dataSync()[0]!;
        tf.dispose([value, ...stats, ...Object.values(grads), ...Object.values(clipped.grads)]);
        // nothing was applied to the weights: the caller's last checkpoint is still good
        throw new NonFiniteLossError(result.steps, loss, clipped.norm, {});
      }
      opts.optimizer.step(clipped.grads, opts.lr);
      const [loss, kl, clipFrac] = await Promise.all([value, ...stats].map(async (t) => (await t.data())[0]!));
      tf.dispose([value, ...stats, ...Object.values(grads), ...Object.values(clipped.grads)]);
      result.loss += loss! / iterations.length;
      result.kl += kl! / iterations.length;
      result.clipFrac += clipFrac! / iterations.length;
      result.gradNorms.push(clipped.norm);
      result.steps++;
    }
  } finally {
    tf.dispose([targets, advantages, ...iterations.flatMap((it) => [it.input, it.mask, it.oldLogp, it.refLogp])]);
  }
  return result;
}

/**
 * loss = -mean_i mean_{masked t} (min(rho*A, clip(rho)*A) - beta*kl), rho = exp(lp - lp_old),
 * kl = exp(lp_ref - lp) - (lp_ref - lp) - 1 (the k3 estimator). Means over masked tokens, not sums.
 */
function lossTerms(
  logits: tf.Tensor3D,
  targets: tf.Tensor2D,
  it: Iteration,
  advantages: tf.Tensor2D,
  eps: number,
  beta: number,
): { loss: tf.Scalar; kl: tf.Scalar; clipFrac: tf.Scalar } {
  const lp = tokenLogProbs(logits, targets, it.mask); // [R, L], 0 off the mask
  const rho = tf.exp(tf.sub(lp, it.oldLogp)); // [R, L]
  const surrogate = tf.minimum(tf.mul(rho, advantages), tf.mul(tf.clipByValue(rho, 1 - eps, 1 + eps), advantages));
  const logRatioRef = tf.sub(it.refLogp, lp);
  const kl = tf.sub(tf.sub(tf.exp(logRatioRef), logRatioRef), 1); // [R, L]
  const perToken = tf.sub(surrogate, tf.mul(kl, beta));
  const counts = tf.maximum(tf.sum(it.mask, 1), 1); // [R]
  const meanOverMasked = (t: tf.Tensor) => tf.mean(tf.div(tf.sum(tf.mul(t, it.mask), 1), counts)); // mean_i mean_t
  // PPO's clip is active where the clipped branch wins: rho above 1+eps with A > 0, or below 1-eps with A < 0.
  const clippedHigh = tf.logicalAnd(tf.greater(rho, 1 + eps), tf.greater(advantages, 0));
  const clippedLow = tf.logicalAnd(tf.less(rho, 1 - eps), tf.less(advantages, 0));
  const clipped = tf.mul(tf.cast(tf.logicalOr(clippedHigh, clippedLow), "float32"), it.mask);
  return {
    loss: tf.neg(meanOverMasked(perToken)) as tf.Scalar,
    kl: meanOverMasked(kl) as tf.Scalar,
    clipFrac: tf.div(tf.sum(clipped), tf.maximum(tf.sum(it.mask), 1)) as tf.Scalar,
  };
}

/** Concatenate the non-skipped groups into one batch of R rows, with per-row advantages. */
function collectBatch(groups: Group[], mode: AdvantageMode): { rows: Int32Array; responseMask: Uint8Array; advantages: number[]; skipped: number } {
  const kept: Group[] = [];
  const advantages: number[] = [];
  let skipped = 0;
  let length: number | undefined;
  groups.forEach((g, i) => {
    const size = g.rewards.length;
    if (size === 0 || g.rows.length % size !== 0 || g.responseMask.length !== g.rows.length) {
      throw new Error(
        `unigrpoUpdate: group ${i} has ${g.rows.length} row ids, ${g.responseMask.length} mask entries and ${size} rewards; ` +
          "rows and responseMask must both be [G * L] for G = rewards.length",
      );
    }
    const l = g.rows.length / size;
    if (length !== undefined && l !== length) {
      throw new Error(`unigrpoUpdate: group ${i} has rows of length ${l}, group 0 of ${length}; all rows must share L`);
    }
    length = l;
    const a = groupAdvantages(g.rewards, mode);
    if (a === null) skipped++;
    else {
      kept.push(g);
      advantages.push(...a);
    }
  });
  const concat = <T extends Int32Array | Uint8Array>(parts: T[], make: (n: number) => T): T => {
    const out = make(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0);
    return out;
  };
  return {
    rows: concat(kept.map((g) => g.rows), (n) => new Int32Array(n)),
    responseMask: concat(kept.map((g) => g.responseMask), (n) => new Uint8Array(n)),
    advantages,
    skipped,
  };
}
