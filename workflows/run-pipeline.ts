// The one workflow: interprets a compiled Plan. Starts every step whose dependencies are done, up
// to plan.concurrency at once; a cached step never reaches a worker; a failed step skips its
// dependents. Run-database bookkeeping runs as local activities in the worker that owns the
// database (one round trip each, no task queue hop); each step's work is an activity on the step's
// queue, named after the step in the history. The run ends as Completed, Failed or Cancelled in
// Temporal, matching the run database. Deterministic: no I/O here.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  defineQuery,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from "@temporalio/workflow";
import { executionIdOf, stepActivityId, taskQueueOf, workspaceOfDbQueue } from "../contract/ids.ts";
import { planProblems } from "../contract/limits.ts";
import type { PlanStep } from "../contract/plan.ts";
import {
  type DbActivities,
  type FinishStepInput,
  type RunPipelineInput,
  type RunStatus,
  STATUS_QUERY,
  type StepActivities,
  type StepState,
} from "../contract/run.ts";
import type { StepFailureDetails } from "../contract/step-io.ts";
import type { StepOutputs } from "../contract/with-value.ts";
import { RunTracker } from "./run-tracker.ts";

export const statusQuery = defineQuery<RunStatus>(STATUS_QUERY);

/** The type of the failure a failed run ends with; its details hold the final RunStatus. */
export const RUN_FAILED = "RunFailed";

const db = proxyLocalActivities<DbActivities>({
  startToCloseTimeout: "1 minute",
  retry: { maximumAttempts: 20, initialInterval: "200ms", backoffCoefficient: 2, maximumInterval: "10s" },
});

export async function runPipeline(input: RunPipelineInput): Promise<RunStatus> {
  const { plan, runId } = input;
  const workspaceId = input.workspaceId ?? workspaceOfDbQueue(input.dbQueue);
  const run = new RunTracker(plan, runId);
  setHandler(statusQuery, () => run.status);
  const outputs: StepOutputs = {};
  const forced = new Set(input.force ?? []);
  const executionId = (s: PlanStep) => executionIdOf(runId, s.id);
  // A step's end is recorded while its dependents already start: the run database does not order
  // them (their inputs are the artifacts themselves), and the run ends only after every record.
  const recording: Promise<void>[] = [];
  const recordEnd = (stepId: string, state: StepState, more: Omit<FinishStepInput, "executionId" | "state"> = {}) => {
    recording.push(CancellationScope.nonCancellable(() => db.finishStep({ executionId: executionIdOf(runId, stepId), state, ...more })));
  };

  await CancellationScope.nonCancellable(() =>
    db.startRun({ runId, workflowId: workflowInfo().workflowId, plan, specText: input.specText, resumedFrom: input.resumedFrom, gitCommit: input.gitCommit }),
  );
  const problems = planProblems(plan);
  if (problems.length > 0) {
    for (const s of plan.steps) run.set(s.id, "skipped", { error: "the plan is invalid" });
    return end(run, false, `invalid plan: ${problems.join("; ")}`);
  }

  async function runOne(step: PlanStep): Promise<void> {
    run.set(step.id, "running", { startedAt: Date.now() });
    try {
      // the outputs of its dependencies: the activities bind the step's `with` to them
      const upstream: StepOutputs = Object.fromEntries(step.needs.map((n) => [n, outputs[n]!]));
      const useCache = !input.noCache && step.cache && !forced.has(step.id) && !forced.has(step.specId);
      const prep = await db.prepareStep({ runId, executionId: executionId(step), step, upstream, noCache: !useCache });
      if (prep.cached) {
        outputs[step.id] = prep.cached.outputs;
        run.set(step.id, "cached", { cachedFrom: prep.cached.executionId, finishedAt: Date.now() });
        return;
      }
      const result = await stepActivity(workspaceId, step).runStep({
        workspaceId, runId, executionId: executionId(step), step, upstream, checkpointDir: prep.checkpointDir,
      });
      outputs[step.id] = result.artifacts;
      run.set(step.id, "succeeded", { finishedAt: Date.now() });
      recordEnd(step.id, "succeeded", { result: { artifacts: result.artifacts, metrics: result.metrics }, report: result.report });
    } catch (err) {
      const state: StepState = isCancellation(err) ? "cancelled" : "failed";
      const error = rootMessage(err) || state;
      run.set(step.id, state, { error, finishedAt: Date.now() });
      recordEnd(step.id, state, { error, report: failureDetails(err)?.report });
    }
  }

  const running = new Map<string, Promise<void>>();
  let cancelled = false;
  try {
    for (;;) {
      // once the run is cancelled, nothing new starts and what never ran ends cancelled (below)
      if (!CancellationScope.current().consideredCancelled) {
        for (const { step, reason } of run.blocked()) {
          run.set(step.id, "skipped", { error: reason });
          recordEnd(step.id, "skipped", { error: reason });
        }
        for (const step of run.ready()) {
          run.set(step.id, "running");
          running.set(step.id, runOne(step).finally(() => running.delete(step.id)));
        }
      }
      if (running.size === 0) break;
      // runOne never rejects: a cancelled run wakes here when its steps' activities end cancelled
      await Promise.race(running.values());
    }
    cancelled = CancellationScope.current().consideredCancelled;
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancelled = true;
  }
  return CancellationScope.nonCancellable(async () => {
    await Promise.allSettled(running.values());
    for (const s of run.unfinished()) {
      const state: StepState = cancelled ? "cancelled" : "skipped";
      run.set(s.id, state);
      recordEnd(s.id, state);
    }
    await Promise.all(recording);
    return end(run, cancelled);
  });
}

/** Records the run's end, then ends the workflow the same way: a failed run fails the workflow
 *  (its details carry the final status), a cancelled run is reported as Cancelled. */
async function end(run: RunTracker, cancelled: boolean, error?: string): Promise<RunStatus> {
  const status = run.finish(cancelled);
  if (error) status.error = error;
  if (error && status.status === "succeeded") status.status = "failed";
  await CancellationScope.nonCancellable(() =>
    db.finishRun({ runId: status.runId, status: status.status as "succeeded" | "failed" | "cancelled", error: status.error }),
  );
  if (status.status === "cancelled") throw new CancelledFailure("run cancelled", [status]);
  if (status.status === "failed") throw ApplicationFailure.create({ type: RUN_FAILED, message: status.error ?? "run failed", nonRetryable: true, details: [status] });
  return status;
}

function stepActivity(workspaceId: string, step: PlanStep) {
  return proxyActivities<StepActivities>({
    taskQueue: taskQueueOf(workspaceId, step),
    activityId: stepActivityId(step.id),
    summary: `${step.uses} ${step.id}`,
    startToCloseTimeout: step.timeoutMs,
    heartbeatTimeout: step.heartbeatTimeoutMs,
    retry: {
      maximumAttempts: step.retry.maximumAttempts,
      initialInterval: step.retry.initialIntervalMs,
      backoffCoefficient: step.retry.backoffCoefficient,
    },
  });
}

/** What the step's own failure carries (its report: worker, checkpoints written before it ended). */
function failureDetails(err: unknown): StepFailureDetails | undefined {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  const details = e instanceof ApplicationFailure || e instanceof CancelledFailure ? e.details : undefined;
  return details?.[0] as StepFailureDetails | undefined;
}

/** The root cause's message: activity failures wrap the error the step threw. */
function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure || e instanceof Error) return e.message;
  return String(e);
}
