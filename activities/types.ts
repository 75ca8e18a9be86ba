// Shared data shapes between the workflow, the step activities and the run database.
// Type-only: no runtime imports, so workflows/ may `import type` it.
import type { PlanStep, PlanValue } from "../pipelines/plan.ts";

/** A content-addressed artifact: activities pass these, never the data itself. */
export interface ArtifactRef {
  /** Content hash (sha256 hex) of the file, or of the directory manifest for directories. */
  sha256: string;
  /** Path relative to the workspace root (MMADA_HOME), e.g. `artifacts/ab/abcd…/model.ckpt`. */
  uri: string;
  /** Artifact kind: file, dir, dataset, tokens, tokenizer, vq, checkpoint, classifier, report, ... */
  kind: string;
  size: number;
  /** Optional small, JSON-serialisable facts (counts, shapes). */
  meta?: { [key: string]: string | number | boolean };
}

export interface MetricPoint {
  key: string;
  value: number;
  /** Training step (or evaluation index); absent for final metrics. */
  step?: number;
}

/** What every step activity returns. */
export interface StepResult {
  artifacts: { [output: string]: ArtifactRef };
  metrics: MetricPoint[];
  /** Checkpoints written during the step (recorded in the run database at the end when the worker
   *  could not record them as they were written). */
  checkpoints?: { step: number; artifact: ArtifactRef }[];
}

/** Heartbeat details of long steps; `checkpoint` lets a retry resume from it. */
export interface StepProgress {
  /** Plan step id (set by the step runner). */
  stepId?: string;
  attempt?: number;
  percent?: number;
  message?: string;
  /** Training step reached. */
  step?: number;
  totalSteps?: number;
  checkpoint?: ArtifactRef;
}

/** The one input object of a step activity. */
export interface StepInput {
  runId: string;
  executionId: string;
  step: PlanStep;
  /** `with` with every OutputRef replaced by its ArtifactRef. Strings may still hold
   *  `${{ steps.<id>.outputs.<name> }}` templates: the activity substitutes absolute paths from `refs`. */
  with: { [key: string]: PlanValue | ArtifactRef };
  /** Every step output this step references, by `steps.<id>.outputs.<name>`. */
  refs: { [expr: string]: ArtifactRef };
  /** Attempt number (1-based) of this activity execution. */
  attempt?: number;
  /** Workspace-relative folder for this step's checkpoints, keyed by its cache key: a retry, another
   *  worker or a resumed run with the same cache key finds the newest valid checkpoint there. */
  checkpointDir: string;
}

export type StepState = "pending" | "running" | "succeeded" | "cached" | "failed" | "skipped" | "cancelled";
export type RunState = "running" | "succeeded" | "failed" | "cancelled";
