// `mmada run` without --no-worker runs steps in a child worker process (engine/pool/step-workers.ts).
// When that child dies mid-step (OOM killer, a crash, a stray kill -9) the run must not hang: the step's
// heartbeat times out and its retry needs a worker, so the run must bring one back (or fail saying why).
//
// spawnStepWorker replaces a child that exits unexpectedly; the retried step runs on the new one.
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { after, before, test } from "node:test";
import { dispose, killTree, makeWorkspace, parseJson, type RunStatusJson, spawnCli, stepsOf, type TestWorkspace, waitFor } from "../engine/helpers.ts";
import { LONG_STAGE1, progressOf, startOwnServer } from "./helpers.ts";

const RUN = "worker-crash";
/** heartbeatTimeout of stage1 (10 s) + retry interval + a new worker's start + the rest of stage 1. */
const RECOVER_MS = 60_000;

let ws: TestWorkspace;
before(async () => {
  ws = makeWorkspace("worker-crash");
  Object.assign(ws.env, { MMADA_BACKEND: "wasm", MMADA_KERNELS: "tfjs" }); // a known speed, like kill-resume.test.ts
  await startOwnServer(ws);
});
after(() => dispose(ws));

test(
  "the step worker child of `mmada run` killed mid-step: the run recovers instead of hanging",
  { timeout: 240_000 },
  async () => {
    const run = spawnCli(ws, ["run", LONG_STAGE1, "--name", RUN, "--json"]);
    // the worker that runs stage 1 names itself in the database: host:pid of the child process
    const worker = await waitFor(
      "stage1 running with progress",
      () => {
        const p = progressOf(ws, RUN, "stage1");
        return p?.state === "running" && (p.progress?.step ?? 0) > 0 && p.worker?.startsWith(`${hostname()}:`) ? p.worker : undefined;
      },
      150_000,
    );
    const childPid = Number(worker.slice(worker.lastIndexOf(":") + 1));
    assert.notEqual(childPid, run.pid, "stage 1 ran in the `mmada run` process itself, not in a step worker child");
    process.kill(childPid, "SIGKILL");

    const outcome = await Promise.race([run.output, new Promise<undefined>((r) => setTimeout(r, RECOVER_MS))]);
    if (!outcome) {
      killTree(run.pid!);
      assert.fail(`the run did not end within ${RECOVER_MS / 1000} s of its step worker's death; stage1 is ${progressOf(ws, RUN, "stage1")?.state}`);
    }
    assert.equal(outcome.code, 0, `run exited ${outcome.code}: ${outcome.stderr}`);
    assert.equal(parseJson<RunStatusJson>(outcome, ["run"]).status, "succeeded");
    assert.equal(stepsOf(ws, RUN).stage1?.attempt, 2, "stage 1 should have been retried once, on the new worker");
  },
);
