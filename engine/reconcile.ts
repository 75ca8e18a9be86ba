// A run never stays `running` in the database once its workflow is closed: when the workflow ended
// without recording it (terminated from the Temporal CLI or UI, timed out, lost with the server's
// state), the database is brought in line. Called by the progress recorder of the worker that owns
// the database, and by `mmada runs` / `status` / `cancel` before they answer.
import { WorkflowNotFoundError, type Client } from "@temporalio/client";
import type { RunState } from "../contract/states.ts";
import { openRuns, recordRunEnd, type RunDb } from "../runs/index.ts";

/** Temporal's closed statuses -> the run's end in the database. */
const CLOSED: Record<string, { status: Exclude<RunState, "running">; error?: string }> = {
  COMPLETED: { status: "succeeded" },
  FAILED: { status: "failed", error: "the workflow failed" },
  CANCELLED: { status: "cancelled", error: "cancelled" },
  TERMINATED: { status: "failed", error: "the workflow was terminated in Temporal" },
  TIMED_OUT: { status: "failed", error: "the workflow timed out" },
};

/** Ends every open run whose workflow is closed; returns the run ids it changed. */
export async function reconcileOpenRuns(db: RunDb, client: Client): Promise<string[]> {
  const changed: string[] = [];
  for (const { runId, workflowId } of openRuns(db)) {
    let end: { status: Exclude<RunState, "running">; error?: string } | undefined;
    try {
      const d = await client.workflow.getHandle(workflowId).describe();
      end = CLOSED[d.status.name];
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) continue; // server unreachable: decide later
      end = { status: "failed", error: "its workflow no longer exists in Temporal (the server's state was reset)" };
    }
    if (!end) continue;
    recordRunEnd(db, { runId, ...end });
    changed.push(runId);
  }
  return changed;
}
