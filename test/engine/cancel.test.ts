// Acceptance 6: the `cancel` signal (what Ctrl-C on `mmada run` sends) stops a run in the middle
// of a long step: the step's command is killed, the step and everything after it end cancelled
// (or skipped), the run ends cancelled and `mmada run` exits 1.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectClient, endpoint } from "../../engine/connection.ts";
import { workflowIdOf } from "../../engine/submit.ts";
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
    await client.workflow.getHandle(workflowIdOf(RUN)).signal("cancel");
  } finally {
    await close();
  }

  const result = await run.output;
  assert.ok(Date.now() - signalledAt < CANCEL_DEADLINE_MS, `the run took ${Date.now() - signalledAt} ms to stop after cancel`);
  assert.equal(result.code, 1, result.stderr);
  const status = parseJson<RunStatusJson>(result, ["run"]);
  assert.equal(status.status, "cancelled");
  const byId = Object.fromEntries(status.steps.map((s) => [s.id, s.status]));
  assert.equal(byId.prep, "succeeded");
  assert.equal(byId.long, "cancelled");
  assert.ok(STOPPED.includes(byId.after!), `after is ${byId.after}`);

  // the database agrees with the workflow, and nothing is left open
  assert.equal(runRow(ws, RUN)?.status, "cancelled");
  const steps = stepsOf(ws, RUN);
  assert.equal(steps.prep?.state, "succeeded");
  assert.equal(steps.long?.state, "cancelled");
  assert.equal(steps.after?.state, byId.after, "the database and the workflow disagree about `after`");
  for (const e of Object.values(steps)) assert.ok(e.finished_at || e.state === "skipped", `${e.id} (${e.state}) has no finish time`);

  await waitFor("the cancelled command's processes to exit", () => pidsWithEnv("MMADA_RUN_ID", RUN).length === 0, COMMAND_GONE_MS);
});
