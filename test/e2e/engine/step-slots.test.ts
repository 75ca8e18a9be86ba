// A worker process runs one compute step (cores >= 1) at a time, and light steps (cores: 0, the
// default of command steps) beside it: with a single worker, the diamond's b and c still overlap,
// while two compute steps run one after the other.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cli, DIAMOND, dispose, makeWorkspace, startServer, withRunDb, type TestWorkspace } from "./helpers.ts";

const SLEEPERS = "test/e2e/engine/specs/two-sleepers.yaml";

let ws: TestWorkspace;
before(async () => {
  ws = makeWorkspace("slots");
  await startServer(ws);
});
after(() => dispose(ws));

/** The text of one output of a step of a run, from the artifact store. */
function outputText(runId: string, stepId: string): string {
  const uri = withRunDb(ws, (db) =>
    db
      .prepare("SELECT a.uri FROM events e JOIN artifacts a ON a.id = e.artifact_id WHERE e.execution_id = ? AND e.direction = 'output'")
      .pluck()
      .get(`${runId}/${stepId}`),
  ) as string;
  return readFileSync(join(ws.home, uri), "utf8");
}

/** The `<prefix>start <t>` / `<prefix>end <t>` times (seconds since the epoch) in a step's output. */
function span(text: string, prefix = ""): { start: number; end: number } {
  const at = (what: string) => Number(new RegExp(`^${prefix}${what} ([0-9.]+)$`, "m").exec(text)?.[1]);
  const s = { start: at("start"), end: at("end") };
  assert.ok(Number.isFinite(s.start) && Number.isFinite(s.end), `no ${prefix}start/end times in:\n${text}`);
  return s;
}

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;

test("one worker: the diamond's light steps b and c run at the same time", { timeout: 240_000 }, async () => {
  const r = await cli(ws, ["run", DIAMOND, "--name", "light", "--workers", "1"]);
  assert.equal(r.code, 0, r.stderr);
  const combined = outputText("light", "d");
  const b = span(combined, "b ");
  const c = span(combined, "c ");
  assert.ok(overlap(b, c), `b ${JSON.stringify(b)} and c ${JSON.stringify(c)} did not overlap`);
});

test("one worker: two compute steps (cores: 1) run one after the other", { timeout: 240_000 }, async () => {
  const r = await cli(ws, ["run", SLEEPERS, "--name", "compute", "--workers", "1"]);
  assert.equal(r.code, 0, r.stderr);
  const x = span(outputText("compute", "x"));
  const y = span(outputText("compute", "y"));
  assert.ok(!overlap(x, y), `x ${JSON.stringify(x)} and y ${JSON.stringify(y)} overlapped on one worker`);
});
