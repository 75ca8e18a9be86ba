// Opening the run database for reading only (the web UI): no migrations, no pragmas that write, and
// SQLite itself refuses every write on this connection. Readers still see each new commit of the
// workers (WAL), one snapshot per read transaction.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { BUSY_TIMEOUT_MS, type RunDb } from "./db.ts";
import * as schema from "./schema.ts";

export function openRunDbReadOnly(file: string): RunDb {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new Error(`no run database at ${path}; run a pipeline in this workspace first, or set MMADA_HOME to the workspace that has one`);
  }
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  try {
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const hasRuns = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").get();
    if (hasRuns === undefined) throw new Error("it has no runs table (not a run database, or one never migrated: any `mmada` command that writes creates it)");
  } catch (err) {
    sqlite.close();
    throw new Error(`runs: cannot read the run database ${path}: ${(err as Error).message}`, { cause: err });
  }
  return {
    file: path,
    sqlite,
    orm: drizzle(sqlite, { schema }),
    now: () => {
      throw new Error("runs: a read-only run database has no clock (nothing is written through it)");
    },
  };
}
