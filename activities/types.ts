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
}

/** Heartbeat details of long steps; `checkpoint` lets a retry resume from it. */
export interface StepProgress {
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
  /** `with` with every reference replaced: OutputRef -> ArtifactRef, templates -> strings. */
  with: { [key: string]: PlanValue | ArtifactRef };
  /** A checkpoint to continue from (a previous attempt or a resumed run). */
  resumeFrom?: ArtifactRef;
}

export type StepState = "pending" | "running" | "succeeded" | "cached" | "failed" | "skipped" | "cancelled";
export type RunState = "running" | "succeeded" | "failed" | "cancelled";
