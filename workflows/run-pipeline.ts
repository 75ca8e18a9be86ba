// The one workflow: interprets a compiled Plan. Starts every step whose dependencies are done,
// up to plan.concurrency at once; a cached step never reaches a worker; a failed step skips its
// dependents; a `cancel` signal cancels running steps. Deterministic: no I/O here, all side
// effects (database, artifacts, commands, training) happen in activities.
import {
  CancellationScope,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
  ActivityFailure,
  ApplicationFailure,
} from "@temporalio/workflow";
import type { PlanStep } from "../contract/plan.ts";
import { executionIdOf, stepQueueName } from "../contract/ids.ts";
import {
  CANCEL_SIGNAL,
  STATUS_QUERY,
  type DbActivities,
  type RunPipelineInput,
  type RunStatus,
  type StepActivities,
  type StepStatus,
} from "../contract/run.ts";
import { isDone, isFinal } from "../contract/states.ts";
import { resolveRefs, type StepOutputs } from "./resolve-refs.ts";

export const statusQuery = defineQuery<RunStatus>(STATUS_QUERY);
export const cancelSignal = defineSignal(CANCEL_SIGNAL);

const DB_TIMEOUT = "2 minutes";

export async function runPipeline(input: RunPipelineInput): Promise<RunStatus> {
  const { plan, runId } = input;
  const db = proxyActivities<DbActivities>({
    taskQueue: input.dbQueue,
    startToCloseTimeout: DB_TIMEOUT,
    retry: { maximumAttempts: 20, initialInterval: "200ms", backoffCoefficient: 2, maximumInterval: "10s" },
  });
  const steps: Record<string, StepStatus> = {};
  for (const s of plan.steps) steps[s.id] = { id: s.id, uses: s.uses, status: "pending" };
  const outputs: StepOutputs = {};
  const run: RunStatus = { runId, status: "running", steps: plan.steps.map((s) => steps[s.id]!) };
  setHandler(statusQuery, () => run);

  const scope = new CancellationScope();
  setHandler(cancelSignal, () => scope.cancel());

  await db.startRun({
    runId,
    workflowId: workflowInfo().workflowId,
    plan,
    specText: input.specText,
    resumedFrom: input.resumedFrom,
    gitCommit: input.gitCommit,
  });

  const forced = new Set(input.force ?? []);
  const executionId = (s: PlanStep) => executionIdOf(runId, s.id);

  async function runOne(step: PlanStep): Promise<void> {
    const st = steps[step.id]!;
    st.status = "running";
    st.startedAt = Date.now();
    try {
      const { with: w, refs } = resolveRefs(step, outputs);
      const prep = await db.prepareStep({
        runId,
        executionId: executionId(step),
        step,
        with: w,
        refs,
        noCache: !!input.noCache || !step.cache || forced.has(step.id) || forced.has(step.specId),
      });
      if (prep.cached) {
        outputs[step.id] = prep.cached.outputs;
        st.status = "cached";
        st.cachedFrom = prep.cached.executionId;
        return;
      }
      const acts = proxyActivities<StepActivities>({
        taskQueue: stepQueueName(step.queue),
        startToCloseTimeout: step.timeoutMs,
        heartbeatTimeout: step.heartbeatTimeoutMs,
        retry: {
          maximumAttempts: step.retry.maximumAttempts,
          initialInterval: step.retry.initialIntervalMs,
          backoffCoefficient: step.retry.backoffCoefficient,
        },
      });
      const result = await acts.runStep({
        runId,
        executionId: executionId(step),
        step,
        with: w as never,
        refs,
        checkpointDir: prep.checkpointDir,
      });
      await db.finishStep({ executionId: executionId(step), state: "succeeded", result });
      outputs[step.id] = result.artifacts;
      st.status = "succeeded";
    } catch (err) {
      st.status = isCancellation(err) ? "cancelled" : "failed";
      st.error = describe(err) || (st.status === "cancelled" ? "cancelled" : "failed");
      await CancellationScope.nonCancellable(() =>
        db.finishStep({ executionId: executionId(step), state: st.status, error: st.error }),
      );
    } finally {
      st.finishedAt = Date.now();
    }
  }

  const running = new Map<string, Promise<void>>();
  const schedule = async () => {
    for (;;) {
      for (const step of plan.steps) {
        const st = steps[step.id]!;
        if (st.status !== "pending") continue;
        const deps = step.needs.map((d) => steps[d]!.status);
        if (deps.some((d) => isFinal(d) && !isDone(d))) {
          st.status = "skipped";
          st.error = `skipped: needs ${step.needs.filter((d) => !isDone(steps[d]!.status)).join(", ")}`;
          await db.finishStep({ executionId: executionId(step), state: "skipped", error: st.error });
        } else if (deps.every(isDone) && running.size < plan.concurrency) {
          running.set(step.id, runOne(step).finally(() => running.delete(step.id)));
        }
      }
      if (running.size === 0) return;
      await Promise.race(running.values());
    }
  };

  try {
    await scope.run(schedule);
  } catch (err) {
    if (!isCancellation(err)) throw err;
  }
  await CancellationScope.nonCancellable(async () => {
    await Promise.allSettled(running.values());
    const cancelled = scope.consideredCancelled;
    for (const step of plan.steps) {
      const st = steps[step.id]!;
      if (st.status === "pending" || st.status === "running") {
        st.status = cancelled ? "cancelled" : "skipped";
        await db.finishStep({ executionId: executionId(step), state: st.status });
      }
    }
    const failed = run.steps.find((s) => s.status === "failed");
    const final = cancelled ? "cancelled" : failed ? "failed" : "succeeded";
    run.status = final;
    if (failed) run.error = `step ${failed.id} failed: ${failed.error}`;
    await db.finishRun({ runId, status: final, error: run.error });
  });
  return run;
}

/** The root cause's message: activity failures wrap the error the step threw. */
function describe(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure || e instanceof Error) return e.message;
  return String(e);
}
