// A worker process's Temporal workers. The owner of a workspace's run database serves its database
// queue: the pipeline workflow, the bookkeeping local activities, and the progress recorder. Step
// workers serve step queues (`queue:` in specs) and run the step kinds; they never open the
// database. One process may be both (`mmada worker` without --no-db).
import { hostname } from "node:os";
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from "@temporalio/worker";
import { KINDS } from "../../activities/registry.ts";
import { dbQueueName, lightQueueName, stepQueueName } from "../../contract/ids.ts";
import { closeRunDb, openRunDb, type RunDb } from "../../runs/index.ts";
import { createDbActivities } from "../activities/db-activities.ts";
import { createStepActivities } from "../activities/run-step.ts";
import { startProgressRecorder, type ProgressRecorder } from "../progress-recorder.ts";
import type { Workspace } from "../store/workspace.ts";
import { workflowBundle } from "./bundle.ts";
import { connectClient, retrying, type Endpoint } from "./connection.ts";

let runtimeInstalled = false;

/** How a worker names itself to Temporal (and so in `executions.worker`): host and pid. */
export function workerIdentity(): string {
  return `${hostname()}:${process.pid}`;
}
const HEARTBEAT_THROTTLE = "2s";
/** Light steps (cores: 0, e.g. shell commands) a process runs at once beside its compute step. */
const LIGHT_STEPS = 8;
/** A stopping worker lets a running step finish or notice cancellation for this long. */
const SHUTDOWN_GRACE = "10s";

/** Quiet the SDK's own logging (warnings and errors still show), and keep its hands off signals:
 *  our processes decide what SIGINT / SIGTERM mean (the SDK would shut workers down mid-step,
 *  failing the step into a retry before a cancellation could reach it). */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger("ERROR"),
    shutdownSignals: [],
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
  /** Compute steps (cores >= 1) this process runs at once: one each, for CPU-bound work. */
  maxConcurrentSteps?: number;
  log?: (m: string) => void;
}

export interface Workers {
  run<T>(until: Promise<T>): Promise<T>;
  runForever(): Promise<void>;
  shutdown(): void;
}

export async function startWorkers(opts: WorkerOptions): Promise<Workers> {
  installRuntime();
  const connection = await retrying("worker", opts.ep.address, () => NativeConnection.connect({ address: opts.ep.address }));
  const db: RunDb | undefined = opts.serveDb ? openRunDb(opts.ws.dbFile) : undefined;
  const workers: Worker[] = [];
  let recorder: ProgressRecorder | undefined;
  let closeClient: (() => Promise<void>) | undefined;
  if (db) {
    workers.push(
      await Worker.create({
        connection,
        identity: workerIdentity(),
        taskQueue: dbQueueName(opts.ws.id),
        workflowBundle: await workflowBundle(),
        activities: createDbActivities({ db, root: opts.ws.root }),
        enableNonLocalActivities: false,
        shutdownGraceTime: SHUTDOWN_GRACE,
      }),
    );
    const { client, close } = await connectClient(opts.ep);
    closeClient = close;
    recorder = startProgressRecorder(db, client, opts.log);
  }
  const stepActivities = createStepActivities({ root: opts.ws.root, kinds: KINDS });
  const queues = [...new Set(opts.queues)].flatMap((q) => [
    { taskQueue: stepQueueName(q), slots: opts.maxConcurrentSteps ?? 1 },
    { taskQueue: lightQueueName(q), slots: LIGHT_STEPS },
  ]);
  for (const { taskQueue, slots } of queues) {
    workers.push(
      await Worker.create({
        connection,
        identity: workerIdentity(),
        taskQueue,
        activities: stepActivities,
        maxConcurrentActivityTaskExecutions: slots,
        shutdownGraceTime: SHUTDOWN_GRACE,
        // progress (heartbeat details) reaches `mmada run` and the Web UI within seconds
        maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
        defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
      }),
    );
  }
  const closeAll = async () => {
    await recorder?.stop();
    await closeClient?.();
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
