// The two masking rules of docs/mmada.md §2, and the per-position loss weights that carry each task's
// normalisation, so the loss is one weighted sum of cross-entropies at masked positions:
//   t2i  (MaskGIT)  u ~ U(0,1), mask exactly max(1, round(N cos(pi/2 u))) image tokens by random
//                   permutation; caption never masked; weight 1 / (masked image positions in the batch).
//   text (LLaDA)    t ~ U(0,1), p = (1 - eps) t + eps; mask each ROLE_ANSWER token with prob p;
//                   lm weight 1 / (p B_lm L); mmu and chat weight 1 / (p answer_len B_slice), where
//                   answer_len counts the answer INCLUDING its EOS padding.
// B_slice is the number of rows of the slice the row belongs to: the reference computes each loss on
// its own slice of the batch [t2i | lm | mmu]. Chat / chain-of-thought rows sit in the lm slice
// (chatSlice "lm", the reference: lm and chat rows share one mean and c_lm) or, as an option, in a
// slice of their own ("own": their own mean, coefficient c_chat, by default c_mmu).
import { type Layout, ROLE_ANSWER, ROLE_IMAGE, type Task, TASKS } from "./layouts.ts";
import type { Rng } from "./rng.ts";
import { MASK_ID } from "./vocab.ts";

/** MaskGIT's cosine schedule: the fraction of image tokens to mask for u in [0, 1). */
export function maskgitRatio(u: number): number {
  return Math.cos((Math.PI / 2) * u);
}

/** How many of n image tokens MaskGIT masks for a draw u: round(n * ratio), at least 1. */
export function maskgitCount(n: number, u: number): number {
  return Math.min(n, Math.max(1, Math.round(n * maskgitRatio(u))));
}

/** LLaDA's per-sample masking probability p = (1 - eps) t + eps. */
export function lladaMaskProb(t: number, eps: number): number {
  return (1 - eps) * t + eps;
}

export interface MaskedBatch {
  batch: number;
  length: number;
  /** [B * L] model input: clean ids with the masked positions set to MASK_ID. */
  inputIds: Int32Array;
  /** [B * L] clean ids (the targets; only masked positions count). */
  labels: Int32Array;
  /** [B * L] 1 where a position is masked (and so carries loss). */
  masked: Uint8Array;
  /** [B * L] loss weight per position (0 where not masked): the task normalisation above. */
  weights: Float32Array;
  /** [B] the task of each row. */
  tasks: Task[];
  /** [B] masking probability per row (t2i: the MaskGIT ratio, masked / N). */
  maskProb: Float32Array;
  /** Which slice the chat rows were normalised with (loss.ts picks their coefficient by it). */
  chatSlice: ChatSlice;
}

/** Where chat / chain-of-thought rows go: the lm slice (the reference) or a slice of their own. */
export const CHAT_SLICES = ["lm", "own"] as const;
export type ChatSlice = (typeof CHAT_SLICES)[number];

export interface MaskOptions {
  /** Default "lm" (docs/mmada.md §2). */
  chatSlice?: ChatSlice;
}

/** Masks a batch of equal-length layouts in row order, drawing everything from `rng`. */
export function maskBatch(layouts: readonly Layout[], rng: Rng, eps: number, opts: MaskOptions = {}): MaskedBatch {
  const chatSlice = opts.chatSlice ?? "lm";
  if (layouts.length === 0) throw new Error("maskBatch: the batch is empty; pass at least one layout");
  const length = layouts[0]!.ids.length;
  layouts.forEach((l, b) => {
    if (l.ids.length !== length) throw new Error(`maskBatch: row ${b} (${l.task}) has length ${l.ids.length}, row 0 has ${length}; every task must use the same L`);
  });
  const batch = layouts.length;
  const out: MaskedBatch = {
    batch,
    length,
    inputIds: new Int32Array(batch * length),
    labels: new Int32Array(batch * length),
    masked: new Uint8Array(batch * length),
    weights: new Float32Array(batch * length),
    tasks: layouts.map((l) => l.task),
    maskProb: new Float32Array(batch),
    chatSlice,
  };
  const rowsOf = Object.fromEntries(TASKS.map((t) => [t, out.tasks.filter((x) => x === t).length])) as Record<Task, number>;
  // Rows of the slice each task's rows are averaged over.
  const slice: Record<Task, number> = { ...rowsOf };
  if (chatSlice === "lm") slice.lm = slice.chat = rowsOf.lm + rowsOf.chat;
  const t2iRows: number[] = [];

  layouts.forEach((layout, b) => {
    const off = b * length;
    out.labels.set(layout.ids, off);
    out.inputIds.set(layout.ids, off);
    const rowMask = out.masked.subarray(off, off + length);
    if (layout.task === "t2i") {
      out.maskProb[b] = maskImage(layout, rng, rowMask);
      t2iRows.push(b);
      return;
    }
    const p = lladaMaskProb(rng.uniform(), eps);
    out.maskProb[b] = p;
    let answerLen = 0;
    for (let i = 0; i < length; i++) {
      if (layout.roles[i] !== ROLE_ANSWER) continue;
      answerLen++;
      if (rng.uniform() < p) rowMask[i] = 1;
    }
    // lm normalises by every position of the row; mmu/chat by the answer length of the row.
    const w = layout.task === "lm" ? 1 / (p * slice.lm * length) : 1 / (p * answerLen * slice[layout.task]);
    for (let i = 0; i < length; i++) if (rowMask[i]) out.weights[off + i] = w;
  });

  // t2i: plain mean over all masked image positions of the t2i rows.
  let t2iMasked = 0;
  for (const b of t2iRows) for (let i = 0; i < length; i++) t2iMasked += out.masked[b * length + i]!;
  for (const b of t2iRows) for (let i = 0; i < length; i++) if (out.masked[b * length + i]) out.weights[b * length + i] = 1 / t2iMasked;

  for (let k = 0; k < out.masked.length; k++) if (out.masked[k]) out.inputIds[k] = MASK_ID;
  return out;
}

/** MaskGIT masking of the ROLE_IMAGE positions of one row; returns the masked fraction. */
function maskImage(layout: Layout, rng: Rng, rowMask: Uint8Array): number {
  const positions: number[] = [];
  layout.roles.forEach((r, i) => {
    if (r === ROLE_IMAGE) positions.push(i);
  });
  if (positions.length === 0) throw new Error("maskBatch: a t2i row has no image positions; build it with t2iLayout");
  const count = maskgitCount(positions.length, rng.uniform());
  const order = rng.permutation(positions.length);
  for (let k = 0; k < count; k++) rowMask[positions[order[k]!]!] = 1;
  return count / positions.length;
}
