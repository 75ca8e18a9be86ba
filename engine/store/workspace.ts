// The workspace (MMADA_HOME, default ./.mmada): run database, artifact store, checkpoints, the
// embedded Temporal server's state, cached workflow bundles. Every path an activity touches is
// resolved here and must stay inside the workspace; work two commands may start at once takes a
// lock file here.
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { StepFailure } from "../../contract/failures.ts";

export interface Workspace {
  root: string;
  /** Stable random id of this workspace; names its database task queue. */
  id: string;
  dbFile: string;
}

export class PathEscapeError extends StepFailure {
  constructor(readonly path: string, readonly root: string) {
    super("PathEscape", `path '${path}' resolves outside the workspace ${root}; use a path inside it`);
  }
}

export function workspaceRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MMADA_HOME ?? ".mmada");
}

/** Opens (creating) the workspace at `root`. Its id names its task queues, so a copy of the folder
 *  must not keep it: the file records where the id was made, and a workspace found at another
 *  path on the same host (copied or moved) takes a new id. Another host at another path is the
 *  same folder on shared storage and keeps it. */
export function openWorkspace(root = workspaceRoot()): Workspace {
  mkdirSync(root, { recursive: true });
  const idFile = join(root, "workspace.json");
  const here = { root: realpathSync(root), host: hostname() };
  const fresh = () => JSON.stringify({ id: randomBytes(6).toString("hex"), ...here }) + "\n";
  try {
    writeFileSync(idFile, fresh(), { flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const record = JSON.parse(readFileSync(idFile, "utf8")) as { id: string; root?: string; host?: string };
  if (record.root !== here.root && (record.root === undefined || record.host === here.host)) {
    // Written by an older version (adopt its id) or copied here (take a new one).
    const tmp = `${idFile}.${process.pid}.tmp`;
    writeFileSync(tmp, record.root === undefined ? JSON.stringify({ id: record.id, ...here }) + "\n" : fresh());
    renameSync(tmp, idFile);
    return openWorkspace(root);
  }
  return { root, id: record.id, dbFile: join(root, "runs.db") };
}

/** Absolute path of a workspace-relative path; refuses anything that escapes the workspace. */
export function inWorkspace(root: string, rel: string): string {
  const abs = resolve(root, rel);
  const back = relative(root, abs);
  if (back.startsWith("..") || isAbsolute(back)) throw new PathEscapeError(rel, root);
  return abs;
}

// A lock file for work that two commands may start at the same moment (launching the dev server or
// the workspace's workers): the first creates it, the others wait; a lock older than `staleMs` was
// left by a process that died and is taken over.
export async function withFileLock<T>(lockFile: string, opts: { timeoutMs: number; staleMs: number; what: string }, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lockFile, "wx");
    } catch {
      const age = Date.now() - (statSync(lockFile, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > opts.staleMs) rmSync(lockFile, { force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the ${opts.what} lock ${lockFile}`);
      await new Promise((r) => setTimeout(r, 300));
      continue;
    }
    try {
      return await fn();
    } finally {
      closeSync(fd);
      rmSync(lockFile, { force: true });
    }
  }
}

/** Whether a process of this host exists (one of another user's counts: it exists, we may not signal it). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false; // kill(0) would signal our own group
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Free bytes below which the disk that holds a workspace counts as full. */
const FULL_BELOW_BYTES = 1 << 20;

/** True when the disk that holds the workspace has (almost) no room left: steps, the run database
 *  and a dev server whose state is in the workspace cannot write. False when it cannot be asked. */
export function workspaceDiskFull(root: string): boolean {
  try {
    const s = statfsSync(root);
    return s.bavail * s.bsize < FULL_BELOW_BYTES;
  } catch {
    return false;
  }
}
