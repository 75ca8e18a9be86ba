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
import type { Plan, PlanStep } from "../pipelines/plan.ts";
import type { createDbActivities } from "../activities/db-activities.ts";
import type { createStepActivities } from "../activities/run-step.ts";
import type { StepState } from "../activities/types.ts";
import { resolveRefs, type StepOutputs } from "./resolve-refs.ts";

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
  status: "running" | "succeeded" | "failed" | "cancelled";
  steps: StepStatus[];
  error?: string;
}

export const statusQuery = defineQuery<RunStatus>("status");
export const cancelSignal = defineSignal("cancel");

type DbActivities = ReturnType<typeof createDbActivities>;
type StepActivities = ReturnType<typeof createStepActivities>;

const DB_TIMEOUT = "2 minutes";
const DONE: StepState[] = ["succeeded", "cached"];
const FINAL: StepState[] = ["succeeded", "cached", "failed", "skipped", "cancelled"];

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
  const executionId = (s: PlanStep) => `${runId}/${s.id}`;

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
        taskQueue: `mmada-${step.queue}`,
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
        if (deps.some((d) => FINAL.includes(d) && !DONE.includes(d))) {
          st.status = "skipped";
          st.error = `skipped: needs ${step.needs.filter((d) => !DONE.includes(steps[d]!.status)).join(", ")}`;
          await db.finishStep({ executionId: executionId(step), state: "skipped", error: st.error });
        } else if (deps.every((d) => DONE.includes(d)) && running.size < plan.concurrency) {
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
