// Opening the run database: one SQLite file shared by the CLI and every worker process.
// WAL lets readers run while one writer commits; busy_timeout makes a second writer wait instead of
// failing; every write transaction is BEGIN IMMEDIATE (see writeTx) so it takes the write lock before
// reading, which is what makes read-modify-write safe across processes.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import * as schema from "./schema.ts";

/** How long a writer waits for another process's transaction before SQLITE_BUSY (ms). */
export const BUSY_TIMEOUT_MS = 10_000;
/** Resolved next to this module, never against the cwd, so any process finds the same SQL. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));
const MIGRATIONS_TABLE = "__drizzle_migrations";

export interface RunDb {
  /** Absolute path of the database file (or ":memory:"). */
  file: string;
  /** The raw connection, for pragmas and transactions. */
  sqlite: Database.Database;
  /** The drizzle handle over the same connection. */
  orm: BetterSQLite3Database<typeof schema>;
  /** Clock for every timestamp this handle writes; ISO-8601 UTC. Tests inject a fake one. */
  now: () => string;
}

export interface OpenRunDbOptions {
  /** Replaces the wall clock (tests need distinct, ordered timestamps). */
  now?: () => Date;
}

export function openRunDb(file: string, options: OpenRunDbOptions = {}): RunDb {
  const inMemory = file === ":memory:";
  const path = inMemory ? file : resolve(file);
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  try {
    // busy_timeout first: switching to WAL on a fresh file needs a lock another opener may hold.
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    retryBusy(() => sqlite.pragma("journal_mode = WAL"));
    // NORMAL is durable against process crashes (kill -9) in WAL mode; only an OS crash can lose the
    // last commits, which the retried activity then rewrites.
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    const orm = drizzle(sqlite, { schema });
    migrateSafely(orm, sqlite);
    const clock = options.now ?? (() => new Date());
    return { file: path, sqlite, orm, now: () => clock().toISOString() };
  } catch (err) {
    sqlite.close();
    const damaged = /not a database|malformed|corrupt/i.test((err as Error).message);
    const hint = damaged ? `; it is damaged: move it aside (e.g. mv ${path} ${path}.damaged) and the next command starts a new one` : "";
    throw new Error(`runs: cannot open the run database ${path}: ${(err as Error).message}${hint}`, { cause: err });
  }
}

export function closeRunDb(db: RunDb): void {
  if (db.sqlite.open) db.sqlite.close();
}

const BUSY_RETRY_MS = 20;

/**
 * SQLite answers SQLITE_BUSY at once, without calling the busy handler, when two connections change
 * the journal mode of a fresh file at the same moment; wait and retry, up to BUSY_TIMEOUT_MS.
 */
function retryBusy<T>(fn: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if ((err as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BUSY_RETRY_MS);
    }
  }
}

/** Runs `fn` in a BEGIN IMMEDIATE transaction: all of it commits or none (safe to kill -9 anywhere). */
export function writeTx<T>(db: RunDb, fn: () => T): T {
  return db.sqlite.transaction(fn).immediate();
}

/** Runs `fn` in one read transaction, so a multi-query answer sees a single snapshot. */
export function readTx<T>(db: RunDb, fn: () => T): T {
  return db.sqlite.transaction(fn).deferred();
}

/**
 * drizzle's migrator reads the applied migrations before its own BEGIN, so two processes opening a
 * fresh file together can both try to create the tables; the loser fails with "already exists".
 * That is harmless when the winner applied everything, so check for that before giving up.
 */
function migrateSafely(orm: BetterSQLite3Database<typeof schema>, sqlite: Database.Database): void {
  // A migration that rebuilds a table (SQLite's only way to change a CHECK) drops the old one: with
  // foreign keys on, that would delete the rows referring to it. SQLite ignores the PRAGMA inside
  // the migrator's transaction, so it is set around it, and the keys are checked before going on.
  if (isFullyMigrated(sqlite)) return;
  sqlite.pragma("foreign_keys = OFF");
  try {
    migrate(orm, { migrationsFolder: MIGRATIONS_FOLDER, migrationsTable: MIGRATIONS_TABLE });
  } catch (err) {
    if (!isFullyMigrated(sqlite)) throw err;
  } finally {
    sqlite.pragma("foreign_keys = ON");
  }
  const broken = sqlite.pragma("foreign_key_check") as unknown[];
  if (broken.length > 0) throw new Error(`${broken.length} row(s) refer to rows that do not exist after migrating (foreign_key_check)`);
}

function isFullyMigrated(sqlite: Database.Database): boolean {
  const expected = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const last = expected.at(-1);
  if (last === undefined) return true;
  const table = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE);
  if (!table) return false;
  const row = sqlite.prepare(`SELECT max(created_at) AS last FROM ${MIGRATIONS_TABLE}`).get() as
    | { last: number | null }
    | undefined;
  return row?.last != null && Number(row.last) >= last.folderMillis;
}
