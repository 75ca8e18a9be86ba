// Processes of the end-to-end tests, found through /proc: step commands run detached (their own
// process group), so killing a worker's group does not reach them; these helpers find and kill them.
import { readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";

function readProc(pid: string, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined; // gone, or not ours
  }
}

/** Pids whose environment has NAME=value (how a step's command is found: MMADA_RUN_ID, MMADA_HOME). */
export function pidsWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}\0`;
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => (readProc(p, "environ") ?? "").includes(needle))
    .map(Number);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every descendant of `pid` (children first found through /proc/<pid>/stat's ppid field). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    const stat = readProc(p, "stat");
    // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) : NaN;
    if (Number.isFinite(ppid)) parentOf.set(Number(p), ppid);
  }
  const out: number[] = [];
  const walk = (parent: number) => {
    for (const [child, pp] of parentOf) if (pp === parent) out.push(child), walk(child);
  };
  walk(pid);
  return out;
}

/** SIGKILL a process, its group, and the groups of all its descendants (step commands are detached). */
export function killTree(pid: number): void {
  const all = [pid, ...descendants(pid)];
  for (const p of all) {
    for (const target of [-p, p]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // not a group leader, or already gone
      }
    }
  }
}

export function killByEnv(name: string, value: string): void {
  for (const p of pidsWithEnv(name, value)) killTree(p);
}

/** How the engine names a worker in `executions.worker` (engine/temporal/worker.ts workerIdentity). */
export const workerId = (pid: number) => `${hostname()}:${pid}`;
