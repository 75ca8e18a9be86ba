// Acceptance 6: the `cancel` signal (what Ctrl-C on `mmada run` sends) stops a run in the middle
// of a long step: the step's command is killed, the step and everything after it end cancelled
// (or skipped), the run ends cancelled and `mmada run` exits 1.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectClient, endpoint } from "../../../engine/temporal/connection.ts";
import { workflowIdOf } from "../../../contract/ids.ts";
import {
  dispose,
  executionNow,
  LONG_STEP,
  makeWorkspace,
  parseJson,
  pidsWithEnv,
  runRow,
  spawnCli,
  startServer,
  stepsOf,
  waitFor,
  type CliResult,
  type RunStatusJson,
  type TestWorkspace,
} from "./helpers.ts";

const RUN = "cancel-me";
/** Far longer than the test waits: the run can only end this soon because it was cancelled. */
const LONG_SECONDS = 60;
const CANCEL_DEADLINE_MS = 30_000;
const COMMAND_GONE_MS = 5_000;
const STOPPED = ["cancelled", "skipped"];

let ws: TestWorkspace;
before(async () => {
  ws = makeWorkspace("cancel");
  await startServer(ws);
});
after(() => dispose(ws));

/** The cancelled run's CLI output, checked by the second test. */
let result: CliResult | undefined;

test("cancel signal during a long step: run cancelled, the step's command killed", { timeout: 240_000 }, async () => {
  const run = spawnCli(ws, ["run", LONG_STEP, "--name", RUN, "--set", `seconds=${LONG_SECONDS}`, "--json"]);
  // running on a worker (not just queued): the activity's first heartbeat names its worker
  await waitFor("the long step to start on a worker", () => {
    const long = executionNow(ws, RUN, "long");
    return long?.state === "running" && long.worker !== "(queued)";
  });
  await waitFor("the long step's command", () => pidsWithEnv("MMADA_RUN_ID", RUN).length > 0);

  const { client, close } = await connectClient(await endpoint(ws.home));
  const signalledAt = Date.now();
  try {
    await client.workflow.getHandle(workflowIdOf(RUN)).cancel();
  } finally {
    await close();
  }

  const r = (result = await run.output);
  assert.ok(Date.now() - signalledAt < CANCEL_DEADLINE_MS, `the run took ${Date.now() - signalledAt} ms to stop after cancel`);
  assert.equal(r.code, 1, r.stderr);

  // the database: run cancelled, the long step cancelled, `after` never ran, nothing left open
  assert.equal(runRow(ws, RUN)?.status, "cancelled");
  const steps = stepsOf(ws, RUN);
  assert.equal(steps.prep?.state, "succeeded");
  assert.equal(steps.long?.state, "cancelled");
  assert.ok(STOPPED.includes(steps.after!.state), `after is ${steps.after?.state}`);
  assert.equal(steps.after?.attempt, 0, "after ran");
  for (const e of Object.values(steps)) assert.ok(e.finished_at || e.state === "skipped", `${e.id} (${e.state}) has no finish time`);

  await waitFor("the cancelled command's processes to exit", () => pidsWithEnv("MMADA_RUN_ID", RUN).length === 0, COMMAND_GONE_MS);
});

test("cancelled run: `run --json` prints exactly the final status as JSON, agreeing with the database", () => {
  assert.ok(result, "the cancel test did not get as far as the run's output");
  const status = parseJson<RunStatusJson>(result, ["run", "--json"]);
  assert.equal(status.status, "cancelled");
  const steps = stepsOf(ws, RUN);
  assert.deepEqual(
    status.steps.map((s) => [s.id, s.status]),
    Object.values(steps).map((e) => [e.step_id, e.state]),
  );
});
