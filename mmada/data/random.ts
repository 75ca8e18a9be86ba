// Every random stream of the MMaDA library, derived from the run's seed, so no two uses share
// draws and each is a pure function of what it is for:
//   - named streams (`rngFor(seed, "cot/test")`): data generation and evaluation; each task and
//     split draws from its own, so changing one count never changes another task's records;
//   - numbered streams of training (`stepRng`, `valRng`, `orderRng`) and RL (`rlStepRng`):
//     everything random about step s comes from (seed, s) alone, so a resumed run draws exactly
//     what the uninterrupted run drew, with no generator state to carry over.
import { Rng } from "../../model/rng.ts";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a of a string: a stable, platform-independent stream id. */
function fnv1a(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h;
}

/** The generator of stream `name` (e.g. "cot/test") under `seed`. */
export function rngFor(seed: number, name: string): Rng {
  return new Rng((fnv1a(name) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
}

/** The numbered streams (their values are part of every result: changing one changes the runs).
 *  The VQ's batch order and the RL steps both use 11: they never meet in one model's training. */
const STREAM_STEP = 1;
const STREAM_ORDER = 2;
const STREAM_VAL = 3;
const STREAM_RL = 11;
const STREAM_VQ_BATCHES = 11;

/** A 32-bit hash of small integers (FNV-1a over the words, then an avalanche). */
export function hashSeed(...xs: number[]): number {
  let h = FNV_OFFSET;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), FNV_PRIME) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** The generator of training step `step`. */
export function stepRng(seed: number, step: number): Rng {
  return new Rng(hashSeed(seed, STREAM_STEP, step));
}

/** The generator of validation batch `index` (the same at every checkpoint, so losses compare). */
export function valRng(seed: number, index: number): Rng {
  return new Rng(hashSeed(seed, STREAM_VAL, index));
}

/** The permutation of a mix task's records in epoch `epoch`. */
export function orderRng(seed: number, task: number, epoch: number): Rng {
  return new Rng(hashSeed(seed, STREAM_ORDER, task, epoch));
}

/** A model's initial weights (the MMaDA model, the VQ tokenizer, the digit classifier): the seed itself. */
export function initRng(seed: number): Rng {
  return new Rng(seed);
}

/** The digit classifier's batches and shifts, one sequential stream (its training is not resumed). */
export function classifierBatchRng(seed: number): Rng {
  return new Rng(seed + 1);
}

/** The VQ tokenizer's batches, one sequential stream (its training is short and not resumed). */
export function vqBatchRng(seed: number): Rng {
  return new Rng(hashSeed(seed, STREAM_VQ_BATCHES));
}

/** Everything random about RL step `step`: prompts, sampling noise, masks. */
export function rlStepRng(seed: number, step: number): Rng {
  return new Rng(hashSeed(seed, STREAM_RL, step));
}

/** Uniform integer in [lo, hi]. */
export function intIn(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error("pick: empty list (a bug in the caller)");
  return items[rng.int(items.length)]!;
}

/**
 * Image indices 0..n-1 in a fresh random order per pass: a count larger than n uses every image
 * about equally often instead of repeating a few.
 */
export function imageCycle(rng: Rng, n: number): () => number {
  if (n <= 0) throw new Error("imageCycle: no images to draw from (a bug in the caller)");
  let order: number[] = [];
  let at = 0;
  return () => {
    if (at === order.length) {
      order = rng.permutation(n);
      at = 0;
    }
    return order[at++]!;
  };
}
