// The workflow's interface: its input, its status query and cancel signal, and the activities it
// calls; and the step states and run statuses, defined once. The workflow (workflows/), the engine
// that implements the activities (engine/), the run database and the CLI all speak these types, so
// neither imports the other.
import type { ArtifactRef, MetricPoint, StepInput, StepOutcome, StepReport, StepResult } from "./step-io.ts";
import type { Plan, PlanSearch, PlanStep } from "./plan.ts";
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
  /** Steps per chunk of a large plan (default CHUNK_STEPS, workflows/chunks.ts). */
  chunkSteps?: number;
  /** `resume --continue-stopped`: the search judges no branch; these stopped ones stay stopped (id ->
   *  why), every other branch runs to its full budget. */
  keepStopped?: { [stepId: string]: string };
}

/** A branch's metric at a rung, and what the search made of it. */
export interface RungDecision {
  /** Plan step id of the branch. */
  branch: string;
  /** Training steps done. */
  rung: number;
  value: number;
  /** 1-based rank among the branches compared there (best first), and how many were compared. */
  rank: number;
  of: number;
  decision: "promoted" | "stopped";
  reason: string;
}

export interface RecordRungInput {
  runId: string;
  executionId: string;
  metric: string;
  decision: RungDecision;
  /** Metric points of the part that reached the rung: they join the execution's metrics. */
  metrics: MetricPoint[];
  report: StepReport;
}

/** One chunk of a large run (workflows/chunks.ts), run as a child workflow of the run's own. */
export interface RunChunkInput {
  runId: string;
  workspaceId: string;
  /** Position of the chunk in the run (its workflow id ends in `/chunk-<index>`). */
  index: number;
  steps: PlanStep[];
  concurrency: number;
  /** Outputs of the steps of earlier chunks that its steps need. */
  outputs: StepOutputs;
  /** Steps of earlier chunks its steps need that ended without outputs, with their state. */
  notDone: { [stepId: string]: StepState };
  /** Its steps whose outputs later chunks need. */
  exports: string[];
  /** The plan's search, and what earlier chunks' branches had at their rungs. */
  search?: PlanSearch;
  rungValues: RungValues;
  keepStopped?: { [stepId: string]: string };
  noCache?: boolean;
  force?: string[];
}

export interface RunChunkResult {
  steps: StepStatus[];
  /** Outputs of the exported steps that have them. */
  outputs: StepOutputs;
  cancelled: boolean;
  /** The search branches' values at their rungs, earlier chunks' included. */
  rungValues: RungValues;
}

/** Branch (plan id) -> rung -> the metric's value there. */
export type RungValues = { [branch: string]: { [rung: string]: number } };

export const CHUNK_WORKFLOW_TYPE = "runPipelineChunk";

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
  /** Workflow ids of the chunks of a large run running now: their status queries tell how their
   *  steps stand (the run's own status has them pending until the chunk ends). */
  chunks?: string[];
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
  /** A search branch: a cache hit also answers the metric's values its execution had at these rungs. */
  watch?: { metric: string; rungs: number[] };
}

export interface PreparedStep {
  cacheKey: string;
  checkpointDir: string;
  /** Where the workspace's store is ("local" or s3://bucket/prefix); the step's task carries it. */
  store?: string;
  /** `rungs`: a search branch's values at its rungs (null: NaN, which JSON cannot carry). */
  cached?: { executionId: string; outputs: Record<string, ArtifactRef>; rungs?: { rung: number; value: number | null }[] };
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
  /** A search branch reached a rung: its metrics so far, its report and the decision. */
  recordRung(i: RecordRungInput): Promise<void>;
}

/** The work of one step, served by workers on the step's queue. */
export interface StepActivities {
  runStep(input: StepInput): Promise<StepOutcome>;
}

/** `stopped`: a search branch that lost at a rung (its checkpoint kept for `resume --continue-stopped`). */
export const STEP_STATES = ["pending", "running", "succeeded", "cached", "failed", "skipped", "cancelled", "stopped"] as const;
export type StepState = (typeof STEP_STATES)[number];

export const RUN_STATUSES = ["running", "succeeded", "failed", "cancelled"] as const;
export type RunState = (typeof RUN_STATUSES)[number];

/** States whose outputs dependents may use. */
export const DONE_STATES: readonly StepState[] = ["succeeded", "cached"];
/** States a step never leaves. */
export const FINAL_STATES: readonly StepState[] = ["succeeded", "cached", "failed", "skipped", "cancelled", "stopped"];

export function isDone(s: StepState): boolean {
  return DONE_STATES.includes(s);
}

export function isFinal(s: StepState): boolean {
  return FINAL_STATES.includes(s);
}
