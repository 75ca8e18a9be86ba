// The workspace's long-lived local workers: one process that owns the run database (it serves the
// workflow, the bookkeeping local activities and the progress recorder) and supervises a pool of
// step worker processes, one heavy step each, sized to the machine. `mmada server start` starts
// them with the dev server; `mmada run` uses them when they are up and starts them when not, so a
// run pays no worker start-up. They are Temporal workers like any other: scaling out is pointing
// more of them (`mmada worker`) at the same server.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { withFileLock } from "../store/workspace.ts";
import { CLI_ENTRY, codeVersion } from "../project.ts";
import type { Endpoint } from "../temporal/connection.ts";

export interface PoolInfo {
  pid: number;
  /** The Temporal frontend the workers poll. */
  address: string;
  /** Step worker processes. */
  workers: number;
  /** Step queues they serve. */
  queues: string[];
  /** codeVersion() of the code they run. */
  code: string;
  startedAt: string;
  stepWorkerPids: number[];
}

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

export function defaultWorkerCount(): number {
  return availableParallelism();
}

function poolDir(root: string): string {
  return join(root, "workers");
}

export function poolFile(root: string): string {
  return join(poolDir(root), "pool.json");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The workspace's pool when its owner process is alive. */
export function runningPool(root: string): PoolInfo | undefined {
  const info = recordedPool(root);
  return info && alive(info.pid) ? info : undefined;
}

export interface EnsurePoolOptions {
  /** Step queues this run needs served locally. */
  queues: string[];
  /** Step worker processes (default: one per core, or what the running pool has). */
  workers?: number;
  /** True when a run of this workspace is active: its workers must not be replaced under it. */
  busy: () => boolean;
  log: (m: string) => void;
}

/** A pool that serves `queues` with the current code, started (or replaced) when needed. */
export async function ensurePool(root: string, ep: Endpoint, o: EnsurePoolOptions): Promise<PoolInfo> {
  const fits = (p: PoolInfo | undefined, code: string): boolean =>
    !!p && p.address === ep.address && p.code === code && o.queues.every((q) => p.queues.includes(q)) && (o.workers === undefined || o.workers === p.workers);
  const code = codeVersion();
  const now = runningPool(root);
  if (now && fits(now, code)) return now;
  mkdirSync(poolDir(root), { recursive: true });
  return withFileLock(join(poolDir(root), "pool.lock"), { timeoutMs: START_TIMEOUT_MS, staleMs: START_TIMEOUT_MS + 30_000, what: "workers" }, async () => {
    const current = runningPool(root);
    if (current && fits(current, code)) return current;
    let queues = o.queues;
    if (current) {
      const why = current.code !== code ? "run older code" : current.address !== ep.address ? `poll ${current.address}` : "serve other queues or another number of workers";
      if (o.busy()) throw new Error(`this workspace's workers ${why}, and a run is still active in it; wait for it, or stop them with \`mmada server stop\``);
      o.log(`restarting the workspace's workers (they ${why})`);
      queues = [...new Set([...current.queues, ...o.queues])].sort();
      await stopPool(root);
    }
    return launchPool(root, ep, queues, o.workers ?? defaultWorkerCount(), o.log);
  });
}

async function launchPool(root: string, ep: Endpoint, queues: string[], workers: number, log: (m: string) => void): Promise<PoolInfo> {
  log(`starting ${workers} step worker${workers === 1 ? "" : "s"} for queue${queues.length === 1 ? "" : "s"} ${queues.join(", ")} (they stay up; \`mmada server stop\` stops them)`);
  const out = openSync(join(poolDir(root), "pool.log"), "a");
  const child = spawn(process.execPath, [CLI_ENTRY, "pool", "--workers", String(workers), "--queues", queues.join(",")], {
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, MMADA_HOME: root, TEMPORAL_ADDRESS: ep.address },
  });
  child.unref();
  closeSync(out);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const info = runningPool(root);
    if (info && info.pid === child.pid) return info;
    if (!alive(child.pid!)) throw new Error(`the workspace's workers failed to start; see ${join(poolDir(root), "pool.log")}`);
    if (Date.now() > deadline) throw new Error(`the workspace's workers did not start within ${START_TIMEOUT_MS / 1000} s; see ${join(poolDir(root), "pool.log")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the pool (its step workers finish or hand back their steps); false when none ran. Step
 *  workers an owner killed without warning left behind are stopped too. */
export async function stopPool(root: string): Promise<boolean> {
  const info = runningPool(root);
  if (!info) {
    const left = (recordedPool(root)?.stepWorkerPids ?? []).filter((pid) => isStepWorkerOf(pid, root));
    for (const pid of left) process.kill(pid, "SIGKILL");
    rmSync(poolFile(root), { force: true });
    return left.length > 0;
  }
  process.kill(info.pid, "SIGTERM");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(info.pid)) process.kill(info.pid, "SIGKILL");
  for (const pid of info.stepWorkerPids) if (alive(pid)) process.kill(pid, "SIGKILL");
  if (existsSync(poolFile(root))) rmSync(poolFile(root), { force: true });
  return true;
}

function recordedPool(root: string): PoolInfo | undefined {
  try {
    return JSON.parse(readFileSync(poolFile(root), "utf8")) as PoolInfo;
  } catch {
    return undefined;
  }
}

/** True when `pid` is still a step worker of this workspace (not a process that reused its pid),
 *  read from /proc; where there is no /proc, false: nothing is killed on a guess. */
function isStepWorkerOf(pid: number, root: string): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    return cmd.includes(CLI_ENTRY) && cmd.includes("worker") && env.includes(`MMADA_HOME=${root}`);
  } catch {
    return false;
  }
}
