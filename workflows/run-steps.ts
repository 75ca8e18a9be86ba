// The loop that runs a set of plan steps: a whole plan, or one chunk of a large one (both in
// run-pipeline.ts). Starts every step whose dependencies are done, up to the concurrency; a cached
// step never reaches a worker; a step whose dependency ended without outputs is skipped; a search
// branch trains in parts and is judged at each rung (search.ts); on cancellation what runs ends and
// what never ran is recorded cancelled. Every step's end is recorded in the run database (local
// activities on the owner) before the loop returns. A search branch's `timeout` and retries apply
// to each of its parts.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
} from "@temporalio/workflow";
import { executionIdOf, stepActivityId, taskQueueOf } from "../contract/ids.ts";
import type { PlanStep } from "../contract/plan.ts";
import { type DbActivities, type FinishStepInput, isFinal, type RungDecision, type StepActivities, type StepState } from "../contract/run.ts";
import type { MetricPoint, StepBudget, StepFailureDetails } from "../contract/step-io.ts";
import type { StepOutputs } from "../contract/with-value.ts";
import type { RunTracker } from "./run-tracker.ts";
import { rungValue, type SearchBoard } from "./search.ts";

export const db = proxyLocalActivities<DbActivities>({
  startToCloseTimeout: "1 minute",
  retry: { maximumAttempts: 20, initialInterval: "200ms", backoffCoefficient: 2, maximumInterval: "10s" },
});

export interface StepsRun {
  runId: string;
  workspaceId: string;
  run: RunTracker;
  /** Outputs by plan step id: those of steps outside this set it needs, filled in as steps end. */
  outputs: StepOutputs;
  noCache?: boolean;
  /** Step ids (plan ids or spec ids) to run even when cached. */
  force?: string[];
  /** The plan's search, judging its branches at their rungs (absent: every step runs to its end). */
  board?: SearchBoard;
  /** Branches that stay stopped without running (`resume --continue-stopped`), with why. */
  keepStopped?: { [stepId: string]: string };
}

/** Runs the tracker's steps to their ends; true when the run was cancelled. */
export async function runSteps(r: StepsRun): Promise<boolean> {
  const { runId, run, outputs } = r;
  const forced = new Set(r.force ?? []);
  const executionId = (s: PlanStep) => executionIdOf(runId, s.id);
  // A step's end is recorded while its dependents already start: the run database does not order
  // them (their inputs are the artifacts themselves), and the loop ends only after every record.
  const recording: Promise<void>[] = [];
  const recordEnd = (stepId: string, state: StepState, more: Omit<FinishStepInput, "executionId" | "state"> = {}) => {
    recording.push(CancellationScope.nonCancellable(() => db.finishStep({ executionId: executionIdOf(runId, stepId), state, ...more })));
  };

  async function runOne(step: PlanStep): Promise<void> {
    run.set(step.id, "running", { startedAt: Date.now() });
    try {
      const kept = r.keepStopped?.[step.id];
      if (kept !== undefined) {
        run.set(step.id, "stopped", { error: kept, finishedAt: Date.now() });
        recordEnd(step.id, "stopped", { error: kept });
        return;
      }
      const judged = board?.isBranch(step.id) ? board : undefined;
      // the outputs of its dependencies: the activities bind the step's `with` to them
      const upstream: StepOutputs = Object.fromEntries(step.needs.map((n) => [n, outputs[n]!]));
      const useCache = !r.noCache && step.cache && !forced.has(step.id) && !forced.has(step.specId);
      const watch = judged ? { watch: { metric: judged.search.metric, rungs: judged.branch(step.id).rungs } } : {};
      const prep = await db.prepareStep({ runId, executionId: executionId(step), step, upstream, noCache: !useCache, ...watch });
      if (prep.cached) {
        for (const v of prep.cached.rungs ?? []) judged?.report(step.id, v.rung, v.value ?? NaN);
        outputs[step.id] = prep.cached.outputs;
        run.set(step.id, "cached", { cachedFrom: prep.cached.executionId, finishedAt: Date.now() });
        return;
      }
      const input = { workspaceId: r.workspaceId, runId, executionId: executionId(step), step, upstream, checkpointDir: prep.checkpointDir, ...(prep.store ? { store: prep.store } : {}) };
      const activity = stepActivity(r.workspaceId, step);
      let budget: StepBudget | undefined;
      if (judged) {
        const { rungs, budget: steps } = judged.branch(step.id);
        let shown = 0;
        for (const rung of rungs) {
          const part = await activity.runStep({ ...input, budget: { until: rung, rungs } });
          const d = await judge(judged, step, rung, part.metrics);
          const metrics = part.metrics.filter((m) => m.step === undefined || m.step > shown);
          shown = rung;
          recording.push(CancellationScope.nonCancellable(() => db.recordRung({ runId, executionId: executionId(step), metric: judged.search.metric, decision: d, metrics, report: part.report })));
          if (d.decision === "promoted" && run.isIdle(step.id)) await resume(step);
          if (d.decision === "stopped") {
            run.set(step.id, "stopped", { error: d.reason, finishedAt: Date.now() });
            recordEnd(step.id, "stopped", { error: `stopped by the search: ${d.reason}`, report: part.report });
            return;
          }
        }
        budget = { until: steps, rungs };
      }
      const result = await activity.runStep({ ...input, ...(budget ? { budget } : {}) });
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

  /** Decides `step` at `rung`; when branches before it have still to reach the rung, it waits for
   *  them holding no slot (it is idle then, and takes a slot again with `resume` if it goes on). */
  async function judge(b: SearchBoard, step: PlanStep, rung: number, metrics: MetricPoint[]): Promise<RungDecision> {
    const value = rungValue(metrics, b.search.metric, rung);
    if (value === undefined) throw ApplicationFailure.nonRetryable(`${step.id} reported no ${b.search.metric} at step ${rung}: the search cannot judge it`);
    b.report(step.id, rung, value);
    if (!b.canDecide(step.id, rung, ended)) {
      run.setIdle(step.id, true);
      wake();
      await condition(() => b.canDecide(step.id, rung, ended));
    }
    return b.decide(step.id, rung);
  }
  /** A branch that goes on takes a slot again, before any step that has not started. */
  async function resume(step: PlanStep): Promise<void> {
    run.wantRoom(step.id);
    try {
      await condition(() => run.mayResume(step.id));
    } finally {
      run.setIdle(step.id, false);
    }
  }
  /** A branch that will report no more rungs: it ended, or it is not run here (another chunk's). */
  const ended = (id: string) => !run.has(id) || isFinal(run.step(id).status);
  const board = r.board;
  /** Wakes the loop below when a step gives its slot back. */
  let wake = () => {};

  const running = new Map<string, Promise<void>>();
  let cancelled = false;
  try {
    for (;;) {
      // once the run is cancelled, nothing new starts and what never ran ends cancelled (below)
      if (!CancellationScope.current().consideredCancelled) {
        for (const { step, reason } of run.blocked()) recordEnd(step.id, "skipped", { error: reason });
        for (const step of run.ready()) {
          run.set(step.id, "running");
          running.set(step.id, runOne(step).finally(() => running.delete(step.id)));
        }
      }
      if (running.size === 0) break;
      // runOne never rejects: a cancelled run wakes here when its steps' activities end cancelled
      await Promise.race([...running.values(), new Promise<void>((resolve) => (wake = resolve))]);
    }
    cancelled = CancellationScope.current().consideredCancelled;
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancelled = true;
  }
  await CancellationScope.nonCancellable(async () => {
    await Promise.allSettled(running.values());
    for (const s of run.unfinished()) {
      const state: StepState = cancelled ? "cancelled" : "skipped";
      run.set(s.id, state);
      recordEnd(s.id, state);
    }
    await Promise.all(recording);
  });
  return cancelled;
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
export function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure || e instanceof Error) return e.message;
  return String(e);
}
