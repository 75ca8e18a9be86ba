// A worker process's Temporal workers. The owner of a workspace's run database serves its database
// queue: the pipeline workflow, the bookkeeping local activities, and the progress recorder. Step
// workers serve step queues (`queue:` in specs) and run the step kinds; they never open the
// database. One process may be both (`mmada worker` without --no-db).
import { hostname } from "node:os";
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from "@temporalio/worker";
import { KINDS } from "../../activities/registry.ts";
import { dbQueueName, lightQueueName, stepQueueName } from "../../contract/ids.ts";
import { closeRunDb, openRunDb, type RunDb } from "../../runs/index.ts";
import { createDbActivities } from "../activities/db-activities.ts";
import { createStepActivities } from "../activities/run-step.ts";
import { type ProgressRecorder, startProgressRecorder } from "./progress-recorder.ts";
import { openStore } from "../store/open-store.ts";
import type { Workspace } from "../store/workspace.ts";
import { connectClient, type Endpoint, NAMESPACE, retrying } from "./connection.ts";
import { devServerStatus } from "./dev-server.ts";
import { dataConverter } from "./payload-codec.ts";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hashFiles, PROJECT_ROOT as ROOT, sourceClosure } from "../project.ts";

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
/** How often a worker checks that the server it polls is still its own. */
const SERVER_CHECK_MS = 3_000;
/** An embedded dev server gone (process dead, port closed) this long orphans its workers: they stop. */
const ORPHAN_AFTER_MS = 60_000;
/** How long an orphaned worker may take to shut down before its process exits. */
const ORPHAN_EXIT_MS = 30_000;

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
  // with a bucket, a worker elsewhere (its own MMADA_HOME) serves the workspace that owns the bucket
  const { ws, store } = await openStore(opts.ws, opts.serveDb ? "owner" : "worker");
  const connection = await retrying("worker", opts.ep.address, () => NativeConnection.connect({ address: opts.ep.address }));
  const serverId = await retrying("worker", opts.ep.address, () => namespaceId(connection));
  const db: RunDb | undefined = opts.serveDb ? openRunDb(opts.ws.dbFile) : undefined;
  const workers: Worker[] = [];
  let recorder: ProgressRecorder | undefined;
  let closeClient: (() => Promise<void>) | undefined;
  if (db) {
    workers.push(
      await Worker.create({
        connection,
        identity: workerIdentity(),
        taskQueue: dbQueueName(ws.id),
        dataConverter,
        workflowBundle: await workflowBundle(),
        activities: createDbActivities({ db, store }),
        enableNonLocalActivities: false,
        shutdownGraceTime: SHUTDOWN_GRACE,
      }),
    );
    const { client, close } = await connectClient(opts.ep);
    closeClient = close;
    recorder = startProgressRecorder(db, client, opts.log);
  }
  const stepActivities = createStepActivities({ store, workspaceId: ws.id, kinds: KINDS, worker: workerIdentity() });
  const queues = [...new Set(opts.queues)].flatMap((q) => [
    { taskQueue: stepQueueName(ws.id, q), slots: opts.maxConcurrentSteps ?? 1 },
    { taskQueue: lightQueueName(ws.id, q), slots: LIGHT_STEPS },
  ]);
  for (const { taskQueue, slots } of queues) {
    workers.push(
      await Worker.create({
        connection,
        identity: workerIdentity(),
        taskQueue,
        dataConverter,
        activities: stepActivities,
        maxConcurrentActivityTaskExecutions: slots,
        shutdownGraceTime: SHUTDOWN_GRACE,
        // progress (heartbeat details) reaches `mmada run` and the Web UI within seconds
        maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
        defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
      }),
    );
  }
  const shutdown = () => {
    for (const w of workers) if (w.getState() === "RUNNING") w.shutdown();
  };
  const watch = watchServer(connection, serverId, opts, (why) => {
    opts.log?.(`worker ${workerIdentity()} stops: ${why}`);
    shutdown();
    // a worker shutting down asks its server, which may never answer: it must not live on waiting
    setTimeout(() => {
      opts.log?.(`worker ${workerIdentity()} did not stop within ${ORPHAN_EXIT_MS / 1000} s; exiting`);
      process.exit(1);
    }, ORPHAN_EXIT_MS).unref();
  });
  const closeAll = async () => {
    clearInterval(watch);
    await recorder?.stop();
    await closeClient?.();
    await connection.close().catch(() => {});
    if (db) closeRunDb(db);
    store.close();
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
    shutdown,
  };
}

/** A Temporal server's identity: the id its namespace got when it was created. It is stored with
 *  the server's state, so a restarted server keeps it, and another workspace's server has another. */
async function namespaceId(connection: NativeConnection): Promise<string> {
  const d = await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
  return d.namespaceInfo?.id ?? "";
}

/**
 * Workers poll only their own workspace's task queues, so another workspace's server never hands
 * them a step; still, a worker whose server died must not live on: when a different server answers
 * at its address (another workspace's dev server took the freed port), or its workspace's embedded
 * dev server has been gone from its address for a minute (stopped, or restarted on another port),
 * it stops, and its process exits if stopping hangs on the missing server. A restarted server of
 * its own workspace at the same address (same state, same namespace id) is reconnected to.
 */
function watchServer(connection: NativeConnection, serverId: string, opts: WorkerOptions, stop: (why: string) => void): NodeJS.Timeout {
  let unreachableSince: number | undefined;
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    namespaceId(connection)
      .then((id) => {
        unreachableSince = undefined;
        if (id !== serverId) stop(`the Temporal server at ${opts.ep.address} is not the one it started with (another workspace's server took the address)`);
      })
      .catch(async () => {
        unreachableSince ??= Date.now();
        if (!opts.ep.embedded || Date.now() - unreachableSince <= ORPHAN_AFTER_MS) return;
        // gone, or restarted at another address (its port was taken): either way not coming back here
        const now = await devServerStatus(opts.ws.root);
        if (now?.address !== opts.ep.address) stop(`its workspace's Temporal dev server has been gone for ${ORPHAN_AFTER_MS / 1000} s (\`mmada server start\` starts it and new workers)`);
      })
      .finally(() => (checking = false));
  }, SERVER_CHECK_MS);
  timer.unref();
  return timer;
}

// The workflow bundle (webpack, seconds to tens of seconds) is built once per source version and
// cached in the project's .tools/bundles, so every later command, in any workspace, starts its
// worker quickly.
const WORKFLOWS = join(ROOT, "workflows");
/** The bundle is rebuilt when the workflow code, anything it imports, or the locked SDK changes. */
function sourceHash(): string {
  return hashFiles([...sourceClosure([join(WORKFLOWS, "index.ts")]), join(ROOT, "package-lock.json")]);
}

export async function workflowBundle(): Promise<{ code: string }> {
  const dir = join(ROOT, ".tools", "bundles");
  const file = join(dir, `workflows-${sourceHash()}.js`);
  if (existsSync(file)) return { code: readFileSync(file, "utf8") };
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(WORKFLOWS, "index.ts"),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
  });
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file);
  return { code };
}
