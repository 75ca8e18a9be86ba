// Pipeline acceptance 2: the worker training stage 1 is killed with SIGKILL mid-stage. Another worker
// takes the step over (attempt 2), resumes from the newest valid checkpoint in the step's checkpoint
// folder, loses at most one checkpoint interval, and ends with a final checkpoint byte-identical to
// an uninterrupted run's in a separate workspace (the data and masks of step s come from (seed, s), and
// a checkpoint holds weights, optimizer state and step, so the resumed trajectory is the same one).
// Variant: the newest checkpoint is truncated on disk after the kill; the resume falls back to the
// previous one, says so in the step log, and still reproduces the uninterrupted run.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readdirSync, statSync, truncateSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import {
  cliJson,
  type CliResult,
  dispose,
  killTree,
  makeWorkspace,
  parseJson,
  type RunStatusJson,
  spawnCli,
  stepsOf,
  stepStates,
  type TestWorkspace,
  waitFor,
  waitForStderr,
  workerId,
} from "../engine/helpers.ts";
import {
  cacheKeyOf,
  checkpointStep,
  eventsOf,
  finalMetric,
  LONG_STAGE1,
  outputSha,
  progressOf,
  startOwnServer,
  stepLog,
  type StepProgressRow,
} from "./helpers.ts";

const WORKER_READY = /worker \d+ on /;
/** checkpoint_every and stage1_steps of mmada-long-stage1.yaml (its defaults). */
const EVERY = 150;
const STEPS = 330;
/** The truncation variant: short checkpoint intervals, so two checkpoints exist early. */
const VARIANT_EVERY = 20;
const VARIANT_STEPS = 300;
/** Steps before stage 1: run by the first test, reused from the cache by the second. */
const UPSTREAM = ["data", "vq", "tokens"];
const WAIT_FOR_STAGE1_MS = 150_000;

/** When to kill worker A, judged from the stage-1 progress it wrote to the database. */
interface KillWhen {
  what: string;
  ready: (row: StepProgressRow & { progress: NonNullable<StepProgressRow["progress"]> }) => boolean;
}

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
  // One backend for both workspaces (bytes are compared) and a known speed: the kill window relies
  // on a checkpoint interval that outlasts the progress throttle, which a native backend (or the
  // native kernels, ~5x faster) might not.
  for (const w of [ws, ref]) Object.assign(w.env, { MMADA_BACKEND: "wasm", MMADA_KERNELS: "tfjs" });
  await startOwnServer(ws);
  await startOwnServer(ref);
});
after(async () => {
  await dispose(ws);
  await dispose(ref);
});

/** The folder's `step-N.ckpt` files, newest first (as activities/kit/training-loop.ts lists them). */
function checkpointFiles(folder: string): { step: number; path: string }[] {
  return readdirSync(folder)
    .filter((f) => /^step-\d+\.ckpt$/.test(f))
    .map((f) => ({ step: checkpointStep(f), path: join(folder, f) }))
    .sort((a, b) => b.step - a.step);
}

/**
 * Worker A (`mmada worker`, own process group) runs the pipeline submitted with `run --no-worker`;
 * once stage 1 on A is where `killWhen` says, A's whole group gets SIGKILL, `afterKill` may damage the
 * folder, then worker B starts and the run must finish on it.
 */
async function killMidStage1(
  runId: string,
  params: string[],
  killWhen: KillWhen,
  afterKill: (files: Kill["files"]) => void = () => {},
): Promise<Kill> {
  const started: ChildProcess[] = [];
  try {
    return await killAndRecover(runId, params, killWhen, afterKill, started);
  } catch (err) {
    // leave nothing running that would outlive the test (and time out in the background)
    for (const c of started) if (c.exitCode === null && c.signalCode === null) killTree(c.pid!);
    throw err;
  }
}

async function killAndRecover(
  runId: string,
  params: string[],
  killWhen: KillWhen,
  afterKill: (files: Kill["files"]) => void,
  started: ChildProcess[],
): Promise<Kill> {
  const workerA = spawnCli(ws, ["worker"]);
  started.push(workerA);
  await waitForStderr(workerA, WORKER_READY);
  const run = spawnCli(ws, ["run", LONG_STAGE1, ...params, "--name", runId, "--no-worker", "--json"]);
  started.push(run);
  const seen: string[] = []; // what the poll saw, for the failure message
  await waitFor(
    `stage1 of ${runId} on worker A ${killWhen.what}`,
    () => {
      const p = progressOf(ws, runId, "stage1");
      const now = `${p?.state}@${p?.worker}:${p?.progress?.step}`;
      if (seen.at(-1) !== now) seen.push(now);
      return p?.state === "running" && p.worker === workerId(workerA.pid!) && p.progress !== undefined && killWhen.ready({ ...p, progress: p.progress });
    },
    WAIT_FOR_STAGE1_MS,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nworker A is pid ${workerA.pid}; stage1 was ${seen.join(" -> ")}`);
  });
  killTree(workerA.pid!);
  await workerA.output;
  const killedAt = Date.now();
  const killStep = progressOf(ws, runId, "stage1")?.progress?.step ?? NaN;
  const recorded = eventsOf(ws, runId, "stage1", "checkpoint");
  assert.ok(recorded.length > 0, "worker A recorded no stage-1 checkpoint before the kill");
  const files = checkpointFiles(dirname(join(ws.home, recorded[0]!.uri)));
  afterKill(files);

  const workerB = spawnCli(ws, ["worker"]);
  started.push(workerB);
  await waitForStderr(workerB, WORKER_READY);
  const result = await run.output;
  const recoverySeconds = (Date.now() - killedAt) / 1000;
  workerB.kill("SIGTERM");
  await workerB.output;
  assert.equal(result.code, 0, `run exited ${result.code}: ${result.stderr}\n${result.stdout}`);
  return { result, status: parseJson<RunStatusJson>(result, ["run"]), killStep, files, workerB: workerB.pid!, recoverySeconds };
}

/** The same pipeline, uninterrupted, in the reference workspace: its final stage-1 checkpoint. */
async function referenceRun(runId: string, params: string[]): Promise<void> {
  const r = await cliJson<RunStatusJson>(ref, ["run", LONG_STAGE1, ...params, "--name", runId, "--json"]);
  assert.equal(r.code, 0, `reference run exited ${r.code}: ${r.stderr}`);
  assert.equal(finalMetric(ref, runId, "stage1", "resumed_from_step"), 0, "the reference run resumed from a checkpoint");
}

/** Attempt 2 on B, and the final model equals the uninterrupted run's byte for byte. */
function assertTakenOverAndIdentical(kill: Kill, runId: string, refId: string, every: number): number {
  const states = stepStates(kill.status);
  assert.equal(states.stage1, "succeeded");
  for (const s of UPSTREAM) assert.match(states[s] ?? "missing", /^(succeeded|cached)$/, `${s} is ${states[s]}`);
  const stage1 = stepsOf(ws, runId).stage1!;
  assert.equal(stage1.state, "succeeded");
  assert.equal(stage1.attempt, 2, "stage 1 should have been retried exactly once");
  assert.equal(stage1.worker, workerId(kill.workerB), "attempt 2 should have run on worker B");
  const resumed = finalMetric(ws, runId, "stage1", "resumed_from_step");
  assert.ok(typeof resumed === "number" && resumed > 0, `attempt 2 started from scratch (resumed_from_step ${resumed})`);
  assert.equal(resumed % every, 0, `resumed from step ${resumed}, not a checkpoint step`);
  assert.match(stepLog(ws, runId, "stage1"), new RegExp(`resuming from \\S*step-${resumed}\\.ckpt`));

  // same inputs (data, VQ, tokens and settings hash to the same cache key), same bytes out
  assert.equal(cacheKeyOf(ws, runId, "stage1"), cacheKeyOf(ref, refId, "stage1"), "the two workspaces trained different inputs");
  const got = outputSha(ws, runId, "stage1", "checkpoint");
  assert.ok(got, "stage 1 recorded no checkpoint output");
  assert.equal(got, outputSha(ref, refId, "stage1", "checkpoint"), "the resumed final checkpoint differs from the uninterrupted run's");
  return resumed;
}

test("kill -9 mid stage 1: worker B resumes from the newest checkpoint, the final model is byte-identical", { timeout: 300_000 }, async () => {
  // the reference runs meanwhile: the kill scenario mostly waits (heartbeat timeout, worker start)
  // Kill between two checkpoints: right after one there would be nothing lost to measure. The
  // interval (150 steps, 5-7 s) outlasts the 2 s progress throttle, so such a step does show up.
  const betweenCheckpoints: KillWhen = { what: `between checkpoints after step ${EVERY}`, ready: ({ progress: p }) => (p.step ?? 0) > EVERY && p.step! % EVERY !== 0 };
  const [kill] = await Promise.all([killMidStage1("killed", [], betweenCheckpoints), referenceRun("uninterrupted", [])]);
  const resumed = assertTakenOverAndIdentical(kill, "killed", "uninterrupted", EVERY);

  // Steps lost <= one checkpoint interval, no slack: killStep is what A last wrote to progress_json,
  // written every ~2 s and at each checkpoint, so it can only trail the step A really reached. A kill
  // during the save of step kE leaves (k-1)E newest while killStep is at most kE: a loss of E exactly.
  const lost = kill.killStep - resumed;
  assert.ok(lost <= EVERY, `lost ${lost} steps (progress at kill ${kill.killStep}, resumed from ${resumed}); at most ${EVERY} allowed`);

  // every checkpoint of the run is recorded (by A before the kill, by B after); the one B resumed
  // from may be missing when A died between writing the file and recording it
  const names = new Set(eventsOf(ws, "killed", "stage1", "checkpoint").map((e) => checkpointStep(e.name)));
  const expected = [...Array.from({ length: Math.floor(STEPS / EVERY) }, (_, i) => (i + 1) * EVERY), STEPS];
  for (const s of expected) if (s !== resumed) assert.ok(names.has(s), `checkpoint step-${s} is not recorded`);
  console.log(`kill: progress at kill step ${kill.killStep}/${STEPS}, resumed from ${resumed}, steps lost ${Math.max(0, lost)}; run finished ${kill.recoverySeconds.toFixed(1)} s after the kill`);
});

test("kill -9, then the newest checkpoint truncated on disk: the resume skips it and uses the previous one", { timeout: 300_000 }, async () => {
  const params = ["--set", `stage1_steps=${VARIANT_STEPS}`, "--set", `checkpoint_every=${VARIANT_EVERY}`];
  // the step reports a checkpoint once its file is in place: then the folder holds two
  const twoCheckpoints: KillWhen = {
    what: `after checkpoint step-${2 * VARIANT_EVERY}`,
    ready: (row) => (row.newestCheckpoint ?? 0) >= 2 * VARIANT_EVERY,
  };
  let damaged: { step: number; path: string; bytes: number } | undefined;
  const truncateNewest = (files: Kill["files"]) => {
    assert.ok(files.length >= 2, `the folder holds ${files.length} checkpoint(s) after the kill; the test needs two`);
    const newest = files[0]!;
    const bytes = statSync(newest.path).size;
    truncateSync(newest.path, Math.floor(bytes / 2));
    damaged = { ...newest, bytes };
  };
  const [kill] = await Promise.all([killMidStage1("truncated", params, twoCheckpoints, truncateNewest), referenceRun("uninterrupted-variant", params)]);
  const resumed = assertTakenOverAndIdentical(kill, "truncated", "uninterrupted-variant", VARIANT_EVERY);

  assert.ok(damaged);
  assert.equal(resumed, kill.files[1]!.step, `resumed from ${resumed}, not from the checkpoint before the damaged step-${damaged.step}`);
  assert.match(stepLog(ws, "truncated", "stage1"), new RegExp(`skipping damaged checkpoint ${damaged.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
  // the damaged file was the newest within one interval of the kill; falling back costs one more
  assert.ok(kill.killStep - damaged.step <= VARIANT_EVERY, `the newest checkpoint step-${damaged.step} is more than ${VARIANT_EVERY} steps behind ${kill.killStep}`);
  assert.ok(kill.killStep - resumed <= 2 * VARIANT_EVERY, `lost ${kill.killStep - resumed} steps with one damaged checkpoint; at most ${2 * VARIANT_EVERY} allowed`);
  console.log(`truncated: progress at kill step ${kill.killStep}/${VARIANT_STEPS}, step-${damaged.step}.ckpt cut to ${Math.floor(damaged.bytes / 2)} of ${damaged.bytes} bytes, resumed from ${resumed}, steps lost ${Math.max(0, kill.killStep - resumed)}; run finished ${kill.recoverySeconds.toFixed(1)} s after the kill`);
});
