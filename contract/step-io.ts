// What the step runner hands a step and what a step hands back: references, never data.
import type { ArtifactRef, MetricPoint } from "./artifacts.ts";
import type { PlanStep, PlanValue } from "./plan.ts";

/** The one input object of the step activity. */
export interface StepInput {
  runId: string;
  executionId: string;
  step: PlanStep;
  /** `with` with every OutputRef replaced by its ArtifactRef. Strings may still name step outputs
   *  (`${{ steps.<id>.outputs.<name> }}`): the runner substitutes their absolute paths from `refs`. */
  with: { [key: string]: PlanValue | ArtifactRef };
  /** Every step output named inside a string of `with`, by `templateKey` (contract/template.ts). */
  refs: { [key: string]: ArtifactRef };
  /** Attempt number (1-based) of this activity execution. */
  attempt?: number;
  /** Workspace-relative folder for this step's checkpoints, keyed by its cache key: a retry, another
   *  worker or a resumed run with the same cache key finds the newest valid checkpoint there. */
  checkpointDir: string;
}

/** What every step returns. */
export interface StepResult {
  artifacts: { [output: string]: ArtifactRef };
  metrics: MetricPoint[];
  /** Checkpoints written during the step (recorded at the end when the worker could not record
   *  them as they were written). */
  checkpoints?: { step: number; artifact: ArtifactRef }[];
}

/** What a failed or cancelled step's failure carries besides its message. */
export interface StepFailureDetails {
  /** Checkpoints written before it ended (a resumed run continues from them). */
  checkpoints: NonNullable<StepResult["checkpoints"]>;
}

/** Heartbeat details of long steps; `checkpoint` lets a retry resume from it. */
export interface StepProgress {
  /** Plan step id (set by the step runner). */
  stepId?: string;
  attempt?: number;
  /** Who runs this attempt (`host:pid`), recorded in the run database. */
  worker?: string;
  percent?: number;
  message?: string;
  /** Training step reached. */
  step?: number;
  totalSteps?: number;
  checkpoint?: ArtifactRef;
}
