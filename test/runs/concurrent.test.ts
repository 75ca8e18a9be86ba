// Two processes write the same database file at once (as two Temporal workers do): WAL + busy_timeout +
// BEGIN IMMEDIATE must serialise them without SQLITE_BUSY errors, lost writes or duplicates.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { closeRunDb, openRunDb, type RunDb } from "../../runs/index.ts";
import { count, tempDb, type TempDb } from "./fixtures.ts";

const WRITER = fileURLToPath(new URL("./concurrent-writer.ts", import.meta.url));
const WRITES = 200;
const RUN_IDS = ["writer-a", "writer-b"];
const STEPS_PER_PLAN = 4;
const PARAMS_PER_PLAN = 3;
// The writer rotates checkpoint / metric / heartbeat / metric-retry, so a quarter of its writes are
// new checkpoints (same uris in both writers) and a quarter new metric points.
const CHECKPOINTS = WRITES / 4;
const METRIC_POINTS = WRITES / 4;

interface Writer {
  child: ChildProcess;
  ready: Promise<void>;
  exit: Promise<{ code: number | null; output: string }>;
}

function startWriter(file: string, runId: string): Writer {
  const child = spawn(process.execPath, ["--import", "tsx", WRITER, file, runId, String(WRITES)], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise<void>((resolve) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("ready")) resolve();
    });
  });
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; output: string }>((resolve) => child.on("exit", (code) => resolve({ code, output })));
  return { child, ready, exit };
}

describe("two processes writing one database file", { timeout: 300_000 }, () => {
  let t: TempDb;
  let db: RunDb;
  let timings: string[] = [];
  before(async () => {
    t = tempDb();
    closeRunDb(t.db); // the writers race on a file nobody has migrated yet
    const file = `${t.dir}/fresh/runs.db`;
    const writers = RUN_IDS.map((runId) => startWriter(file, runId));
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.child.stdin!.end("go\n");
    const results = await Promise.all(writers.map((w) => w.exit));
    for (const r of results) assert.equal(r.code, 0, `a writer failed:\n${r.output}`);
    timings = results.map((r) => r.output.trim().split("\n").pop() ?? "");
    db = openRunDb(file);
  });
  after(() => {
    closeRunDb(db);
    t.cleanup();
  });

  it("leaves a consistent file", (ctx) => {
    ctx.diagnostic(`writers: ${timings.join(", ")} for ${WRITES} writes each`);
    assert.equal(db.sqlite.pragma("integrity_check", { simple: true }), "ok");
    assert.deepEqual(db.sqlite.pragma("foreign_key_check"), []);
  });

  it("has exactly the rows both writers made, none twice", () => {
    assert.equal(count(db, "pipelines"), 1, "same spec: one shared pipeline row");
    assert.equal(count(db, "runs", "status = 'succeeded'"), RUN_IDS.length);
    assert.equal(count(db, "run_params"), RUN_IDS.length * PARAMS_PER_PLAN);
    assert.equal(count(db, "executions"), RUN_IDS.length * STEPS_PER_PLAN);
    assert.equal(count(db, "artifacts"), CHECKPOINTS, "checkpoint uris are shared between the writers");
    assert.equal(count(db, "events", "direction = 'checkpoint'"), RUN_IDS.length * CHECKPOINTS);
    for (const runId of RUN_IDS) assert.equal(count(db, "metrics", `run_id = '${runId}'`), METRIC_POINTS);
    const last = db.sqlite.prepare("SELECT progress_json AS p FROM executions WHERE id = ?").get(`${RUN_IDS[0]}/data`) as { p: string };
    assert.deepEqual(JSON.parse(last.p), { step: WRITES - 2 });
  });
});
