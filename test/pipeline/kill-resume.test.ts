// Pipeline acceptance 2: the worker training stage 1 is killed with SIGKILL mid-stage. Another worker
// takes the step over (attempt 2), resumes from the newest valid checkpoint in the step's checkpoint
// folder, loses at most one checkpoint interval, and ends with a final checkpoint byte-identical to
// an uninterrupted run's in a separate workspace (the data and masks of step s come from (seed, s), and
// a checkpoint holds weights, optimizer state and step, so the resumed trajectory is the same one).
// Variant: the newest checkpoint is truncated on disk after the kill; the resume falls back to the
// previous one, says so in the step log, and still reproduces the uninterrupted run.
import assert from "node:assert/strict";
import { readdirSync, statSync, truncateSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import {
  cliJson,
  dispose,
  killTree,
  makeWorkspace,
  parseJson,
  spawnCli,
  startServer,
  stepsOf,
  stepStates,
  waitFor,
  waitForStderr,
  workerId,
  type CliResult,
  type RunStatusJson,
  type TestWorkspace,
} from "../engine/helpers.ts";
import { cacheKeyOf, checkpointStep, eventsOf, finalMetric, LONG_STAGE1, outputSha, progressOf, stepLog } from "./helpers.ts";

const WORKER_READY = /worker \d+ on /;
/** checkpoint_every and stage1_steps of mmada-long-stage1.yaml (defaults; the variant sets its own length). */
const EVERY = 8;
const STEPS = 160;
const VARIANT_STEPS = 152;
const STEP_IDS = ["data", "vq", "tokens", "stage1"];
/** Kill only once the progress is past this step: by then the folder holds two checkpoints (keep: 2). */
const KILL_AFTER_STEP = 2 * EVERY;
const WAIT_FOR_STAGE1_MS = 150_000;

/** Where the kill landed and what the folder held right after it. */
interface Kill {
  result: CliResult;
  status: RunStatusJson;
  /** Last progress step worker A wrote to the database (A is dead when it is read). */
  killStep: number;
  /** Checkpoint files of the stage-1 folder after the kill, newest first. */
  files: { step: number; path: string }[];
  workerB: number;
  /** Seconds from the kill to the end of the run. */
  recoverySeconds: number;
}

let ws: TestWorkspace; // the killed runs
let ref: TestWorkspace; // the uninterrupted runs, same seed and spec
before(async () => {
  ws = makeWorkspace("kill-resume");
  ref = makeWorkspace("kill-ref");
  await startServer(ws);
  await startServer(ref);
});
after(async () => {
  await dispose(ws);
  await dispose(ref);
});

/** The folder's `step-N.ckpt` files, newest first (as activities/mmada/checkpoint-folder.ts lists them). */
function checkpointFiles(folder: string): { step: number; path: string }[] {
  return readdirSync(folder)
    .filter((f) => /^step-\d+\.ckpt$/.test(f))
    .map((f) => ({ step: checkpointStep(f), path: join(folder, f) }))
    .sort((a, b) => b.step - a.step);
}

/**
 * Worker A (`mmada worker`, own process group) runs the pipeline submitted with `run --no-worker`;
 * once stage 1 is past KILL_AFTER_STEP on A, A's whole group gets SIGKILL, `afterKill` may damage the
 * folder, then worker B starts and the run must finish on it.
 */
async function killMidStage1(runId: string, params: string[], afterKill: (files: Kill["files"]) => void = () => {}): Promise<Kill> {
  const workerA = spawnCli(ws, ["worker"]);
  await waitForStderr(workerA, WORKER_READY);
  const run = spawnCli(ws, ["run", LONG_STAGE1, ...params, "--name", runId, "--no-worker", "--json"]);
  await waitFor(
    `stage1 of ${runId} past step ${KILL_AFTER_STEP} on worker A`,
    () => {
      const p = progressOf(ws, runId, "stage1");
      return p?.state === "running" && p.worker === workerId(workerA.pid!) && (p.progress?.step ?? 0) > KILL_AFTER_STEP;
    },
    WAIT_FOR_STAGE1_MS,
  );
  killTree(workerA.pid!);
  await workerA.output;
  const killedAt = Date.now();
  const killStep = progressOf(ws, runId, "stage1")?.progress?.step ?? NaN;
  const recorded = eventsOf(ws, runId, "stage1", "checkpoint");
  assert.ok(recorded.length > 0, "worker A recorded no stage-1 checkpoint before the kill");
  const files = checkpointFiles(dirname(join(ws.home, recorded[0]!.uri)));
  afterKill(files);

  const workerB = spawnCli(ws, ["worker"]);
  await waitForStderr(workerB, WORKER_READY);
  const result = await run.output;
  const recoverySeconds = (Date.now() - killedAt) / 1000;
  workerB.kill("SIGTERM");
  await workerB.output;
  assert.equal(result.code, 0, `run exited ${result.code}: ${result.stderr}`);
  return { result, status: parseJson<RunStatusJson>(result, ["run"]), killStep, files, workerB: workerB.pid!, recoverySeconds };
}

/** The same pipeline, uninterrupted, in the reference workspace: its final stage-1 checkpoint. */
async function referenceRun(runId: string, params: string[]): Promise<void> {
  const r = await cliJson<RunStatusJson>(ref, ["run", LONG_STAGE1, ...params, "--name", runId, "--json"]);
  assert.equal(r.code, 0, `reference run exited ${r.code}: ${r.stderr}`);
  assert.equal(finalMetric(ref, runId, "stage1", "resumed_from_step"), 0, "the reference run resumed from a checkpoint");
}

/** Attempt 2 on B, and the final model equals the uninterrupted run's byte for byte. */
function assertTakenOverAndIdentical(kill: Kill, runId: string, refId: string): number {
  assert.deepEqual(stepStates(kill.status), Object.fromEntries(STEP_IDS.map((s) => [s, "succeeded"])));
  const stage1 = stepsOf(ws, runId).stage1!;
  assert.equal(stage1.state, "succeeded");
  assert.equal(stage1.attempt, 2, "stage 1 should have been retried exactly once");
  assert.equal(stage1.worker, workerId(kill.workerB), "attempt 2 should have run on worker B");
  const resumed = finalMetric(ws, runId, "stage1", "resumed_from_step");
  assert.ok(typeof resumed === "number" && resumed > 0, `attempt 2 started from scratch (resumed_from_step ${resumed})`);
  assert.equal(resumed % EVERY, 0, `resumed from step ${resumed}, not a checkpoint step`);
  assert.match(stepLog(ws, runId, "stage1"), new RegExp(`resuming from \\S*step-${resumed}\\.ckpt`));

  // same inputs (data, VQ, tokens and settings hash to the same cache key), same bytes out
  assert.equal(cacheKeyOf(ws, runId, "stage1"), cacheKeyOf(ref, refId, "stage1"), "the two workspaces trained different inputs");
  const got = outputSha(ws, runId, "stage1", "checkpoint");
  assert.ok(got, "stage 1 recorded no checkpoint output");
  assert.equal(got, outputSha(ref, refId, "stage1", "checkpoint"), "the resumed final checkpoint differs from the uninterrupted run's");
  return resumed;
}

test("kill -9 mid stage 1: worker B resumes from the newest checkpoint, the final model is byte-identical", { timeout: 300_000 }, async () => {
  const kill = await killMidStage1("killed", []);
  await referenceRun("uninterrupted", []);
  const resumed = assertTakenOverAndIdentical(kill, "killed", "uninterrupted");

  // Steps lost <= one checkpoint interval, no slack: killStep is what A last wrote to progress_json,
  // written every ~2 s and at each checkpoint, so it can only trail the step A really reached. A kill
  // during the save of step kE leaves (k-1)E newest while killStep is at most kE: a loss of E exactly.
  const lost = kill.killStep - resumed;
  assert.ok(lost <= EVERY, `lost ${lost} steps (progress at kill ${kill.killStep}, resumed from ${resumed}); at most ${EVERY} allowed`);

  // every checkpoint of the run is recorded (by A before the kill, by B after); the one B resumed
  // from may be missing when A died between writing the file and recording it
  const names = new Set(eventsOf(ws, "killed", "stage1", "checkpoint").map((e) => checkpointStep(e.name)));
  for (let s = EVERY; s <= STEPS; s += EVERY) if (s !== resumed) assert.ok(names.has(s), `checkpoint step-${s} is not recorded`);
  console.log(`kill: progress at kill step ${kill.killStep}/${STEPS}, resumed from ${resumed}, steps lost ${Math.max(0, lost)}; run finished ${kill.recoverySeconds.toFixed(1)} s after the kill`);
});

test("kill -9, then the newest checkpoint truncated on disk: the resume skips it and uses the previous one", { timeout: 300_000 }, async () => {
  const params = ["--set", `stage1_steps=${VARIANT_STEPS}`];
  let damaged: { step: number; path: string; bytes: number } | undefined;
  const kill = await killMidStage1("truncated", params, (files) => {
    assert.ok(files.length >= 2, `the folder holds ${files.length} checkpoint(s) after the kill; the test needs two`);
    const newest = files[0]!;
    const bytes = statSync(newest.path).size;
    truncateSync(newest.path, Math.floor(bytes / 2));
    damaged = { ...newest, bytes };
  });
  await referenceRun("uninterrupted-variant", params);
  const resumed = assertTakenOverAndIdentical(kill, "truncated", "uninterrupted-variant");

  assert.ok(damaged);
  assert.equal(resumed, kill.files[1]!.step, `resumed from ${resumed}, not from the checkpoint before the damaged step-${damaged.step}`);
  assert.match(stepLog(ws, "truncated", "stage1"), new RegExp(`skipping damaged checkpoint ${damaged.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
  // the damaged file was the newest within one interval of the kill; falling back costs one more
  assert.ok(kill.killStep - damaged.step <= EVERY, `the newest checkpoint step-${damaged.step} is more than ${EVERY} steps behind ${kill.killStep}`);
  assert.ok(kill.killStep - resumed <= 2 * EVERY, `lost ${kill.killStep - resumed} steps with one damaged checkpoint; at most ${2 * EVERY} allowed`);
  console.log(`truncated: progress at kill step ${kill.killStep}/${VARIANT_STEPS}, step-${damaged.step}.ckpt cut to ${Math.floor(damaged.bytes / 2)} of ${damaged.bytes} bytes, resumed from ${resumed}, steps lost ${Math.max(0, kill.killStep - resumed)}; run finished ${kill.recoverySeconds.toFixed(1)} s after the kill`);
});
