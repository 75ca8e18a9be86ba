// Named random streams: each task and split draws from its own generator, derived from the seed
// and a stream name, so changing one count never changes the records of another task.
import { Rng } from "../../../model/rng.ts";

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
