// The workflow's interface: its input, its status query and cancel signal, and the activities it
// calls; and the step states and run statuses, defined once. The workflow (workflows/), the engine
// that implements the activities (engine/), the run database and the CLI all speak these types, so
// neither imports the other.
import type { ArtifactRef, StepInput, StepOutcome, StepReport, StepResult } from "./step-io.ts";
import type { Plan, PlanStep } from "./plan.ts";
import type { StepOutputs } from "./with-value.ts";

export const WORKFLOW_TYPE = "runPipeline";
export const STATUS_QUERY = "status";

export interface RunPipelineInput {
  runId: string;
  plan: Plan;
  specText: string;
  /** The workspace the run belongs to: its steps go to its task queues only. Runs started by an
   *  older version lack it; the workflow reads it from `dbQueue` then. */
  workspaceId?: string;
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
  /** The outputs of the steps it needs (by plan id): its `with` is bound to them. */
  upstream: StepOutputs;
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
  /** Outputs and metrics of a step that succeeded. */
  result?: StepResult;
  /** What the step reported of itself when it ended (worker, attempt, checkpoints), also on failure. */
  report?: StepReport;
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
  runStep(input: StepInput): Promise<StepOutcome>;
}

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
