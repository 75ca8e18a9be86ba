// What Temporal accepts for a step's timeouts and retry interval. The compiler reports a spec value
// outside these limits at its line:col (pipelines/durations.ts); the workflow checks its plan against
// them again before scheduling anything, so a plan that did not come from the compiler fails the run
// with a clear error instead of failing every workflow task (BadScheduleActivityAttributes) forever.
import type { Plan } from "./plan.ts";

const HOUR_MS = 3_600_000;
const YEAR_MS = 8766 * HOUR_MS; // 365.25 days
/** The workflow hands Temporal whole milliseconds, and 0 means "not set": Temporal then refuses an
 *  activity without a start-to-close timeout, and a 0 retry interval is no interval. */
export const MIN_DURATION_MS = 1;
/** Timeouts: Temporal's Rust core (under the TypeScript SDK) never schedules an activity whose
 *  timeout exceeds 2^32 s, about 136 years, and the Go server holds durations as int64 nanoseconds
 *  (about 292 years). 100 years stays below both. */
export const MAX_TIMEOUT_MS = 100 * YEAR_MS;
/** retry.initialInterval: the plan sets no maximum interval, so the server derives one as 100 x the
 *  initial interval in int64 nanoseconds; above ~2.9 years that overflows and the server rejects the
 *  retry policy. 2 years stays below. */
export const MAX_RETRY_INTERVAL_MS = 2 * YEAR_MS;
export const MAX_ATTEMPTS = 1000;

/** Every problem that would make Temporal refuse to schedule a step of `plan`. */
export function planProblems(plan: Plan): string[] {
  const problems: string[] = [];
  if (!(Number.isInteger(plan.concurrency) && plan.concurrency >= 1)) problems.push(`concurrency ${plan.concurrency} must be a whole number >= 1`);
  const within = (what: string, ms: number, max: number) => {
    if (!(Number.isFinite(ms) && ms >= MIN_DURATION_MS && ms <= max)) problems.push(`${what} ${ms}ms is outside ${MIN_DURATION_MS}ms..${max}ms`);
  };
  for (const s of plan.steps) {
    within(`step ${s.id}: timeout`, s.timeoutMs, MAX_TIMEOUT_MS);
    within(`step ${s.id}: heartbeatTimeout`, s.heartbeatTimeoutMs, MAX_TIMEOUT_MS);
    within(`step ${s.id}: retry.initialInterval`, s.retry.initialIntervalMs, MAX_RETRY_INTERVAL_MS);
    if (!(Number.isInteger(s.retry.maximumAttempts) && s.retry.maximumAttempts >= 1 && s.retry.maximumAttempts <= MAX_ATTEMPTS)) {
      problems.push(`step ${s.id}: retry.maximumAttempts ${s.retry.maximumAttempts} must be a whole number in 1..${MAX_ATTEMPTS}`);
    }
    if (!(s.retry.backoffCoefficient >= 1)) problems.push(`step ${s.id}: retry.backoffCoefficient ${s.retry.backoffCoefficient} must be >= 1`);
  }
  return problems;
}
