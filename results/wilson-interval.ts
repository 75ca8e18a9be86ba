// The 95% Wilson score interval of an accuracy measured on n items (Wilson 1927). Benchmarks here ask
// a handful of items (4 in the smoke pipeline, tens in mmada-tiny), where the normal approximation
// p ± z·sqrt(p(1-p)/n) collapses to [p, p] at 0 and 1; Wilson's interval stays inside [0, 1] and is
// honest about how little a 0/4 says. One home for the CLI, the UI and the exported report.

/** z of a two-sided 95% interval (the 0.975 quantile of the standard normal). */
export const Z_95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/** The interval of `successes` out of `n`; undefined when n is not a positive count. */
export function wilsonInterval(successes: number, n: number, z = Z_95): Interval | undefined {
  if (!Number.isInteger(n) || n <= 0 || !(successes >= 0 && successes <= n)) return undefined;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const halfWidth = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - halfWidth), high: Math.min(1, centre + halfWidth) };
}

/**
 * The interval of an accuracy recorded as a fraction of n items. The fraction is rounded back to a
 * whole number of correct items (it was one, before the division); undefined without a known count.
 */
export function accuracyInterval(accuracy: number, n: number | undefined): Interval | undefined {
  if (n === undefined || !Number.isFinite(accuracy) || accuracy < 0 || accuracy > 1) return undefined;
  return wilsonInterval(Math.round(accuracy * n), n);
}
