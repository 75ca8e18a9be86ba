// Step states and run statuses: defined once, spoken by the workflow, the run database and the CLI.

export const STEP_STATES = ["pending", "running", "succeeded", "cached", "failed", "skipped", "cancelled"] as const;
export type StepState = (typeof STEP_STATES)[number];

export const RUN_STATUSES = ["running", "succeeded", "failed", "cancelled"] as const;
export type RunState = (typeof RUN_STATUSES)[number];

/** States whose outputs dependents may use. */
export const DONE_STATES: readonly StepState[] = ["succeeded", "cached"];
/** States a step never leaves. */
export const FINAL_STATES: readonly StepState[] = ["succeeded", "cached", "failed", "skipped", "cancelled"];

export function isDone(s: StepState): boolean {
  return DONE_STATES.includes(s);
}

export function isFinal(s: StepState): boolean {
  return FINAL_STATES.includes(s);
}
