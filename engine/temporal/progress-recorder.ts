// The worker that owns the run database records what every step worker is doing, local or remote
// (`mmada worker --no-db` included): each running step's report (contract/step-io.ts StepReport:
// attempt, worker, checkpoints, progress), read where Temporal keeps it, the heartbeat details of
// each open run's pending activities, every second. The same report comes back with the step's end
// (db-activities finishStep); step workers never open the database.
import type { Client } from "@temporalio/client";
import { payloadValue } from "./payload-codec.ts";
import { executionIdOf, stepActivityId } from "../../contract/ids.ts";
import type { StepReport } from "../../contract/step-io.ts";
import { openRuns, recordStepReport, type RunDb } from "../../runs/index.ts";
import { reconcileOpenRuns } from "./reconcile.ts";

const EVERY_MS = 1000;
const STEP_PREFIX = stepActivityId("");

export interface ProgressRecorder {
  /** One pass now (tests, and before the owner stops). */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

export function startProgressRecorder(db: RunDb, client: Client, log: (m: string) => void = () => {}): ProgressRecorder {
  const seen = new Map<string, string>(); // executionId -> the last report recorded, as JSON
  const recorded = new Map<string, Set<number>>(); // executionId -> training steps of its recorded checkpoints
  let stopped = false;
  let current: Promise<void> = Promise.resolve();

  async function poll(): Promise<void> {
    for (const { runId, workflowId } of openRuns(db)) {
      const d = await client.workflow.getHandle(workflowId).describe().catch(() => undefined);
      // a large run's steps are activities of its running chunk's workflow
      const chunks = await Promise.all(
        (d?.raw.pendingChildren ?? []).map((c) => (c.workflowId ? client.workflow.getHandle(c.workflowId).describe().catch(() => undefined) : undefined)),
      );
      const pending = [d, ...chunks].flatMap((x) => x?.raw.pendingActivities ?? []);
      for (const a of pending) {
        if (!a.activityId?.startsWith(STEP_PREFIX) || !a.lastStartedTime) continue;
        const stepId = a.activityId.slice(STEP_PREFIX.length);
        const executionId = executionIdOf(runId, stepId);
        const payload = a.heartbeatDetails?.payloads?.[0];
        const sent = payload ? payloadValue<StepReport>(payload as never) : undefined;
        const attempt = a.attempt ?? 1;
        // before an attempt's first heartbeat arrives, Temporal already names the worker that took it
        const report: StepReport | undefined = sent?.attempt === attempt ? sent
          : a.lastWorkerIdentity ? { stepId, attempt, worker: a.lastWorkerIdentity, checkpoints: sent?.checkpoints ?? [], progress: {} }
          : undefined;
        if (!report) continue;
        const key = JSON.stringify(report);
        if (seen.get(executionId) === key) continue;
        const done = recorded.get(executionId) ?? new Set<number>();
        try {
          recordStepReport(db, executionId, { ...report, checkpoints: report.checkpoints.filter((c) => !done.has(c.step)) });
          seen.set(executionId, key);
          for (const c of report.checkpoints) done.add(c.step);
          recorded.set(executionId, done);
        } catch (err) {
          log(`warning: progress of ${executionId} not recorded: ${(err as Error).message}`);
        }
      }
    }
    await reconcileOpenRuns(db, client);
  }

  const loop = (async () => {
    while (!stopped) {
      current = poll().catch((err: Error) => log(`warning: progress recorder: ${err.message}`));
      await current;
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
  })();
  return {
    poll: () => poll(),
    async stop() {
      stopped = true;
      await current;
      void loop;
    },
  };
}
