// A worker process: serves the workspace's database queue (the pipeline workflow + database
// activities) when it owns the database, and the step queues it is given. Steps run here.
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from "@temporalio/worker";
import { createDbActivities, databaseRecorder } from "../activities/db-activities.ts";
import { createStepActivities } from "../activities/run-step.ts";
import { dbQueueName, stepQueueName } from "../../contract/ids.ts";
import { KINDS } from "../../activities/registry.ts";
import type { Workspace } from "../store/workspace.ts";
import { openRunDb, closeRunDb, type RunDb } from "../../runs/index.ts";
import { workflowBundle } from "./bundle.ts";
import { connectWorker, type Endpoint } from "./connection.ts";

let runtimeInstalled = false;
const HEARTBEAT_THROTTLE = "2s";

/** Quiet the SDK's own logging (warnings and errors still show). */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger("ERROR"),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: "ERROR" }), forward: {} } },
  });
}

export interface WorkerOptions {
  ws: Workspace;
  ep: Endpoint;
  /** Step queue names from specs (`queue:`), e.g. ["default", "gpu"]. */
  queues: string[];
  /** Serve the database queue (needs the database file). */
  serveDb: boolean;
  /** Without serving the database queue, still write step progress and checkpoints to it
   *  (a step worker on the machine that has the workspace). */
  recordProgress?: boolean;
  /** Max step activities run at once by this process (per queue). */
  maxConcurrentSteps?: number;
}

export interface Workers {
  run<T>(until: Promise<T>): Promise<T>;
  runForever(): Promise<void>;
  shutdown(): void;
}

export async function startWorkers(opts: WorkerOptions): Promise<Workers> {
  installRuntime();
  const connection = await connectWorker(opts.ep);
  const db: RunDb | undefined = opts.serveDb || opts.recordProgress ? openRunDb(opts.ws.dbFile) : undefined;
  const workers: Worker[] = [];
  if (db && opts.serveDb) {
    workers.push(
      await Worker.create({
        connection,
        taskQueue: dbQueueName(opts.ws.id),
        workflowBundle: await workflowBundle(),
        activities: createDbActivities({ db, root: opts.ws.root }),
        // database writes are short; serialise them per process to keep transactions brief
        maxConcurrentActivityTaskExecutions: 4,
      }),
    );
  }
  const stepActivities = createStepActivities({ root: opts.ws.root, kinds: KINDS, recorder: db ? databaseRecorder(db) : undefined });
  for (const q of [...new Set(opts.queues)]) {
    workers.push(
      await Worker.create({
        connection,
        taskQueue: stepQueueName(q),
        activities: stepActivities,
        maxConcurrentActivityTaskExecutions: opts.maxConcurrentSteps ?? 4,
        // progress (heartbeat details) reaches `mmada run` and the Web UI within seconds
        maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
        defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
      }),
    );
  }
  const closeAll = async () => {
    await connection.close().catch(() => {});
    if (db) closeRunDb(db);
  };
  return {
    async run<T>(until: Promise<T>): Promise<T> {
      const settled = until.then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      await Promise.all(workers.map((w) => w.runUntil(settled)));
      await closeAll();
      const r = await settled;
      if (!r.ok) throw r.error;
      return r.value;
    },
    async runForever() {
      await Promise.all(workers.map((w) => w.run()));
      await closeAll();
    },
    shutdown() {
      for (const w of workers) if (w.getState() === "RUNNING") w.shutdown();
    },
  };
}
