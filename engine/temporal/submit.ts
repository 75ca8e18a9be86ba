// Starting a pipeline run and following it: the workflow id is derived from the run id, so
// submitting the same run twice attaches to the running one instead of starting another.
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from "@temporalio/client";
import { defaultPayloadConverter } from "@temporalio/common";
import { workflowIdOf } from "../../contract/ids.ts";
import type { StepProgress } from "../../contract/step-io.ts";
import type { RunPipelineInput, RunStatus } from "../../contract/run.ts";


export async function startRun(client: Client, input: RunPipelineInput): Promise<WorkflowHandle> {
  try {
    return await client.workflow.start("runPipeline", {
      taskQueue: input.dbQueue,
      workflowId: workflowIdOf(input.runId),
      args: [input],
      workflowIdConflictPolicy: "USE_EXISTING",
      workflowIdReusePolicy: "REJECT_DUPLICATE",
      memo: { pipeline: input.plan.pipeline },
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(`run '${input.runId}' already exists and has finished; choose another --name or use \`mmada resume ${input.runId}\``);
    }
    throw err;
  }
}

/** Status from the workflow plus the heartbeat details of running steps. */
export async function snapshot(handle: WorkflowHandle): Promise<{ status: RunStatus; live: Map<string, StepProgress> }> {
  const status = await handle.query<RunStatus>("status");
  const live = new Map<string, StepProgress>();
  const desc = await handle.describe();
  for (const a of desc.raw.pendingActivities ?? []) {
    const payload = a.heartbeatDetails?.payloads?.[0];
    if (a.activityType?.name !== "runStep" || !payload) continue;
    const details = defaultPayloadConverter.fromPayload(payload as never) as StepProgress;
    if (details.stepId) live.set(details.stepId, details);
  }
  return { status, live };
}
