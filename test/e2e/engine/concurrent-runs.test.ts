// Acceptance 3: two `mmada run` processes against one workspace at the same time (each with its own
// in-process workers serving the same database queue). Both succeed, both are recorded completely,
// and the SQLite file stays intact.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  count,
  DIAMOND,
  dispose,
  integrityCheck,
  makeWorkspace,
  outputEvents,
  parseJson,
  runRow,
  scalar,
  spawnCli,
  startServer,
  stepsOf,
  stepStates,
  withRunDb,
  type RunStatusJson,
  type TestWorkspace,
} from "./helpers.ts";

/** Different `n` per run, so neither can reuse the other's steps. */
const RUNS = [
  { name: "par-1", n: 11 },
  { name: "par-2", n: 12 },
];
const DECLARED_OUTPUTS = { a: ["out"], b: ["result"], c: ["result"], d: ["combined"] };

let ws: TestWorkspace;
before(async () => {
  ws = makeWorkspace("concurrent");
  await startServer(ws);
});
after(() => dispose(ws));

/** "b start <t>" / "b end <t>" lines (seconds since the epoch) from the diamond's d output. */
function interval(combined: string, step: "b" | "c"): { start: number; end: number } {
  const at = (what: string) => Number(new RegExp(`^${step} ${what} ([0-9.]+)$`, "m").exec(combined)?.[1]);
  return { start: at("start"), end: at("end") };
}

test("two runs of the diamond at once in one workspace both succeed and are recorded completely", { timeout: 240_000 }, async () => {
  const procs = RUNS.map((r) => spawnCli(ws, ["run", DIAMOND, "--name", r.name, "--set", `n=${r.n}`, "--json"]));
  const results = await Promise.all(procs.map((p) => p.output));

  for (const [i, r] of results.entries()) {
    const { name, n } = RUNS[i]!;
    assert.equal(r.code, 0, `${name} exited ${r.code}: ${r.stderr}`);
    const status = parseJson<RunStatusJson>(r, ["run", name]);
    assert.equal(status.runId, name);
    assert.deepEqual(stepStates(status), { a: "succeeded", b: "succeeded", c: "succeeded", d: "succeeded" });

    // recorded completely: the run, its params, four finished executions, each with its outputs
    const row = runRow(ws, name);
    assert.equal(row?.status, "succeeded");
    assert.ok(row?.finished_at, `${name} has no finish time`);
    assert.equal(scalar(ws, "SELECT value FROM run_params WHERE run_id = ? AND key = 'n'", name), String(n));
    const steps = stepsOf(ws, name);
    assert.deepEqual(Object.keys(steps), ["a", "b", "c", "d"]);
    for (const e of Object.values(steps)) {
      assert.equal(e.state, "succeeded", `${e.id} is ${e.state}`);
      assert.equal(e.attempt, 1, `${e.id} took ${e.attempt} attempts`);
      assert.ok(e.started_at && e.finished_at, `${e.id} lacks times`);
    }
    assert.deepEqual(outputEvents(ws, name), Object.fromEntries(Object.entries(DECLARED_OUTPUTS).map(([s, o]) => [`${name}/${s}`, o])));

    // each run's d saw its own a (no cross-talk between the runs), and b and c overlapped in time
    const uri = withRunDb(ws, (db) =>
      db
        .prepare("SELECT a.uri FROM events e JOIN artifacts a ON a.id = e.artifact_id WHERE e.execution_id = ? AND e.direction = 'output'")
        .pluck()
        .get(`${name}/d`),
    ) as string;
    const combined = readFileSync(join(ws.home, uri), "utf8");
    assert.match(combined, new RegExp(`^b saw ${n}$`, "m"));
    assert.match(combined, new RegExp(`^c saw ${n}$`, "m"));
    const b = interval(combined, "b");
    const c = interval(combined, "c");
    assert.ok(b.start < c.end && c.start < b.end, `${name}: b ${JSON.stringify(b)} and c ${JSON.stringify(c)} did not run in parallel`);
  }

  assert.equal(integrityCheck(ws), "ok");
  assert.equal(count(ws, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
  assert.equal(count(ws, "SELECT count(*) FROM runs"), RUNS.length);
  assert.equal(count(ws, "SELECT count(*) FROM executions"), RUNS.length * Object.keys(DECLARED_OUTPUTS).length);
  assert.equal(count(ws, "SELECT count(*) FROM pipelines"), 1, "one spec text should be one pipelines row");
});
