// What most commands need: the workspace, its run database, and (for run/resume/status)
// a Temporal endpoint. Opened lazily so `validate` and `plan` never touch Temporal.
import { stepLogName } from "../contract/ids.ts";
import { type ArtifactStore, localStore } from "../engine/store/artifact-store.ts";
import { openStore } from "../engine/store/open-store.ts";
import { openWorkspace, workspaceDiskFull, type Workspace } from "../engine/store/workspace.ts";
import { VIEWER_OUTPUTS } from "../results/eval-outputs.ts";
import { closeRunDb, getRun, openRunDb, openRuns, type RunDb } from "../runs/index.ts";

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

/** The workspace's artifact store (the folder, or MMADA_STORE's bucket), open while `fn` runs. A
 *  command that runs things opens it as the owner (claiming the bucket prefix); one that only reads
 *  (status, compare, report, plan) goes on with the files already here when the bucket cannot be
 *  reached, and says so. */
export async function withStore<T>(fn: (store: ArtifactStore, ws: Workspace) => Promise<T>, role: "owner" | "reader" = "reader"): Promise<T> {
  const ws0 = openWorkspace();
  const { ws, store } = await openStore(ws0, role).catch((err: Error) => {
    if (role === "owner") throw err;
    log(`warning: ${err.message}; showing only what is already in ${ws0.root}`);
    return { ws: ws0, store: localStore(ws0.root) };
  });
  try {
    return await fn(store, ws);
  } finally {
    store.close();
  }
}

/** With a bucket as the store, the files viewers read (an evaluation's report and sample grid,
 *  every step's log) may have been written on another machine: they are fetched into this
 *  machine's copy of the workspace before a page, a report or `status` reads them. */
export async function fetchRunFiles(store: ArtifactStore, db: RunDb, runIds: string[]): Promise<void> {
  if (store.url === "local") return;
  for (const runId of runIds) {
    const run = getRun(db, runId);
    if (!run) continue;
    for (const e of run.executions) {
      for (const name of VIEWER_OUTPUTS) {
        const ref = e.outputs[name];
        // a file gone from the bucket shows as missing on the page; the page itself still renders
        if (ref) await store.fetch([ref]).then((l) => l.release(), () => {});
      }
      // only steps that ran in this run logged in it (a cached one logged in the run it came from)
      if (e.execution.attempt > 0 && e.execution.state !== "cached") await store.fetchLog(stepLogName(runId, e.execution.stepId)).catch(() => false);
    }
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
