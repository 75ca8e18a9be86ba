// One workflow run on TestWorkflowEnvironment with scripted stub steps: what the run database saw,
// when each step ran, how the run ended, and its history (for the replay test).
import type { WorkflowHandle } from "@temporalio/client";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import type { Worker } from "@temporalio/worker";
import type { Plan } from "../../contract/plan.ts";
import { type RunPipelineInput, type RunStatus, WORKFLOW_TYPE } from "../../contract/run.ts";
import { DB_QUEUE, runInput, startWorkers, stubDb, stubSteps, type DbLog, type StepScript } from "./env.ts";

export interface Scenario {
  log: DbLog;
  trace: { id: string; start: number; end?: number }[];
  outcome: { status?: RunStatus; error?: unknown };
  history: Awaited<ReturnType<WorkflowHandle["fetchHistory"]>>;
}

/** Runs `plan` with scripted steps; `during` acts on the handle while it runs. */
export async function runScenario(
  env: TestWorkflowEnvironment,
  plan: Plan,
  runId: string,
  scripts: Record<string, StepScript>,
  during?: (h: WorkflowHandle) => Promise<void>,
  more: Partial<RunPipelineInput> = {},
): Promise<Scenario> {
  const log: DbLog = { started: [], finished: [], rungs: [] };
  const trace: Scenario["trace"] = [];
  const workers: Worker[] = await startWorkers(env, plan, stubDb(log, scripts), stubSteps(scripts, trace));
  const handle = await env.client.workflow.start(WORKFLOW_TYPE, { taskQueue: DB_QUEUE, workflowId: `wf-${runId}`, args: [runInput(plan, runId, more)] });
  const outcome: Scenario["outcome"] = {};
  const done = (async () => {
    if (during) await during(handle);
    try {
      outcome.status = (await handle.result()) as RunStatus;
    } catch (err) {
      outcome.error = err;
    }
  })();
  await Promise.all(workers.map((w) => w.runUntil(done)));
  return { log, trace, outcome, history: await handle.fetchHistory() };
}

