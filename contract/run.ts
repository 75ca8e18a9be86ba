// The workflow's interface: its input, its status query and cancel signal, and the activities it
// calls. The workflow (workflows/) and the engine that implements the activities (engine/) both
// speak these types, so neither imports the other.
import type { ArtifactRef } from "./artifacts.ts";
import type { Plan, PlanStep } from "./plan.ts";
import type { RunState, StepState } from "./states.ts";
import type { StepInput, StepResult } from "./step-io.ts";

export const WORKFLOW_TYPE = "runPipeline";
export const STATUS_QUERY = "status";

export interface RunPipelineInput {
  runId: string;
  plan: Plan;
  specText: string;
  /** Task queue served by the process that owns the run database. */
  dbQueue: string;
  resumedFrom?: string;
  gitCommit?: string;
  noCache?: boolean;
  /** Step ids (plan ids or spec ids) to run even when cached. */
  force?: string[];
}

export interface StepStatus {
  id: string;
  uses: string;
  status: StepState;
  error?: string;
  startedAt?: number;
  finishedAt?: number;
  cachedFrom?: string;
}

export interface RunStatus {
  runId: string;
  status: RunState;
  steps: StepStatus[];
  error?: string;
}

export interface StartRunInput {
  runId: string;
  workflowId: string;
  plan: Plan;
  specText: string;
  resumedFrom?: string;
  gitCommit?: string;
}

export interface PrepareStepInput {
  runId: string;
  executionId: string;
  step: PlanStep;
  with: Record<string, unknown>;
  refs: Record<string, ArtifactRef>;
  noCache: boolean;
}

export interface PreparedStep {
  cacheKey: string;
  checkpointDir: string;
  cached?: { executionId: string; outputs: Record<string, ArtifactRef> };
}

export interface FinishStepInput {
  executionId: string;
  state: StepState;
  result?: StepResult;
  error?: string;
}

export interface FinishRunInput {
  runId: string;
  status: Exclude<RunState, "running">;
  error?: string;
}

/** Run-database bookkeeping, served by the process that owns the database. */
export interface DbActivities {
  startRun(i: StartRunInput): Promise<void>;
  prepareStep(i: PrepareStepInput): Promise<PreparedStep>;
  finishStep(i: FinishStepInput): Promise<void>;
  finishRun(i: FinishRunInput): Promise<void>;
}

/** The work of one step, served by workers on the step's queue. */
export interface StepActivities {
  runStep(input: StepInput): Promise<StepResult>;
}
