// The knowledge benchmark's tiny analogue (docs/mmada.md §6, MMLU/ARC -> masked-token NLL): held-out
// passages in the lm layout, exactly round(ratio * n) of their n text tokens masked at a few fixed
// ratios, and the mean negative log-likelihood of the clean tokens at the masked positions. BOS
// and the EOS padding are never masked: predicting padding is trivial and would flatter the score.
import * as tf from "@tensorflow/tfjs-core";
import { type LayoutContext, lmLayout } from "../../model/layouts.ts";
import { tokenLogProbs } from "../../model/loss.ts";
import type { Rng } from "../../model/rng.ts";
import type { LogitsFn } from "../../model/ops.ts";
import { applyMask, responseMasks } from "../../model/unigrpo.ts";
import { MASK_ID } from "../../model/vocab.ts";

/** Mask ratios the NLL is averaged over (low, middle and high noise levels of the diffusion). */
export const NLL_MASK_RATIOS = [0.25, 0.5, 0.75] as const;

export interface TextNll {
  /** Mean over the ratios of the per-token NLL (nats). */
  nll: number;
  /** Per ratio, mean NLL over all masked tokens. */
  byRatio: Record<string, number>;
  tokens: number;
}

/** Masked-token NLL of `texts` (passages that fit the lm layout), deterministic given `rng`. */
export async function textNll(logits: LogitsFn, ctx: LayoutContext, texts: readonly string[], rng: Rng, maxBatch: number): Promise<TextNll> {
  if (texts.length === 0) return { nll: Number.NaN, byRatio: {}, tokens: 0 };
  const length = ctx.length;
  const rows = new Int32Array(texts.length * length); // [B, L]
  const maskable = new Uint8Array(texts.length * length); // [B, L]
  texts.forEach((text, b) => {
    const layout = lmLayout(ctx, text);
    const n = ctx.tokenizer.encode(text).length;
    rows.set(layout.ids, b * length);
    maskable.fill(1, b * length + 1, b * length + 1 + n); // the text, after BOS
  });
  const byRatio: Record<string, number> = {};
  let tokens = 0;
  for (const ratio of NLL_MASK_RATIOS) {
    const masked = responseMasks(maskable, texts.length, ratio, rng);
    const input = applyMask(rows, masked, MASK_ID);
    let sum = 0;
    let count = 0;
    for (let lo = 0; lo < texts.length; lo += maxBatch) {
      const hi = Math.min(texts.length, lo + maxBatch);
      const part = tf.tidy(() => {
        const shape: [number, number] = [hi - lo, length];
        const lp = tokenLogProbs(
          logits(tf.tensor2d(input.subarray(lo * length, hi * length), shape, "int32")),
          tf.tensor2d(rows.subarray(lo * length, hi * length), shape, "int32"),
          tf.tensor2d(masked.subarray(lo * length, hi * length), shape, "float32"),
        ); // [b, L], 0 off the mask
        return tf.sum(lp);
      });
      sum -= (await part.data())[0]!;
      part.dispose();
      for (let k = lo * length; k < hi * length; k++) count += masked[k]!;
    }
    byRatio[String(ratio)] = sum / Math.max(1, count);
    tokens += count;
  }
  const values = Object.values(byRatio);
  return { nll: values.reduce((a, v) => a + v, 0) / values.length, byRatio, tokens };
}
