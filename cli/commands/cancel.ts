// `mmada cancel <run-id>`: cancels a run through Temporal (its running steps are cancelled and
// stop; the run ends as Cancelled in Temporal and `cancelled` in the database) and waits for it.
// A run whose workflow is already closed is reconciled instead (e.g. terminated from the Temporal CLI).
import { WorkflowNotFoundError } from "@temporalio/client";
import { workflowIdOf } from "../../contract/ids.ts";
import { reconcileOpenRuns } from "../../engine/temporal/reconcile.ts";
import { openWorkspace } from "../../engine/store/workspace.ts";
import { connectClient, endpoint } from "../../engine/temporal/connection.ts";
import { finalStatus } from "../../engine/temporal/submit.ts";
import { getRun } from "../../runs/index.ts";
import { diskFullAdvice, log, withDb, withDbAsync } from "../context.ts";
import { statusFromDb } from "../follow.ts";
import { CliError, parse, requirePositional } from "../terminal.ts";

export async function cancelCommand(argv: string[]): Promise<number> {
  const usage = "<run-id>";
  const { positionals } = parse("cancel", argv, {}, usage);
  requirePositional(positionals, 1, "cancel", usage);
  const runId = positionals[0]!;
  const run = withDb((db) => getRun(db, runId));
  if (!run) throw new CliError(`unknown run '${runId}'; \`mmada runs\` lists the runs`);
  if (run.run.status !== "running") {
    process.stdout.write(`run ${runId} already ${run.run.status}\n`);
    return 0;
  }
  const ws = openWorkspace();
  const full = diskFullAdvice(ws.root, runId);
  if (full) log(`note: ${full.problem}; the cancellation is recorded once there is room`);
  const { client, close } = await connectClient(await endpoint(ws.root, log));
  try {
    const handle = client.workflow.getHandle(workflowIdOf(runId));
    try {
      const d = await handle.describe();
      if (d.status.name === "RUNNING") {
        log(`cancelling run ${runId} (its steps stop first)`);
        await handle.cancel();
        await finalStatus(handle).catch(() => undefined);
      }
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    await withDbAsync((db) => reconcileOpenRuns(db, client));
    const status = withDb((db) => statusFromDb(db, runId));
    process.stdout.write(`run ${runId} ${status.status}\n`);
    return 0;
  } finally {
    await close();
  }
}
