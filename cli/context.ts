// What most commands need: the workspace, its run database, and (for run/resume/status)
// a Temporal endpoint. Opened lazily so `validate` and `plan` never touch Temporal.
import { openWorkspace, workspaceDiskFull, type Workspace } from "../engine/store/workspace.ts";
import { closeRunDb, openRunDb, openRuns, type RunDb } from "../runs/index.ts";

export function withDb<T>(fn: (db: RunDb, ws: Workspace) => T): T {
  const ws = openWorkspace();
  const db = openRunDb(ws.dbFile);
  try {
    return fn(db, ws);
  } finally {
    closeRunDb(db);
  }
}

/** withDb for work that awaits: the database stays open until the promise settles. */
export async function withDbAsync<T>(fn: (db: RunDb, ws: Workspace) => Promise<T>): Promise<T> {
  const ws = openWorkspace();
  const db = openRunDb(ws.dbFile);
  try {
    return await fn(db, ws);
  } finally {
    closeRunDb(db);
  }
}

export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/**
 * A run the database still shows as running may have a closed workflow (terminated from the Temporal
 * CLI, lost with a server's state): before `runs` and `status` answer, such runs are closed in the
 * database too. Costs nothing when no run is open; never starts a server (an unreachable one is
 * asked again next time).
 */
export async function reconcileRuns(): Promise<void> {
  const ws = openWorkspace();
  const db = openRunDb(ws.dbFile);
  try {
    if (openRuns(db).length === 0) return;
    const { reconcileWith } = await import("../engine/temporal/reconcile.ts");
    await reconcileWith(db, ws.root);
  } finally {
    closeRunDb(db);
  }
}

/** What a run waits on while the workspace's disk is full (its run database, and the dev server's
 *  state when it is embedded, are on that disk), and what to do; undefined while there is room. */
export function diskFullAdvice(root: string, runId: string): { problem: string; advice: string; text: string } | undefined {
  if (!workspaceDiskFull(root)) return undefined;
  const problem = `the disk that holds ${root} is full: run ${runId} cannot be recorded until there is room`;
  const advice = `free some space, then \`mmada status ${runId}\` follows it (it goes on by itself) or \`mmada cancel ${runId}\` stops it`;
  return { problem, advice, text: `${problem}; ${advice}` };
}
