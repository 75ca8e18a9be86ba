// The pool's owner process (`mmada pool`, started by ensurePool): serves the workspace's database
// queue, supervises the step worker processes, and announces itself in workers/pool.json once all
// of them are ready (and again whenever one was replaced). SIGTERM / SIGINT stop it cleanly: step workers first (a running step finishes
// its heartbeat round and is handed back to Temporal), then the owner. An owner that stops on its
// own (its server is gone, or another workspace's answers at its address) takes them along.
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { codeVersion } from "../project.ts";
import { openWorkspace } from "../store/workspace.ts";
import { endpoint } from "../temporal/connection.ts";
import { startWorkers } from "../temporal/worker.ts";
import { poolFile, type PoolInfo, runningPool } from "./pool.ts";
import { startStepWorkers } from "./step-workers.ts";

export async function runPoolDaemon(workers: number, queues: string[], log: (m: string) => void): Promise<void> {
  const ws = openWorkspace();
  const ep = await endpoint(ws.root, log);
  const owner = await startWorkers({ ws, ep, queues: [], serveDb: true, log });
  let stopping = false;
  const info: PoolInfo = { pid: process.pid, address: ep.address, workers, queues, code: codeVersion(), startedAt: new Date().toISOString(), stepWorkerPids: [] };
  // pool.json names the step workers as they are now: `server stop` finds them even if this owner is killed
  const announce = () => {
    if (stopping) return;
    info.stepWorkerPids = steps.pids();
    const tmp = `${poolFile(ws.root)}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(info)}\n`);
    renameSync(tmp, poolFile(ws.root));
  };
  const steps = await startStepWorkers(ep, ws.root, queues, workers, log, announce);
  announce();
  log(`workers ready: owner ${process.pid}, step workers ${info.stepWorkerPids.join(", ")} on ${queues.join(", ")} at ${ep.address}`);
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void steps.stop().then(() => owner.shutdown());
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  try {
    await owner.runForever();
  } finally {
    // the owner is gone (stopped, or its server is): its step workers go with it
    await steps.stop();
    if (runningPool(ws.root)?.pid === process.pid || !stopping) rmSync(poolFile(ws.root), { force: true });
  }
}
