// McNemar's test for the change of an accuracy between two stages asked the SAME items (McNemar
// 1947): only the discordant items carry information, b = right before and wrong after ("lost"),
// c = wrong before and right after ("gained"). Under "no change" each discordant item goes either
// way with probability 1/2, so the exact two-sided p-value is the binomial tail
// p = min(1, 2 * sum_{k <= min(b, c)} C(b + c, k) / 2^(b + c)). Exact rather than the chi-square
// approximation because benchmarks here flip a few to a few tens of items.

export interface PairedChange {
  /** Items asked at both stages. */
  n: number;
  /** Correct before / after, out of n. */
  before: number;
  after: number;
  /** Right before, wrong after. */
  lost: number;
  /** Wrong before, right after. */
  gained: number;
  /** Exact two-sided McNemar p-value (1 when nothing changed). */
  pValue: number;
}

/** Exact two-sided McNemar p-value of b items lost and c gained. */
export function mcnemarExact(b: number, c: number): number {
  if (!(Number.isInteger(b) && Number.isInteger(c) && b >= 0 && c >= 0)) {
    throw new Error(`mcnemarExact: discordant counts must be non-negative integers (got b=${b}, c=${c})`);
  }
  const n = b + c;
  if (n === 0) return 1;
  // sum of C(n, k) / 2^n for k = 0..min(b, c), in logs so n in the thousands does not overflow
  let logTerm = -n * Math.LN2; // log(C(n, 0) / 2^n)
  let tail = Math.exp(logTerm);
  for (let k = 1; k <= Math.min(b, c); k++) {
    logTerm += Math.log((n - k + 1) / k);
    tail += Math.exp(logTerm);
  }
  return Math.min(1, 2 * tail);
}

/** The paired change between two per-item correctness lists of the same items, in the same order. */
export function pairedChange(before: readonly boolean[], after: readonly boolean[]): PairedChange {
  if (before.length !== after.length) {
    throw new Error(`pairedChange: ${before.length} items before and ${after.length} after; pair the same items`);
  }
  let lost = 0;
  let gained = 0;
  let right0 = 0;
  let right1 = 0;
  before.forEach((b, i) => {
    const a = after[i]!;
    if (b) right0++;
    if (a) right1++;
    if (b && !a) lost++;
    if (!b && a) gained++;
  });
  return { n: before.length, before: right0, after: right1, lost, gained, pValue: mcnemarExact(lost, gained) };
}

/**
 * Pairs two stages' items by id (the evaluate step names every item it asks, e.g. `gsm8k/17`):
 * items asked at only one stage are left out, so n says how many were compared.
 */
export function pairedChangeById(before: ReadonlyMap<string, boolean>, after: ReadonlyMap<string, boolean>): PairedChange {
  const ids = [...before.keys()].filter((id) => after.has(id));
  return pairedChange(ids.map((id) => before.get(id)!), ids.map((id) => after.get(id)!));
}
