// The one resumable training loop of every training kind (train, unigrpo, train-vq,
// train-classifier). A kind supplies its step function and, when it checkpoints, what a checkpoint
// holds; the loop does the rest, the same way for all of them:
//   - resume: continue from the newest checkpoint in ctx.checkpointDir that `restore` accepts (a
//     damaged or unfitting one is logged and skipped), so a retry on another worker or a resumed run
//     loses at most one checkpoint interval;
//   - cadence: a checkpoint every `checkpointEvery` steps and after the last, announced through
//     ctx.checkpoint (it joins the step's report); the last `keep`, the best-scoring one and a
//     search's rungs are kept;
//   - rungs: a search branch (ctx.input.budget) trains in parts, each to a rung (resuming from the
//     newest checkpoint at or before it, scored there) and the last to the end;
//   - cancellation: a cancelled step writes a checkpoint at the step reached, then stops;
//   - divergence: a NaN / Inf loss or gradient fails the step without retries (StepFailure
//     "NonFiniteLoss"), naming the last good checkpoint;
//   - progress: a heartbeat every step, and a turn of the event loop at least every 250 ms so
//     heartbeats and cancellation get through while training runs.
// Everything random about step s must come from (seed, s) alone, so a resumed run reproduces the
// uninterrupted one with no generator state to carry over.
// The folder (ctx.checkpointDir, shared by retries, other workers and resumed runs with the same
// cache key) holds `step-<n>.ckpt` files. Resuming takes the newest one that loads and verifies; a
// damaged one (a crash mid-copy, a full disk, a bad sector) is logged and skipped, never fatal.
import { copyFile, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ArtifactRef, MetricPoint, StepResult } from "../../contract/step-io.ts";
import { StepFailure } from "../../contract/failures.ts";
import { NonFiniteLossError } from "../../model/gradient-step.ts";
import type { StepContext } from "./step-context.ts";

/** Hand the event loop a turn at least this often. */
const YIELD_EVERY_MS = 250;
/** Scores of the checkpoints in a folder (to keep the best), beside them. */
const SCORES_FILE = "scores.json";

export interface TrainingStepReport {
  loss: number;
  /** Metric points of this step (recorded in the history, kept across resumes). */
  metrics?: MetricPoint[];
  /** The progress line for this step. */
  message: string;
}

export interface Checkpointing {
  /** Checkpoint every this many completed steps, and after the last. */
  every: number;
  /** Keep the newest `keep` checkpoints (plus the best-scoring one and a search's rungs). */
  keep: number;
  /** Write the state after `done` completed steps to `file`, with the history so far and the
   *  checkpoint's score (measured at the regular cadence; not when a cancelled step stops). */
  save(file: string, done: number, history: MetricPoint[], score: number | undefined): Promise<{ sha256: string; size: number }>;
  /** Load a checkpoint into the run's state, returning its history; throw (saying why) when it
   *  does not fit this run. */
  restore(file: CheckpointFile): Promise<MetricPoint[]>;
  /** Measured before each save; the checkpoint with the lowest score is kept (e.g. val loss).
   *  Its metric points (with step `done`) join the history. */
  score?(done: number): Promise<{ value: number; metrics?: MetricPoint[] }>;
}

export interface TrainingRun {
  /** Steps of the whole run. */
  steps: number;
  /** One update; throws NonFiniteLossError when it diverges (before changing anything). */
  step(index: number): TrainingStepReport | Promise<TrainingStepReport>;
  /** Without it the step keeps no checkpoints and starts from scratch on a retry (short steps). */
  checkpoints?: Checkpointing;
  /** The learning rate of step `index`, for the divergence message. */
  lrAt(index: number): number;
  /** What to change when training diverges, e.g. "lower lr.peak or raise lr.warmup". */
  divergenceHint: string;
  /** Share of the step's progress bar the training takes (the rest is the kind's own work). */
  percentOfStep?: number;
}

export interface TrainingResult {
  /** Completed steps this attempt started from (0 unless resumed). */
  startStep: number;
  /** Completed steps it stopped after: `steps`, or a search rung (StepInput.budget) before them. */
  reached: number;
  resumedFrom?: string;
  /** Every metric point of the run, resumed part included. */
  history: MetricPoint[];
  /** The checkpoint after the last step (when checkpointing), with its content hash. */
  finalCheckpoint?: { path: string; sha256: string; size: number };
}

export async function trainResumably(ctx: StepContext, run: TrainingRun): Promise<TrainingResult> {
  const stepId = ctx.input.step.id;
  const cp = run.checkpoints;
  // a search branch trains in parts: to a rung (resuming at or before it), or on from the last one
  const budget = ctx.input.budget;
  const stopAt = Math.min(budget?.until ?? run.steps, run.steps);
  const rungs = new Set(budget?.rungs ?? []);
  const scores = cp ? await readScores(ctx.checkpointDir) : new Map<number, number>();
  let history: MetricPoint[] = [];
  let start = 0;
  let resumedFrom: string | undefined;
  if (cp) {
    const found = await newestValid(ctx.checkpointDir, (f) => cp.restore(f), ctx.log, stopAt);
    if (found) {
      ({ step: start, path: resumedFrom } = found);
      history = [...found.value];
      ctx.log(`resuming from ${found.path} (step ${start} of ${run.steps})`);
    }
  }
  let lastSaved = resumedFrom ? start : undefined;
  /** Content hashes of the checkpoints this attempt wrote (the final one becomes the output). */
  const saved = new Map<number, { sha256: string; size: number }>();
  const save = async (done: number, measure: boolean) => {
    if (!cp) return;
    let score: number | undefined;
    if (cp.score && measure) {
      const s = await cp.score(done);
      score = s.value;
      scores.set(done, score);
      history.push(...(s.metrics ?? []));
    }
    const file = checkpointPath(ctx.checkpointDir, done);
    const hash = await cp.save(file, done, history, score);
    saved.set(done, hash);
    lastSaved = done;
    await writeScores(ctx.checkpointDir, scores);
    await pruneCheckpoints(ctx.checkpointDir, cp.keep, [bestStep(scores), ...rungs]);
    // announced once the folder is as it stays (scores written, old ones pruned): the store mirrors it
    await ctx.checkpoint(done, file, hash);
  };

  const share = run.percentOfStep ?? 100;
  let lastYield = Date.now();
  for (let step = start; step < stopAt; step++) {
    if (ctx.signal.aborted) {
      // no validation here: the run stops fast, and the history matches an uninterrupted run's
      if (cp && lastSaved !== step) await save(step, false);
      const kept = lastSaved === undefined ? "no checkpoint was written" : `checkpoint ${checkpointName(lastSaved)} is kept for a resumed run`;
      throw new Error(`${ctx.input.step.uses} step '${stepId}' cancelled after step ${step}; ${kept}`);
    }
    let report: TrainingStepReport;
    try {
      report = await run.step(step);
    } catch (err) {
      if (!(err instanceof NonFiniteLossError)) throw err;
      throw divergence(stepId, err, step, run, lastSaved);
    }
    const done = step + 1;
    history.push(...(report.metrics ?? []));
    ctx.progress({ percent: (share * done) / run.steps, step: done, totalSteps: run.steps, message: report.message });
    if (cp && (done % cp.every === 0 || done === stopAt || rungs.has(done))) await save(done, true);
    if (Date.now() - lastYield > YIELD_EVERY_MS) {
      lastYield = Date.now();
      await new Promise((r) => setImmediate(r));
    }
  }
  // a rung's checkpoint is judged by its score: one saved without (on a cancellation) is scored now
  if (cp?.score && stopAt < run.steps && !scores.has(stopAt)) await save(stopAt, true);
  let finalCheckpoint: TrainingResult["finalCheckpoint"];
  if (cp) {
    const path = checkpointPath(ctx.checkpointDir, stopAt);
    // resumed from the last checkpoint: an earlier attempt wrote it, so its hash is read once here
    const hash = saved.get(stopAt) ?? { sha256: await ctx.hashOf(path), size: (await stat(path)).size };
    finalCheckpoint = { path, ...hash };
  }
  return { startStep: start, reached: stopAt, ...(resumedFrom ? { resumedFrom } : {}), history, ...(finalCheckpoint ? { finalCheckpoint } : {}) };
}

function divergence(stepId: string, err: NonFiniteLossError, step: number, run: TrainingRun, lastSaved: number | undefined): StepFailure {
  const what = Number.isFinite(err.loss) ? `gradient norm is ${err.gradNorm} (loss ${err.loss.toPrecision(4)})` : `loss is ${err.loss}`;
  const kept = lastSaved === undefined ? "no checkpoint was written before it" : `the last good checkpoint ${checkpointName(lastSaved)} is kept`;
  return new StepFailure("NonFiniteLoss", `${stepId}: ${what} at step ${step + 1} (lr=${run.lrAt(step).toPrecision(3)}); ${kept}; ${run.divergenceHint}`);
}

function bestStep(scores: Map<number, number>): number | undefined {
  let best: number | undefined;
  for (const [step, v] of scores) if (best === undefined || v < scores.get(best)!) best = step;
  return best;
}

async function readScores(dir: string): Promise<Map<number, number>> {
  const text = await readFile(join(dir, SCORES_FILE), "utf8").catch(() => "{}");
  try {
    return new Map(Object.entries(JSON.parse(text) as Record<string, number>).map(([k, v]) => [Number(k), v]));
  } catch {
    return new Map(); // a damaged score file only loses which checkpoint was best
  }
}

async function writeScores(dir: string, scores: Map<number, number>): Promise<void> {
  const tmp = join(dir, `${SCORES_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(Object.fromEntries(scores)));
  await rename(tmp, join(dir, SCORES_FILE));
}

/** What a search part that stopped at a rung returns: no outputs yet, its metrics so far (the
 *  rung's score among them); undefined when the training reached its end. */
export function rungResult(result: TrainingResult, steps: number): StepResult | undefined {
  return result.reached < steps ? { artifacts: {}, metrics: result.history } : undefined;
}

/** Stores the final checkpoint as the step's output `name`: a copy, since the folder keeps its own
 *  for later resumes of this cache key; hashed already when it was saved. */
export async function storeFinalCheckpoint(ctx: StepContext, result: TrainingResult, name: string, meta: ArtifactRef["meta"]): Promise<ArtifactRef> {
  const { path, ...hash } = result.finalCheckpoint!;
  const out = join(ctx.scratch, name);
  await copyFile(path, out);
  return ctx.store(out, "checkpoint", { name, hash, meta });
}

const CHECKPOINT_NAME = /^step-(\d+)\.ckpt$/;

/** The one place a checkpoint's file name is written: `step-<n>.ckpt` holds the state after n
 *  completed steps. */
export function checkpointName(step: number): string {
  return `step-${step}.ckpt`;
}

export interface CheckpointFile {
  step: number;
  path: string;
}

export function checkpointPath(dir: string, step: number): string {
  return join(dir, checkpointName(step));
}

/** The folder's checkpoints, newest first (temporary files of interrupted writes are ignored). */
export async function listCheckpoints(dir: string): Promise<CheckpointFile[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  return names
    .flatMap((name) => {
      const m = CHECKPOINT_NAME.exec(name);
      return m ? [{ step: Number(m[1]), path: join(dir, name) }] : [];
    })
    .sort((a, b) => b.step - a.step);
}

/** The newest checkpoint (at most `upTo` steps) `load` accepts; every rejected one is reported
 *  through `log` and skipped. */
export async function newestValid<T>(
  dir: string,
  load: (file: CheckpointFile) => Promise<T>,
  log: (line: string) => void,
  upTo = Infinity,
): Promise<(CheckpointFile & { value: T }) | undefined> {
  for (const file of await listCheckpoints(dir)) {
    if (file.step > upTo) continue;
    try {
      return { ...file, value: await load(file) };
    } catch (err) {
      log(`skipping damaged checkpoint ${file.path}: ${(err as Error).message}`);
    }
  }
  return undefined;
}

/** Deletes every checkpoint but the newest `keep` and those of the `kept` steps (the best-scoring
 *  one, a search's rungs). Returns what it deleted. */
export async function pruneCheckpoints(dir: string, keep: number, kept: (number | undefined)[] = []): Promise<number[]> {
  const files = await listCheckpoints(dir);
  const deleted: number[] = [];
  for (const [i, f] of files.entries()) {
    if (i < keep || kept.includes(f.step)) continue;
    await rm(f.path, { force: true });
    deleted.push(f.step);
  }
  return deleted;
}
