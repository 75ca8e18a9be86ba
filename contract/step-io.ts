// What the step runner hands a step and what a step hands back: references (path + content hash)
// to artifacts, never the data itself; metrics; and the step's report of itself.
import type { PlanStep } from "./plan.ts";
import type { ArtifactRef, StepOutputs } from "./with-value.ts";

/** The one input object of the step activity. */
export interface StepInput {
  /** The workspace of the run: a worker of another workspace refuses the step. */
  workspaceId: string;
  runId: string;
  executionId: string;
  step: PlanStep;
  /** The outputs of the steps it needs (by plan id): the runner binds `step.with` to them. */
  upstream: StepOutputs;
  /** Workspace-relative folder for this step's checkpoints, keyed by its cache key: a retry, another
   *  worker or a resumed run with the same cache key finds the newest valid checkpoint there. */
  checkpointDir: string;
  /** The workspace's store ("local", or s3://bucket/prefix): a worker of another store refuses the
   *  step, so its outputs never land anywhere else. Absent in runs recorded before stores had urls. */
  store?: string;
  /** A branch of a search (plan.search) runs in parts: this part stops after `until` of its training
   *  steps, resuming from its newest checkpoint at or before that; `rungs` are every step at which
   *  the branch is judged, whose checkpoints are kept. Absent: the step runs to its end. */
  budget?: StepBudget;
}

export interface StepBudget {
  until: number;
  rungs: number[];
}

/** What a step kind's run function returns. */
export interface StepResult {
  artifacts: { [output: string]: ArtifactRef };
  metrics: MetricPoint[];
}

/** A checkpoint a step wrote (step-<n>.ckpt in its checkpoint folder). */
export interface CheckpointFact {
  step: number;
  artifact: ArtifactRef;
}

/** Where a step is: what its progress bar and ETA show. */
export interface StepProgress {
  percent?: number;
  message?: string;
  /** Training step reached. */
  step?: number;
  totalSteps?: number;
}

/**
 * What a step reports of itself: the one route of its facts to the run database. The step runner
 * sends it as the heartbeat details while the step runs (the database owner reads them from
 * Temporal) and returns it with the result, or the failure, when it ends; the owner records it
 * with one function either way, so a step too short for any heartbeat still names its worker.
 */
export interface StepReport {
  /** Plan step id. */
  stepId: string;
  /** Attempt number (1-based) and the worker running it (`host:pid`). */
  attempt: number;
  worker: string;
  /** The newest checkpoints written so far (at most REPORTED_CHECKPOINTS), oldest first; a retry
   *  carries its earlier attempts' on. */
  checkpoints: CheckpointFact[];
  progress: StepProgress;
}

/** How the run database names a checkpoint of training step `step` ("step-300"), and back. */
export const checkpointLabel = (step: number): string => `step-${step}`;
export const checkpointStepOf = (label: string): number => Number(label.replace(/^step-/, ""));

/** A report names this many of the newest checkpoints, so a long training's heartbeats stay small;
 *  the owner reads them every second, while each checkpoint is still among them. */
export const REPORTED_CHECKPOINTS = 16;

/** What the step activity returns. */
export interface StepOutcome extends StepResult {
  report: StepReport;
}

/** What a failed or cancelled step's failure carries besides its message. */
export interface StepFailureDetails {
  report: StepReport;
}

export interface MetricPoint {
  key: string;
  value: number;
  /** Training step (or evaluation index); absent for final metrics. */
  step?: number;
}

export type { ArtifactRef };
export { isArtifactRef } from "./with-value.ts";
