// What most commands need: the workspace, its run database, and (for run/resume/status)
// a Temporal endpoint. Opened lazily so `validate` and `plan` never touch Temporal.
import { openWorkspace, type Workspace } from "../engine/store/workspace.ts";
import { closeRunDb, openRunDb, type RunDb } from "../runs/index.ts";

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
