// Failures that retrying cannot fix. A step throws a StepFailure; the step runner turns it into a
// non-retryable Temporal failure of the same type, which the workflow, the run database and the
// CLI show. Any other error is treated as transient and retried by the step's retry policy.

export const FAILURE_TYPES = [
  /** The user must change the spec or the data. */
  "BadInput",
  /** Training diverged (NaN / Inf); the last good checkpoint is kept. */
  "NonFiniteLoss",
  /** A path resolved outside the workspace or the project. */
  "PathEscape",
  /** A checkpoint file is unreadable or does not fit the step. */
  "Checkpoint",
  /** The disk that holds the workspace is full: retrying would fill it again; free space, then resume. */
  "DiskFull",
] as const;
export type FailureType = (typeof FAILURE_TYPES)[number];

export class StepFailure extends Error {
  constructor(
    readonly type: FailureType,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** Bad input the user must fix (a missing input, a record that does not fit, a wrong artifact). */
export class BadInputError extends StepFailure {
  constructor(message: string) {
    super("BadInput", message);
  }
}
