// Pipeline acceptance 3: stage 2 diverges (an absurd learning rate makes the loss NaN). The step fails
// at once with a non-retryable NonFiniteLoss naming the step number and the checkpoint it kept, later
// steps are skipped, and `resume` with a sane learning rate reuses everything before stage 2 from the
// cache and runs the rest.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cliJson, dispose, makeWorkspace, runRow, stepOf, stepsOf, stepStates, type RunStatusJson, type TestWorkspace } from "../engine/helpers.ts";
import { activityFailures, checkpointStep, derivedSpec, eventsOf, finalMetric, SMOKE, startOwnServer } from "./helpers.ts";

const FAILED = "diverged";
const RESUMED = "diverged-resumed";
const BEFORE_STAGE2 = ["data", "classifier", "vq", "tokens", "stage1"];
const FROM_STAGE2 = ["stage2", "stage3", "eval_stage3"];
/** "stage2: gradient norm is NaN (loss 4.703) at step 2 (lr=6.67e+5); the last good checkpoint step-1.ckpt is kept; lower ..." */
const NON_FINITE = /^stage2: (loss is NaN|gradient norm is \S+ \(loss \S+\)) at step (\d+) \(lr=\S+\); the last good checkpoint step-(\d+)\.ckpt is kept; lower the learning rate/;

let ws: TestWorkspace;
let spec: string;
before(async () => {
  ws = makeWorkspace("diverge");
  // mmada-smoke with a stage-2 checkpoint after every step: at lr 1e6 stage 2 diverges at its second
  // step, so the smoke spec's checkpointEvery 4 would leave no checkpoint to keep
  spec = derivedSpec(ws, SMOKE, "mmada-smoke-ckpt1", [[["steps", "stage2", "with", "checkpointEvery"], 1]]);
  await startOwnServer(ws);
});
after(() => dispose(ws));

test("stage 2 diverges: NonFiniteLoss, not retried, later steps skipped; resume with a sane lr reuses stages before it", { timeout: 240_000 }, async () => {
  let t = Date.now();
  const failed = await cliJson<RunStatusJson>(ws, ["run", spec, "--set", "stage2_lr=1e6", "--name", FAILED, "--json"]);
  const failedSeconds = (Date.now() - t) / 1000;
  assert.equal(failed.code, 1, failed.stderr);
  assert.equal(failed.json.status, "failed");
  assert.deepEqual(stepStates(failed.json), {
    ...Object.fromEntries(BEFORE_STAGE2.map((s) => [s, "succeeded"])),
    stage2: "failed",
    stage3: "skipped",
    eval_stage3: "skipped",
  });
  const error = stepOf(failed.json, "stage2")!.error ?? "";
  const m = NON_FINITE.exec(error);
  assert.ok(m, `stage2's error does not name the step and the kept checkpoint: ${error}`);
  const [divergedAt, kept] = [Number(m[2]), Number(m[3])];
  assert.ok(kept >= 1 && kept < divergedAt, `kept checkpoint step-${kept} is not before the diverged step ${divergedAt}`);
  assert.match(failed.json.error ?? "", /step stage2 failed: stage2: /);

  // the kept checkpoint is on disk and recorded as a checkpoint of the failed execution
  const recorded = eventsOf(ws, FAILED, "stage2", "checkpoint").find((e) => checkpointStep(e.name) === kept);
  assert.ok(recorded, `step-${kept} is not recorded as a checkpoint of stage2`);
  assert.ok(existsSync(join(ws.home, recorded.uri)), `the kept checkpoint ${recorded.uri} is not on disk`);

  // non-retryable: one attempt although the spec allows two, and Temporal saw the NonFiniteLoss type
  const rows = stepsOf(ws, FAILED);
  assert.equal(rows.stage2?.state, "failed");
  assert.equal(rows.stage2?.attempt, 1, "a diverged step must not be retried");
  assert.equal(rows.stage2?.error, error);
  for (const s of FROM_STAGE2.slice(1)) assert.equal(rows[s]?.state, "skipped");
  assert.equal(runRow(ws, FAILED)?.status, "failed");
  const failures = await activityFailures(ws, FAILED);
  assert.deepEqual(failures.map((f) => [f.type, f.nonRetryable]), [["NonFiniteLoss", true]], JSON.stringify(failures));

  // resume with a sane learning rate: stages before stage 2 come from the failed run
  t = Date.now();
  const resumed = await cliJson<RunStatusJson>(ws, ["resume", FAILED, "--set", "stage2_lr=0.002", "--name", RESUMED, "--json"]);
  const resumedSeconds = (Date.now() - t) / 1000;
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.json.status, "succeeded");
  assert.deepEqual(stepStates(resumed.json), {
    ...Object.fromEntries(BEFORE_STAGE2.map((s) => [s, "cached"])),
    ...Object.fromEntries(FROM_STAGE2.map((s) => [s, "succeeded"])),
  });
  for (const s of BEFORE_STAGE2) assert.equal(stepOf(resumed.json, s)!.cachedFrom, `${FAILED}/${s}`);
  assert.equal(runRow(ws, RESUMED)?.resumed_from, FAILED);
  assert.equal(stepsOf(ws, RESUMED).stage2?.attempt, 1);
  // another learning rate is another cache key, hence another checkpoint folder: stage 2 starts
  // fresh from stage 1 instead of continuing the diverged trajectory
  assert.equal(finalMetric(ws, RESUMED, "stage2", "resumed_from_step"), 0);
  console.log(
    `diverge: failed run ${failedSeconds.toFixed(1)} s, stage2 failed at step ${divergedAt} keeping step-${kept}.ckpt; ` +
      `resume ${resumedSeconds.toFixed(1)} s, ran only ${FROM_STAGE2.join(", ")}`,
  );
});
