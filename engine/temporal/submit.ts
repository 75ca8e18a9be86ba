// Starting a pipeline run, following it and learning how it ended. The workflow id is derived from
// the run id, so submitting the same run twice attaches to the running one instead of starting
// another.
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type WorkflowHandle } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { payloadValue } from "./payload-codec.ts";
import { stepActivityId, workflowIdOf } from "../../contract/ids.ts";
import { type RunPipelineInput, type RunStatus, STATUS_QUERY, WORKFLOW_TYPE } from "../../contract/run.ts";
import type { StepProgress, StepReport } from "../../contract/step-io.ts";
import { ensureSearchAttributes, runSearchAttributes } from "./search-attributes.ts";

export async function startRun(client: Client, input: RunPipelineInput): Promise<WorkflowHandle> {
  const searchable = await ensureSearchAttributes(client);
  try {
    return await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: input.dbQueue,
      workflowId: workflowIdOf(input.runId),
      args: [input],
      workflowIdConflictPolicy: "USE_EXISTING",
      workflowIdReusePolicy: "REJECT_DUPLICATE",
      memo: { pipeline: input.plan.pipeline },
      ...(searchable ? { typedSearchAttributes: runSearchAttributes(input.plan.pipeline, input.runId) } : {}),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(`run '${input.runId}' already exists and has finished; choose another --name or use \`mmada resume ${input.runId}\``);
    }
    throw err;
  }
}

/**
 * How a run ended: the workflow's result, or the status a failed run carries in its failure. A
 * cancelled workflow carries none: its status query (answered by the workers) is asked instead.
 * Undefined when neither can be had (then the run database is the record).
 */
export async function finalStatus(handle: WorkflowHandle): Promise<RunStatus | undefined> {
  try {
    return (await handle.result()) as RunStatus;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.details?.[0]) return cause.details[0] as RunStatus;
    return handle.query<RunStatus>(STATUS_QUERY).catch(() => undefined);
  }
}

/** Status from the workflow plus the heartbeat details of running steps. A large run's status
 *  has the steps of its running chunk from that chunk's own workflow. */
export async function snapshot(handle: WorkflowHandle): Promise<{ status: RunStatus; live: Map<string, StepProgress> }> {
  const status = await handle.query<RunStatus>(STATUS_QUERY);
  const live = new Map<string, StepProgress>();
  const handles = [handle, ...(status.chunks ?? []).map((id) => handle.client.getHandle(id))];
  for (const [i, h] of handles.entries()) {
    if (i > 0) {
      const chunk = await h.query<RunStatus>(STATUS_QUERY).catch(() => undefined);
      const now = new Map((chunk?.steps ?? []).map((s) => [s.id, s]));
      status.steps = status.steps.map((s) => now.get(s.id) ?? s);
    }
    const desc = await h.describe().catch(() => undefined);
    for (const a of desc?.raw.pendingActivities ?? []) {
      const payload = a.heartbeatDetails?.payloads?.[0];
      if (!a.activityId?.startsWith(stepActivityId("")) || !payload) continue;
      const report = payloadValue<Partial<StepReport>>(payload as never);
      if (report.stepId && report.progress) live.set(report.stepId, report.progress);
    }
  }
  return { status, live };
}
