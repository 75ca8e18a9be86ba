// A run never stays `running` in the database once its workflow is closed: when the workflow ended
// without recording it (terminated from the Temporal CLI or UI, timed out, lost with the server's
// state), the database is brought in line. Called by the progress recorder of the worker that owns
// the database, and by `mmada runs` / `status` / `cancel` before they answer.
import { type Client, WorkflowNotFoundError } from "@temporalio/client";
import type { RunState } from "../../contract/run.ts";
import { openRuns, recordRunEnd, type RunDb } from "../../runs/index.ts";
import { connectClient } from "./connection.ts";
import { devServerStatus } from "./dev-server.ts";

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

// reconcileOpenRuns for a command that holds no Temporal connection: it connects to the cluster
// (TEMPORAL_ADDRESS) or to the workspace's dev server when one runs (never starting one).
export async function reconcileWith(db: RunDb, root: string): Promise<string[]> {
  const address = process.env.TEMPORAL_ADDRESS ?? (await devServerStatus(root))?.address;
  if (!address) return [];
  const { client, close } = await connectClient({ address, embedded: !process.env.TEMPORAL_ADDRESS }).catch(() => ({ client: undefined, close: async () => {} }));
  try {
    return client ? await reconcileOpenRuns(db, client) : [];
  } finally {
    await close();
  }
}
