// Pipeline acceptance 4: bad input a user brings. A JSONL with broken lines as `with.text` is skipped
// and counted (onBadRecord: skip) or stops the run naming file:line (fail); a missing image folder is
// caught before anything runs (E_FILE_NOT_FOUND at the spec's line:col). Exit code 1 on every failure,
// never a stack trace. (A truncated checkpoint on disk is in kill-resume.test.ts.)
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  cli,
  cliJson,
  dispose,
  makeWorkspace,
  STACK_FRAME,
  stepsOf,
  stepStates,
  type CliResult,
  type RunStatusJson,
  type TestWorkspace,
} from "../engine/helpers.ts";
import { activityFailures, eventsOf, finalMetric, startOwnServer, stepLog } from "./helpers.ts";

const BYO_TEXT = "test/e2e/pipeline/specs/byo-text.yaml";
const MISSING_IMAGES = "test/e2e/pipeline/specs/missing-images.yaml";
const FILE = "text-with-bad-lines.jsonl";
/** The broken lines of fixtures/text-with-bad-lines.jsonl, as `file:line: reason`. */
const BAD_LINES = [
  new RegExp(`${FILE}:3: invalid JSON`),
  new RegExp(`${FILE}:7: missing field "text"`),
  new RegExp(`${FILE}:12: field "text" must be a string, got number`),
  new RegExp(`${FILE}:16: expected a JSON object per line`),
];
/** Where the missing folder is written in missing-images.yaml. */
const IMAGES_AT = "10:15";

let ws: TestWorkspace; // runs
let compileOnly: TestWorkspace; // spec errors: must never need (or start) a Temporal server
before(async () => {
  ws = makeWorkspace("bad-input");
  compileOnly = makeWorkspace("bad-spec");
  await startOwnServer(ws);
});
after(async () => {
  await dispose(ws);
  await dispose(compileOnly);
});

function assertNoStack(r: CliResult): void {
  assert.doesNotMatch(r.stderr, STACK_FRAME, `stack trace on stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, STACK_FRAME, `stack trace on stdout:\n${r.stdout}`);
}

describe("brought text with broken lines", () => {
  test("onBadRecord: skip -> the run succeeds, bad_records counts them, log and manifest name file:line", { timeout: 120_000 }, async () => {
    const r = await cliJson<RunStatusJson>(ws, ["run", BYO_TEXT, "--name", "skip", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(stepStates(r.json), { data: "succeeded" });
    assert.equal(finalMetric(ws, "skip", "data", "bad_records"), BAD_LINES.length);
    const log = stepLog(ws, "skip", "data");
    assert.match(log, /skipped 4 bad record\(s\)/);
    for (const line of BAD_LINES) assert.match(log, line);

    const dataset = eventsOf(ws, "skip", "data", "output").find((e) => e.name === "dataset");
    assert.ok(dataset, "data recorded no dataset output");
    const manifest = JSON.parse(readFileSync(join(ws.home, dataset.uri, "manifest.json"), "utf8")) as { badRecords: { count: number; first: string[] } };
    assert.equal(manifest.badRecords.count, BAD_LINES.length);
    BAD_LINES.forEach((line, i) => assert.match(manifest.badRecords.first[i] ?? "", line));
  });

  test("onBadRecord: fail -> exit 1, the failed step names every file:line, not retried, no stack trace", { timeout: 120_000 }, async () => {
    const r = await cli(ws, ["run", BYO_TEXT, "--set", "on_bad=fail", "--name", "fail"]);
    assert.equal(r.code, 1, `exit ${r.code}\n${r.stderr}\n${r.stdout}`);
    assertNoStack(r);
    const out = `${r.stdout}\n${r.stderr}`;
    assert.match(out, /^data\s+failed\s+.*prepare-data: 4 bad record\(s\) in the brought data:$/m, `no failed row for step data:\n${out}`);
    for (const line of BAD_LINES) assert.match(out, line);
    assert.match(out, /set onBadRecord: skip to leave them out/);

    const data = stepsOf(ws, "fail").data!;
    assert.equal(data.state, "failed");
    assert.equal(data.attempt, 1, "bad input must not be retried");
    const failures = await activityFailures(ws, "fail");
    assert.deepEqual(failures.map((f) => [f.type, f.nonRetryable]), [["BadInput", true]]);
  });

  // A failed run ends with one `error:` line on stderr naming the step and what went wrong.
  test(
    "onBadRecord: fail -> stderr has one `error:` line naming the step and the first bad record",
    { timeout: 120_000 },
    async () => {
      const r = await cli(ws, ["run", BYO_TEXT, "--set", "on_bad=fail", "--name", "fail-stderr"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^error: .*\\bdata\\b.*${FILE}:3`, "m"), `stderr:\n${r.stderr}`);
    },
  );
});

describe("a brought image folder that does not exist", () => {
  const expected = new RegExp(`^${MISSING_IMAGES}:${IMAGES_AT}: error E_FILE_NOT_FOUND: input file 'nope/' of step 'data' does not exist`, "m");

  test("mmada validate reports E_FILE_NOT_FOUND at the value's line:col", async () => {
    const r = await cli(compileOnly, ["validate", MISSING_IMAGES]);
    assert.equal(r.code, 1, r.stderr);
    // validate lists the errors on stdout (they are its output) and ends with `error: ...` on stderr
    const out = `${r.stdout}${r.stderr}`;
    assert.match(out, expected);
    assert.equal(out.match(/error E_/g)?.length, 1, `expected exactly one spec error:\n${out}`);
    assert.match(r.stderr, /^error: 1 error in .*missing-images\.yaml$/m);
    assertNoStack(r);
  });

  test("mmada run reports the same and runs nothing", async () => {
    const r = await cli(compileOnly, ["run", MISSING_IMAGES]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, expected);
    assert.match(r.stderr, /^error: 1 error\(s\) in .*missing-images\.yaml; nothing was run$/m);
    assertNoStack(r);
    assert.equal(existsSync(join(compileOnly.home, "temporal", "server.json")), false, "a spec error started the dev server");
    assert.equal(existsSync(join(compileOnly.home, "runs.db")), false, "a spec error opened the run database");
  });
});
