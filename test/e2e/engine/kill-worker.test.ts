// Acceptance 2: a worker killed with SIGKILL in the middle of a long step. Temporal notices the
// missing heartbeats (heartbeatTimeout 5s: short, yet safe on a loaded machine), retries the step on the surviving worker, and the run
// succeeds with nothing lost or duplicated in the run database. A second test checks that the
// killed worker's step command did not live on beside the retry.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  alive,
  count,
  dispose,
  executionNow,
  integrityCheck,
  killTree,
  LONG_STEP,
  makeWorkspace,
  outputEvents,
  parseJson,
  pidsWithEnv,
  runRow,
  spawnCli,
  startServer,
  stepsOf,
  stepStates,
  waitFor,
  waitForStderr,
  workerId,
  type RunStatusJson,
  type TestWorkspace,
} from "./helpers.ts";

const RUN = "kill9";
const WORKER_READY = /worker \d+ on /;
/** How long a killed worker's step command may take to notice and exit. */
const ORPHAN_GRACE_MS = 3_000;
/** Attempt 1's command processes still alive ORPHAN_GRACE_MS after worker A was killed. */
let orphans: number[] | undefined;
/** One output per declared output of long-step.yaml. */
const DECLARED_OUTPUTS = { prep: ["seed"], long: ["result"], after: ["copy"] };

let ws: TestWorkspace;
before(async () => {
  ws = makeWorkspace("kill");
  await startServer(ws);
});
after(() => dispose(ws));

test("kill -9 of the worker running a long step: the step retries on another worker", { timeout: 240_000 }, async () => {
  const workerA = spawnCli(ws, ["worker"]);
  await waitForStderr(workerA, WORKER_READY);
  const run = spawnCli(ws, ["run", LONG_STEP, "--name", RUN, "--no-worker", "--json"]);

  // the long step has started on A: A's first heartbeat wrote its identity into the database
  const onA = await waitFor("the long step running on worker A", () => {
    const long = executionNow(ws, RUN, "long");
    return long?.state === "running" && long.worker === workerId(workerA.pid!) ? long : undefined;
  });
  assert.equal(onA.attempt, 1);

  const workerB = spawnCli(ws, ["worker"]);
  await waitForStderr(workerB, WORKER_READY);
  // attempt 1's shell command (and its `sleep`), then A's whole process group
  const commandPids = pidsWithEnv("MMADA_RUN_ID", RUN);
  assert.ok(commandPids.length > 0, "attempt 1's command was not found while it ran");
  process.kill(-workerA.pid!, "SIGKILL");
  await workerA.output;
  // the command is detached (its own group): see whether it outlives its worker, then make sure
  // it does not keep running beside attempt 2 either way (checked by the next test)
  await new Promise((r) => setTimeout(r, ORPHAN_GRACE_MS));
  orphans = commandPids.filter(alive);
  for (const p of orphans) killTree(p);

  const result = await run.output;
  assert.equal(result.code, 0, `run exited ${result.code}: ${result.stderr}`);
  const status = parseJson<RunStatusJson>(result, ["run"]);
  assert.deepEqual(stepStates(status), { prep: "succeeded", long: "succeeded", after: "succeeded" });

  const steps = stepsOf(ws, RUN);
  assert.equal(steps.long?.attempt, 2, "the long step should have been retried exactly once");
  assert.equal(steps.long?.worker, workerId(workerB.pid!), "the retry should have run on worker B");
  for (const e of Object.values(steps)) assert.equal(e.state, "succeeded", `${e.id} is ${e.state}`);

  // nothing lost or duplicated
  assert.equal(count(ws, "SELECT count(*) FROM runs"), 1);
  assert.equal(runRow(ws, RUN)?.status, "succeeded");
  assert.equal(count(ws, "SELECT count(*) FROM executions WHERE run_id = ?", RUN), 3);
  assert.deepEqual(outputEvents(ws, RUN), Object.fromEntries(Object.entries(DECLARED_OUTPUTS).map(([s, o]) => [`${RUN}/${s}`, o])));
  assert.equal(count(ws, "SELECT count(*) FROM artifacts WHERE producer_execution_id IS NULL"), 0);
  assert.equal(integrityCheck(ws), "ok");
  assert.equal(count(ws, "SELECT count(*) FROM pragma_foreign_key_check"), 0);

  workerB.kill("SIGTERM");
  await workerB.output;
});

test("kill -9 of a worker also ends the command its step was running (no orphan beside the retry)", () => {
  assert.ok(orphans, "the kill test did not get as far as killing worker A");
  assert.deepEqual(orphans, [], `attempt 1's command (pids ${orphans.join(", ")}) still ran ${ORPHAN_GRACE_MS} ms after its worker was killed`);
});
