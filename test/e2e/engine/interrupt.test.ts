// Runs that behave under interruption and bad input, through the real CLI on the workspace's dev
// server and long-lived workers:
//  - Ctrl-C cancels (exit 130, one line), cancelled in Temporal and in the database, nothing retried;
//  - `mmada cancel` from another terminal; a second run of the same name attaches instead of starting;
//  - a failed run is Failed in Temporal and findable by its search attributes;
//  - a command that plants a symlink to an outside folder in $MMADA_OUT cannot move what is there;
//  - an 8 MB stderr line ends as a bounded error, the whole text in the step's log;
//  - resume with an edited spec that dropped a param says so instead of failing;
//  - a step on a `--no-db` worker has its attempt, worker and heartbeats recorded;
//  - `server status` reports, it never starts anything.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { temporalBinary } from "../../../engine/temporal/dev-server.ts";
import { cli, cliJson, DIAMOND, dispose, LONG_STEP, makeWorkspace, runRow, spawnCli, stepsOf, waitFor, waitForStderr, workerId, type RunStatusJson, type TestWorkspace } from "./helpers.ts";

let ws: TestWorkspace;
let spec: string; // a scratch folder for the specs these tests write
before(() => {
  ws = makeWorkspace("interrupt");
  spec = mkdtempSync(join(tmpdir(), "mmada-interrupt-specs-"));
});
after(() => dispose(ws));

/** The step's state once the run database has it (undefined before the file exists). */
function stateOf(runId: string, step: string): string | undefined {
  try {
    return stepsOf(ws, runId)[step]?.state;
  } catch {
    return undefined;
  }
}

/** Workflow status in Temporal by a visibility query, through the project's Temporal CLI. */
function temporalList(query: string): string {
  const { port } = JSON.parse(readFileSync(join(ws.home, "temporal", "server.json"), "utf8")) as { port: number };
  return execFileSync(temporalBinary(), ["workflow", "list", "--address", `127.0.0.1:${port}`, "--query", query], { encoding: "utf8" });
}

describe("interruption", () => {
  it("Ctrl-C cancels the run through Temporal: exit 130, one line, cancelled everywhere, no retry", async () => {
    const run = spawnCli(ws, ["run", LONG_STEP, "--name", "ctrl-c", "--set", "seconds=60"]);
    await waitFor("the long step running", () => stateOf("ctrl-c", "long") === "running", 120_000);
    process.kill(run.pid!, "SIGINT");
    const r = await run.output;
    assert.equal(r.code, 130, r.stderr);
    assert.equal(r.stderr.match(/^cancelling run ctrl-c/gm)?.length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /Promise did not resolve|Error:|\s+at /);
    const steps = stepsOf(ws, "ctrl-c");
    assert.equal(runRow(ws, "ctrl-c")?.status, "cancelled");
    assert.equal(steps.long?.state, "cancelled");
    assert.equal(steps.long?.attempt, 1, "the interrupted step must not start again");
    assert.equal(steps.after?.state, "cancelled");
    assert.match(temporalList("MmadaRunId='ctrl-c'"), /Canceled/);
  });

  it("`mmada cancel` stops a run from another terminal; a second run of the same name attaches to it", async () => {
    const first = spawnCli(ws, ["run", LONG_STEP, "--name", "other-terminal", "--set", "seconds=60", "--json"]);
    await waitFor("the long step running", () => stateOf("other-terminal", "long") === "running", 120_000);
    // Without --json the second says when it has attached; cancelling earlier would leave it
    // nothing to attach to (a finished run of that name is refused).
    const second = spawnCli(ws, ["run", LONG_STEP, "--name", "other-terminal", "--set", "seconds=60"]);
    await waitForStderr(second, /^run other-terminal: /m);
    const c = await cli(ws, ["cancel", "other-terminal"]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /run other-terminal cancelled/);
    const r1 = await first.output;
    assert.equal(r1.code, 1, r1.stderr);
    assert.equal((JSON.parse(r1.stdout) as RunStatusJson).status, "cancelled");
    const r2 = await second.output;
    assert.equal(r2.code, 1, r2.stderr);
    assert.match(r2.stdout, /^run other-terminal cancelled in /m);
    assert.equal(runRow(ws, "other-terminal")?.status, "cancelled");
  });
});

describe("failures are failures everywhere", () => {
  it("a failed run is Failed in Temporal, findable by pipeline and run id", async () => {
    const r = await cli(ws, ["run", DIAMOND, "--name", "fails", "--set", "fail=true"]);
    assert.equal(r.code, 1);
    assert.match(temporalList("MmadaRunId='fails'"), /Failed/);
    assert.match(temporalList("MmadaPipeline='diamond'"), /mmada-run-fails/);
  });

  it("a step's huge stderr ends as a bounded error; the whole text stays in its log", async () => {
    const file = join(spec, "loud.yaml");
    writeFileSync(file, `name: loud\nsteps:\n  shout:\n    uses: command\n    retry: { maximumAttempts: 1 }\n    with: { run: 'head -c 8000000 /dev/zero | tr "\\\\0" x >&2; exit 3' }\n`);
    const r = await cliJson<RunStatusJson>(ws, ["run", file, "--name", "loud", "--json"]);
    assert.equal(r.code, 1);
    const error = stepsOf(ws, "loud").shout?.error ?? "";
    assert.ok(error.length < 6000, `the recorded error is ${error.length} characters`);
    assert.match(error, /the whole text is in logs\/loud\/shout\.log/);
    assert.ok(readFileSync(join(ws.home, "logs", "loud", "shout.log"), "utf8").length >= 8_000_000);
  });
});

describe("nothing outside the workspace is touched", () => {
  it("an output under a symlink to an outside folder is refused, and the outside file stays where it is", async () => {
    const outside = mkdtempSync(join(tmpdir(), "mmada-outside-"));
    writeFileSync(join(outside, "precious.txt"), "keep me");
    const file = join(spec, "escape.yaml");
    writeFileSync(file, `name: escape\nsteps:\n  grab:\n    uses: command\n    with:\n      run: 'ln -s ${outside} "$MMADA_OUT/link"'\n      outputs: { stolen: link/precious.txt }\n`);
    const r = await cli(ws, ["run", file, "--name", "escape"]);
    assert.equal(r.code, 1);
    assert.match(stepsOf(ws, "escape").grab?.error ?? "", /resolves to .*outside.*written under \$MMADA_OUT/);
    assert.equal(readFileSync(join(outside, "precious.txt"), "utf8"), "keep me");
  });
});

describe("remote workers", () => {
  it("a step on a --no-db worker has its attempt, worker and heartbeats recorded by the database owner", async () => {
    const remote = spawnCli(ws, ["worker", "--no-db", "--task-queue", "remote"]);
    await waitForStderr(remote, /worker \d+ on /);
    const file = join(spec, "remote.yaml");
    writeFileSync(file, `name: remote\nsteps:\n  far:\n    uses: command\n    queue: remote\n    with: { run: 'for i in 1 2 3 4 5 6; do sleep 1; done' }\n`);
    const run = spawnCli(ws, ["run", file, "--name", "remote", "--queues", "default"]);
    const seen = await waitFor("a heartbeat of the remote step", () => {
      const row = (() => { try { return stepsOf(ws, "remote").far; } catch { return undefined; } })();
      return row?.state === "running" && /running for \d+s/.test(row.progress_json ?? "") ? row : undefined;
    }, 120_000);
    assert.equal(seen.worker, workerId(remote.pid!));
    assert.equal(seen.attempt, 1);
    assert.match(seen.progress_json ?? "", /running for \d+s/);
    assert.equal((await run.output).code, 0);
    remote.kill("SIGTERM");
    await remote.output;
  });

  it("a step too short for any heartbeat still records the worker that ran it (the step's report comes with its end)", async () => {
    const remote = spawnCli(ws, ["worker", "--no-db", "--task-queue", "quick"]);
    await waitForStderr(remote, /worker \d+ on /);
    const file = join(spec, "quick.yaml");
    writeFileSync(file, `name: quick\nsteps:\n  blink:\n    uses: command\n    queue: quick\n    with: { run: 'true' }\n`);
    const r = await cli(ws, ["run", file, "--name", "quick", "--queues", "default"]);
    assert.equal(r.code, 0, r.stderr);
    const row = stepsOf(ws, "quick").blink!;
    assert.equal(row.state, "succeeded");
    assert.equal(row.worker, workerId(remote.pid!));
    assert.equal(row.attempt, 1);
    remote.kill("SIGTERM");
    await remote.output;
  });
});

describe("resume and status", () => {
  it("resume with an edited spec carries over the params it still declares and names the dropped one", async () => {
    const r1 = await cli(ws, ["run", DIAMOND, "--name", "before-edit", "--set", "n=5", "--set", "fail=true"]);
    assert.equal(r1.code, 1);
    const edited = join(spec, "edited.yaml");
    writeFileSync(edited, readFileSync(DIAMOND, "utf8").replace(/^  fail:.*$/m, "").replace(/\$\{\{ params\.fail \}\}/g, "false"));
    const r2 = await cli(ws, ["resume", "before-edit", "--spec", edited, "--name", "after-edit"]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /not carried over from before-edit: param fail/);
    assert.doesNotMatch(r2.stderr, /E_SET_UNKNOWN_PARAM/);
    assert.match(runRow(ws, "after-edit")?.params_json ?? "", /"n":5/);
  });

  it("`server status` reports without starting anything", async () => {
    const empty = makeWorkspace("status-only");
    try {
      const r = await cli(empty, ["server", "status"]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Temporal dev server: not running/);
      assert.match(r.stdout, /workers: not running/);
      assert.equal(existsSync(join(empty.home, "temporal", "server.json")), false);
    } finally {
      await dispose(empty);
    }
  });
});

