// "did you mean 'x'?" for unknown names: the closest candidate by edit distance, if close enough
// to be a plausible typo (Kedro-style: a wrong name is usually one or two keystrokes away).

/** Edit distance where insert, delete, substitute and swapping two neighbours each cost 1
 *  (optimal string alignment): `stpes` is one typo away from `steps`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** A typo may change about a third of a name (at least one character). */
const MAX_TYPO_FRACTION = 1 / 3;

/** The closest candidate within typo distance (ties: the first in sorted order), or undefined. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length * MAX_TYPO_FRACTION));
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of [...candidates].sort()) {
    if (c === name) continue;
    const lower = c.toLowerCase() === name.toLowerCase();
    const d = lower ? 0.5 : editDistance(name, c);
    // Replacing a whole name is not a typo ('z' is not a misspelt 'a').
    if (d <= limit && d < Math.max(name.length, c.length) && d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

/** The hint text for a SpecError, or undefined when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const c = closest(name, candidates);
  return c === undefined ? undefined : `did you mean '${c}'?`;
}
