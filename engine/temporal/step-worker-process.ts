// `mmada run` serves the workflow and the database in its own process, and runs steps in a
// child worker process: training is CPU-bound and would otherwise block the event loop that
// answers workflow tasks, queries and heartbeats.
import { spawn, type ChildProcess } from "node:child_process";
import { CLI_ENTRY as CLI } from "../project.ts";
import type { Endpoint } from "./connection.ts";

const READY = "mmada-worker-ready";
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export interface StepWorkerProcess {
  stop(): Promise<void>;
}

const MAX_RESTARTS = 5;

/** Starts the step worker and keeps it running: if it dies (crash, OOM kill), a new one takes its
 *  place, so the steps it held retry on it after their heartbeat timeout instead of waiting forever. */
export async function spawnStepWorker(
  ep: Endpoint,
  workspaceRoot: string,
  queues: string[],
  log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`),
): Promise<StepWorkerProcess> {
  let stopping = false;
  let restarts = 0;
  let child = await startChild(ep, workspaceRoot, queues);
  const watch = (c: ChildProcess) =>
    c.once("exit", (code, signal) => {
      if (stopping) return;
      if (restarts >= MAX_RESTARTS) {
        log(`error: the step worker process died ${restarts + 1} times (last: ${signal ?? `code ${code}`}); start \`mmada worker\` to continue the run`);
        return;
      }
      restarts++;
      log(`warning: the step worker process exited (${signal ?? `code ${code}`}); starting another`);
      startChild(ep, workspaceRoot, queues).then(
        (next) => {
          child = next;
          watch(next);
        },
        (err: Error) => log(`error: cannot restart the step worker: ${err.message}`),
      );
    });
  watch(child);
  return {
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startChild(ep: Endpoint, workspaceRoot: string, queues: string[]): Promise<ChildProcess> {
  const args = [CLI, "worker", "--no-db", "--record", "--ready-line", ...[...new Set(queues)].flatMap((q) => ["--task-queue", q])];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, MMADA_HOME: workspaceRoot, TEMPORAL_ADDRESS: ep.address },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the step worker process did not start within 60 s")), START_TIMEOUT_MS);
    child.stdout!.on("data", (b: Buffer) => {
      if (b.toString().includes(READY)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the step worker process exited at start (code ${code})`));
    });
  });
  return child;
}

export const WORKER_READY_LINE = READY;
