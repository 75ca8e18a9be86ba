// `mmada server [start|stop|status]`, `mmada worker` and the pool's own process (`mmada pool`).
// `server start` starts the workspace's embedded Temporal dev server and its long-lived workers;
// `mmada worker` runs workers by hand (e.g. on other machines, with TEMPORAL_ADDRESS).
import { runPoolDaemon } from "../../engine/pool/daemon.ts";
import { defaultWorkerCount, ensurePool, runningPool, stopPool } from "../../engine/pool/pool.ts";
import { WORKER_READY_LINE } from "../../engine/pool/step-workers.ts";
import { openWorkspace } from "../../engine/store/workspace.ts";
import { endpoint } from "../../engine/temporal/connection.ts";
import { devServerStatus, ensureDevServer, stopDevServer } from "../../engine/temporal/dev-server.ts";
import { startWorkers } from "../../engine/temporal/worker.ts";
import { openRuns } from "../../runs/index.ts";
import { log, withDb } from "../context.ts";
import { CliError, parse } from "../terminal.ts";
import { stepQueueName } from "../../contract/ids.ts";

function count(v: string | undefined, flag: string, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= min && n <= 256)) throw new CliError(`${flag} takes a whole number from ${min} to 256 (got '${v}')`);
  return n;
}

export async function serverCommand(argv: string[]): Promise<number> {
  const usage = "[start|stop|status] [--workers N (0: the dev server alone)] [--queues q1,q2]";
  const { values, positionals } = parse("server", argv, { workers: { type: "string" }, queues: { type: "string" } }, usage);
  const action = positionals[0] ?? "start";
  const ws = openWorkspace();
  const cluster = process.env.TEMPORAL_ADDRESS;
  if (action === "stop") {
    // the workers this workspace started (`mmada run` starts them against a cluster too); a cluster
    // itself is managed outside mmada
    const workers = await stopPool(ws.root);
    const server = cluster ? undefined : await stopDevServer(ws.root);
    const what = cluster ? `the cluster at ${cluster} is managed outside mmada` : server ? "stopped the Temporal dev server" : "no Temporal dev server was running";
    log(`${workers ? "stopped the workspace's workers" : "no workers of this workspace were running"}; ${what}`);
    return 0;
  }
  if (cluster && action !== "status") throw new CliError(`TEMPORAL_ADDRESS=${cluster} is set: the cluster is managed outside mmada; start workers with \`mmada worker\` (or let \`mmada run\` start them)`);
  if (action === "status") {
    const s = cluster ? undefined : await devServerStatus(ws.root);
    const p = runningPool(ws.root);
    const server = cluster ? `Temporal cluster at ${cluster} (managed outside mmada)` : s ? `Temporal dev server running at ${s.address} (pid ${s.pid}), Web UI ${s.uiUrl}` : "Temporal dev server: not running";
    process.stdout.write(
      `workspace ${ws.id} (${ws.root}): its steps go to task queues ${stepQueueName(ws.id, "<queue>")}\n${server}\n` +
        `${p ? `workers running: ${p.workers} step workers on ${p.queues.join(", ")} (owner pid ${p.pid}, since ${p.startedAt})` : "workers: not running"}\n`,
    );
    return 0;
  }
  if (action !== "start") throw new CliError(`unknown action '${action}'\nusage: mmada server ${usage}`);
  const s = await ensureDevServer(ws.root, log);
  process.stdout.write(`Temporal dev server ${s.started ? "started" : "running"} at ${s.address} (pid ${s.pid}), Web UI ${s.uiUrl}\n`);
  const workers = count(values.workers, "--workers", 0);
  if (workers === 0) return 0; // the dev server alone (workers started by hand with `mmada worker`)
  const queues = (values.queues ?? "default").split(",").filter(Boolean);
  const p = await ensurePool(ws.root, { address: s.address, embedded: true, uiUrl: s.uiUrl }, { queues, workers, busy: () => withDb((db) => openRuns(db).length > 0), log });
  process.stdout.write(`workers: ${p.workers} step workers on ${p.queues.join(", ")} (owner pid ${p.pid}); \`mmada server stop\` stops both\n`);
  return 0;
}

export async function workerCommand(argv: string[]): Promise<number> {
  const usage = "[--task-queue q]... [--no-db] [--max-steps N]";
  // --ready-line is for the step workers the pool starts
  const { values } = parse(
    "worker",
    argv,
    { "task-queue": { type: "string", multiple: true }, "no-db": { type: "boolean" }, "max-steps": { type: "string" }, "ready-line": { type: "boolean" } },
    usage,
  );
  const ws = openWorkspace();
  const ep = await endpoint(ws.root, log);
  const queues = (values["task-queue"] as string[] | undefined) ?? ["default"];
  const maxSteps = count(values["max-steps"], "--max-steps");
  const workers = await startWorkers({ ws, ep, queues, serveDb: !values["no-db"], maxConcurrentSteps: maxSteps, log });
  if (values["ready-line"]) process.stdout.write(`${WORKER_READY_LINE}\n`);
  else log(`worker ${process.pid} on ${ep.address}: step queues ${queues.join(", ")}${values["no-db"] ? "" : " + the run database"} (Ctrl-C to stop)`);
  const stop = () => workers.shutdown();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await workers.runForever();
  return 0;
}

/** The workspace's worker pool (started by `mmada run` / `server start`, not by hand). */
export async function poolCommand(argv: string[]): Promise<number> {
  const usage = "--workers N --queues q1,q2";
  const { values } = parse("pool", argv, { workers: { type: "string" }, queues: { type: "string" } }, usage);
  await runPoolDaemon(count(values.workers, "--workers") ?? defaultWorkerCount(), (values.queues ?? "default").split(",").filter(Boolean), log);
  return 0;
}
