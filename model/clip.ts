// Global gradient-norm clipping (docs/mmada.md §3: clip 1.0), torch.nn.utils.clip_grad_norm_ semantics:
// scale = min(1, maxNorm / (norm + 1e-6)) applied to every gradient. The norm comes back as a host
// number because the train loop must check it for NaN/Inf before applying any update.
import * as tf from "@tensorflow/tfjs-core";

/** Added to the norm before dividing, as in PyTorch, so tiny norms do not blow up the scale. */
const NORM_EPS = 1e-6;

/** Global L2 norm over all gradients (one device read). */
export function globalNorm(grads: Record<string, tf.Tensor>): number {
  const list = Object.values(grads);
  if (list.length === 0) return 0;
  const sq = tf.tidy(() => tf.addN(list.map((g) => tf.sum(tf.square(tf.cast(g, "float32"))))));
  const total = sq.dataSync()[0]!;
  sq.dispose();
  return Math.sqrt(total);
}

/** The factor clipping applies for a global norm: min(1, maxNorm / (norm + 1e-6)); 1 when disabled. */
export function clipScale(norm: number, maxNorm: number): number {
  const enabled = maxNorm > 0 && Number.isFinite(maxNorm);
  return enabled ? Math.min(1, maxNorm / (norm + NORM_EPS)) : 1;
}

/**
 * Returns NEW gradient tensors scaled so that their global norm is at most maxNorm, and the norm
 * before clipping. maxNorm <= 0 or Infinity disables clipping (the norm is still measured). The
 * input gradients are not disposed; the caller owns both sets. A non-finite norm is returned as is
 * (the scaled gradients are then meaningless: check `Number.isFinite(norm)` before using them).
 */
export function clipByGlobalNorm(
  grads: Record<string, tf.Tensor>,
  maxNorm: number,
): { grads: Record<string, tf.Tensor>; norm: number } {
  const norm = globalNorm(grads);
  const scale = clipScale(norm, maxNorm);
  const out: Record<string, tf.Tensor> = {};
  for (const [name, g] of Object.entries(grads)) {
    out[name] = scale === 1 ? tf.clone(g) : tf.mul(g, scale);
  }
  return { grads: out, norm };
}
