// Names the user chose (steps, params, kinds): looked up safely (`own`: a step called `constructor`
// is just an unknown name, not an Object.prototype member), and "did you mean 'x'?" for unknown
// ones: the closest candidate by edit distance, if close enough to be a plausible typo (Kedro-style:
// a wrong name is usually one or two keystrokes away).
// Names are compared without case and without `-`/`_` first: `prepare_data`, `Prepare-Data` and
// `prepareData` all mean `prepare-data`, however far apart they are in keystrokes.

/** Damerau-Levenshtein distance (Lowrance-Wagner): insert, delete, substitute and swapping two
 *  neighbours each cost 1, and edits may follow a swap (`ca` -> `abc` is 2). */
export function editDistance(a: string, b: string): number {
  const INF = a.length + b.length;
  // d[i + 1][j + 1] = distance between a[0, i) and b[0, j); row/column 0 are the INF sentinel.
  const d: number[][] = Array.from({ length: a.length + 2 }, (_, i) =>
    Array.from({ length: b.length + 2 }, (_, j) => (i === 0 || j === 0 ? INF : i === 1 ? j - 1 : j === 1 ? i - 1 : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? INF;
  const lastRow = new Map<string, number>(); // char -> last row of a where it occurred
  for (let i = 1; i <= a.length; i++) {
    let lastCol = 0; // last column of b that matched a[i - 1] in this row
    for (let j = 1; j <= b.length; j++) {
      const k = lastRow.get(b[j - 1] as string) ?? 0;
      const l = lastCol;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      if (cost === 0) lastCol = j;
      (d[i + 1] as number[])[j + 1] = Math.min(
        at(i, j) + cost,
        at(i + 1, j) + 1,
        at(i, j + 1) + 1,
        at(k, l) + (i - k - 1) + 1 + (j - l - 1),
      );
    }
    lastRow.set(a[i - 1] as string, i);
  }
  return at(a.length + 1, b.length + 1);
}

/** A typo may change about a third of a name (at least one character). */
const MAX_TYPO_FRACTION = 1 / 3;

/** The part of a name that carries its meaning: no case, no word separators. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, "");
}

/** The closest candidate within typo distance (ties: the first in sorted order), or undefined. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const norm = normalize(name);
  const limit = Math.max(1, Math.floor(norm.length * MAX_TYPO_FRACTION));
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of [...candidates].sort()) {
    if (c === name) continue;
    const cn = normalize(c);
    // The distance is at least the difference in length: skip the table for hopeless pairs
    // (a hostile spec may hold a name of a million characters).
    if (Math.abs(cn.length - norm.length) > limit) continue;
    // Same name up to case and separators: closer than any typo.
    const d = cn === norm ? 0.5 : editDistance(norm, cn);
    // Replacing a whole name is not a typo ('z' is not a misspelt 'a').
    if (d <= limit && d < Math.max(norm.length, cn.length) && d < bestDist) {
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

export function own<T>(record: { [key: string]: T }, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
