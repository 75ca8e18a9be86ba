// A run database made by an earlier version opens with the current one: the migrations run once,
// nothing recorded is lost (a table rebuilt to change its CHECK must not take the rows that refer
// to it along), and what the new version records (a stopped branch, a rung decision) is accepted.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { closeRunDb, MIGRATIONS_FOLDER, openRunDb } from "../../runs/db.ts";

/** A database as the first migration left it, with one run of one step, its output and a metric. */
function firstVersionDb(file: string): void {
  const db = new Database(file);
  for (const statement of readFileSync(join(MIGRATIONS_FOLDER, "0000_init.sql"), "utf8").split("--> statement-breakpoint")) db.exec(statement);
  const [first] = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  db.exec("CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, hash text NOT NULL, created_at numeric)");
  db.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)").run(first!.hash, first!.folderMillis);
  const now = "2026-01-01T00:00:00.000Z";
  db.prepare("INSERT INTO pipelines (name, spec_hash, spec_text, spec_path, created_at) VALUES ('p', 'h', 'name: p', 'p.yaml', ?)").run(now);
  db.prepare("INSERT INTO runs (id, pipeline_id, status, params_json, plan_json, plan_hash, workflow_id, started_at) VALUES ('r', 1, 'succeeded', '{}', '{}', 'ph', 'wf', ?)").run(now);
  db.prepare("INSERT INTO executions (id, run_id, step_id, spec_step_id, position, kind, kind_version, state) VALUES ('r/a', 'r', 'a', 'a', 0, 'command', 'v', 'succeeded')").run();
  db.prepare("INSERT INTO artifacts (uri, kind, sha256, size, producer_execution_id, created_at) VALUES ('artifacts/x', 'file', 'x', 1, 'r/a', ?)").run(now);
  db.prepare("INSERT INTO events (execution_id, artifact_id, direction, name) VALUES ('r/a', 1, 'output', 'out')").run();
  db.prepare("INSERT INTO metrics (run_id, execution_id, key, step, value, recorded_at) VALUES ('r', 'r/a', 'loss', 1, 0.5, ?)").run(now);
  db.close();
}

test("a first-version run database migrates without losing a row, and takes the new states and decisions", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mmada-migrate-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "runs.db");
  firstVersionDb(file);
  const db = openRunDb(file);
  try {
    const count = (table: string) => (db.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    assert.deepEqual(["executions", "events", "metrics", "artifacts"].map(count), [1, 1, 1, 1]);
    const producer = db.sqlite.prepare("SELECT producer_execution_id AS p FROM artifacts").get() as { p: string };
    assert.equal(producer.p, "r/a");
    assert.equal(db.sqlite.pragma("foreign_keys", { simple: true }), 1, "foreign keys are on again");
    db.sqlite.prepare("UPDATE executions SET state = 'stopped' WHERE id = 'r/a'").run();
    db.sqlite
      .prepare("INSERT INTO rung_decisions (run_id, execution_id, rung, metric, value, rank, of, decision, reason, decided_at) VALUES ('r', 'r/a', 10, 'loss', 0.5, 2, 2, 'stopped', 'why', 'now')")
      .run();
  } finally {
    closeRunDb(db);
  }
  const again = openRunDb(file);
  closeRunDb(again);
});
