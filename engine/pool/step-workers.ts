// Step worker processes: each runs one heavy step at a time (training and evaluation are CPU-bound
// and would block the event loop that answers workflow tasks), polling the step queues through
// Temporal like any worker on any machine. A process that dies (crash, OOM kill) is replaced, so
// the steps it held retry on the others after their heartbeat timeout instead of waiting forever.
import { spawn, type ChildProcess } from "node:child_process";
import { CLI_ENTRY } from "../project.ts";
import type { Endpoint } from "../temporal/connection.ts";

export const WORKER_READY_LINE = "mmada-worker-ready";
const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
/** Replacements per slot before giving up on it (a worker that dies at once keeps dying). */
const MAX_RESTARTS = 5;

export interface StepWorkers {
  pids(): number[];
  stop(): Promise<void>;
}

export async function startStepWorkers(
  ep: Endpoint,
  workspaceRoot: string,
  queues: string[],
  count: number,
  log: (msg: string) => void,
  /** Called after a worker was replaced: its pid changed. */
  replaced: () => void = () => {},
): Promise<StepWorkers> {
  let stopping = false;
  const slots: ChildProcess[] = await Promise.all(Array.from({ length: count }, () => startChild(ep, workspaceRoot, queues)));
  const restarts = slots.map(() => 0);
  const watch = (i: number) =>
    slots[i]!.once("exit", (code, signal) => {
      if (stopping) return;
      if (restarts[i]! >= MAX_RESTARTS) {
        log(`error: step worker ${i + 1} died ${restarts[i]! + 1} times (last: ${signal ?? `code ${code}`}); not restarting it`);
        return;
      }
      restarts[i]!++;
      log(`warning: step worker ${i + 1} exited (${signal ?? `code ${code}`}); starting another`);
      startChild(ep, workspaceRoot, queues).then(
        (next) => {
          slots[i] = next;
          watch(i);
          replaced();
        },
        (err: Error) => log(`error: cannot restart step worker ${i + 1}: ${err.message}`),
      );
    });
  slots.forEach((_, i) => watch(i));
  return {
    pids: () => slots.map((c) => c.pid!),
    async stop() {
      stopping = true;
      await Promise.all(slots.map(stopChild));
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

async function startChild(ep: Endpoint, workspaceRoot: string, queues: string[]): Promise<ChildProcess> {
  const args = [CLI_ENTRY, "worker", "--no-db", "--ready-line", "--max-steps", "1", ...[...new Set(queues)].flatMap((q) => ["--task-queue", q])];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, MMADA_HOME: workspaceRoot, TEMPORAL_ADDRESS: ep.address },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a step worker did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.stdout!.on("data", (b: Buffer) => {
      if (b.toString().includes(WORKER_READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`a step worker exited at start (code ${code})`));
    });
  });
  return child;
}
