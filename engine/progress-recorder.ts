// The worker that owns the run database records what every step worker is doing, local or remote
// (`mmada worker --no-db` included): which attempt runs on which worker, its last heartbeat
// (progress) and the checkpoints it announced. It reads them where Temporal keeps them, the pending
// activities of each open run's workflow, every few seconds; step workers never open the database.
import type { Client } from "@temporalio/client";
import { defaultPayloadConverter } from "@temporalio/common";
import { executionIdOf, stepActivityId } from "../contract/ids.ts";
import type { StepProgress } from "../contract/step-io.ts";
import { openRuns, recordAttempt, recordCheckpoint, recordHeartbeat, type RunDb } from "../runs/index.ts";
import { reconcileOpenRuns } from "./reconcile.ts";

const EVERY_MS = 1000;
const STEP_PREFIX = stepActivityId("");

export interface ProgressRecorder {
  /** One pass now (tests, and before the owner stops). */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

export function startProgressRecorder(db: RunDb, client: Client, log: (m: string) => void = () => {}): ProgressRecorder {
  const seen = new Map<string, string>(); // executionId -> last recorded "attempt|worker|checkpoint"
  let stopped = false;
  let current: Promise<void> = Promise.resolve();

  async function poll(): Promise<void> {
    for (const { runId, workflowId } of openRuns(db)) {
      const d = await client.workflow.getHandle(workflowId).describe().catch(() => undefined);
      for (const a of d?.raw.pendingActivities ?? []) {
        if (!a.activityId?.startsWith(STEP_PREFIX)) continue;
        const executionId = executionIdOf(runId, a.activityId.slice(STEP_PREFIX.length));
        const payload = a.heartbeatDetails?.payloads?.[0];
        const progress = payload ? (defaultPayloadConverter.fromPayload(payload as never) as StepProgress) : undefined;
        const worker = a.lastWorkerIdentity || progress?.worker;
        const attempt = a.attempt ?? 1;
        try {
          const key = `${attempt}|${worker}|${progress?.checkpoint?.uri ?? ""}`;
          if (worker && a.lastStartedTime && seen.get(executionId) !== key) {
            recordAttempt(db, { executionId, attempt, worker });
            if (progress?.checkpoint && progress.step !== undefined) recordCheckpoint(db, { executionId, artifact: progress.checkpoint, step: progress.step });
            seen.set(executionId, key);
          }
          if (progress) recordHeartbeat(db, { executionId, progress });
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
