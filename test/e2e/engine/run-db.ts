// Read-only access to a test workspace's run database (runs.db): every call opens its own
// connection, so each one sees the latest commits of the CLI processes writing it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

/** Where the database lives: the workspace (MMADA_HOME) root. */
type Home = { home: string };

export interface ExecutionRow {
  id: string;
  run_id: string;
  step_id: string;
  state: string;
  attempt: number;
  worker: string | null;
  progress_json: string | null;
  cached_from: string | null;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  params_json: string;
}

export interface RunRow {
  id: string;
  status: string;
  resumed_from: string | null;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  params_json: string;
}

/** Opens runs.db read-only for one query batch (a fresh snapshot each call; closed afterwards). */
export function withRunDb<T>(ws: Home, fn: (db: Database.Database) => T): T {
  const db = new Database(join(ws.home, "runs.db"), { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export const dbExists = (ws: Home) => existsSync(join(ws.home, "runs.db"));

export function executionsOf(ws: Home, runId: string): ExecutionRow[] {
  return withRunDb(ws, (db) => db.prepare("SELECT * FROM executions WHERE run_id = ? ORDER BY position").all(runId) as ExecutionRow[]);
}

/** The run's executions by step id. */
export function stepsOf(ws: Home, runId: string): Record<string, ExecutionRow> {
  return Object.fromEntries(executionsOf(ws, runId).map((e) => [e.step_id, e]));
}

/** One step's execution, or undefined while the database or the run does not exist yet (for polling). */
export function executionNow(ws: Home, runId: string, stepId: string): ExecutionRow | undefined {
  if (!dbExists(ws)) return undefined;
  try {
    return withRunDb(ws, (db) => db.prepare("SELECT * FROM executions WHERE id = ?").get(`${runId}/${stepId}`) as ExecutionRow | undefined);
  } catch (err) {
    // the file exists before its first migration has created the tables
    if ((err as { code?: string }).code === "SQLITE_ERROR") return undefined;
    throw err;
  }
}

export function runRow(ws: Home, runId: string): RunRow | undefined {
  return withRunDb(ws, (db) => db.prepare("SELECT * FROM runs WHERE id = ?").get(runId) as RunRow | undefined);
}

/** The first column of the first row (undefined when there is none). */
export function scalar(ws: Home, sql: string, ...args: unknown[]): unknown {
  return withRunDb(ws, (db) => db.prepare(sql).pluck().get(...args));
}

export const count = (ws: Home, sql: string, ...args: unknown[]): number => Number(scalar(ws, sql, ...args) ?? 0);

export function integrityCheck(ws: Home): string {
  return withRunDb(ws, (db) => db.pragma("integrity_check", { simple: true }) as string);
}

/** Output events per execution of a run: execution id -> output names. */
export function outputEvents(ws: Home, runId: string): Record<string, string[]> {
  const rows = withRunDb(ws, (db) =>
    db
      .prepare("SELECT e.execution_id AS id, e.name AS name FROM events e JOIN executions x ON x.id = e.execution_id WHERE x.run_id = ? AND e.direction = 'output' ORDER BY e.name")
      .all(runId) as { id: string; name: string }[],
  );
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[r.id] ??= []).push(r.name);
  return out;
}
