// Cutting a pool of items into disjoint train/val/test by seed. The held-out splits are cut first
// and always get what they asked for (evaluation sizes must not shrink silently); train takes up
// to its request from what is left.
import type { Rng } from "../../model/rng.ts";
import { BadInputError } from "../../contract/failures.ts";
import type { Split, SplitSizes } from "../mmada/data/vocab.ts";

export interface SplitResult {
  /** Indices into the pool, per split; disjoint. */
  indices: { [s in Split]: number[] };
  /** True when train got fewer than requested because the pool ran out. */
  trainClamped: boolean;
}

/**
 * Shuffles 0..n-1 and cuts val, test, then train.
 * @param what names the pool and the fields to change, for the error a user sees.
 */
export function splitPool(rng: Rng, n: number, want: SplitSizes, what: { pool: string; fields: string }): SplitResult {
  const heldOut = want.val + want.test;
  if (heldOut > n || (want.train > 0 && heldOut === n)) {
    throw new BadInputError(
      `${what.pool} has ${n} items, too few for val ${want.val} + test ${want.test} + at least one train item; ` +
        `lower ${what.fields} or bring more data`,
    );
  }
  const order = rng.permutation(n);
  const val = order.slice(0, want.val);
  const test = order.slice(want.val, heldOut);
  const train = order.slice(heldOut, heldOut + want.train);
  return { indices: { train, val, test }, trainClamped: train.length < want.train };
}
