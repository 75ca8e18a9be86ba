// What a step implementation gets besides its `with`: the workspace, progress reporting,
// cancellation, a scratch folder, and a way to store outputs. Implementations stay free of Temporal.
import { mkdir, rm } from "node:fs/promises";
import type { ArtifactRef, StepInput, StepProgress, StepResult } from "./types.ts";
import { putArtifact } from "./store.ts";
import { inWorkspace } from "./workspace.ts";

/** Records progress and checkpoints in the run database when this worker owns it. */
export interface Recorder {
  heartbeat(executionId: string, progress: StepProgress): void;
  checkpoint(executionId: string, step: number, artifact: ArtifactRef): void;
}

export interface StepContext {
  root: string;
  input: StepInput;
  /** Report progress; throttled, also sent to Temporal as heartbeat details. */
  progress(p: StepProgress): void;
  /** Aborted when the run is cancelled or the activity timed out. */
  signal: AbortSignal;
  /** Empty scratch folder for this attempt, removed afterwards. */
  scratch: string;
  /** Heartbeat details of the previous attempt, if any (e.g. its last checkpoint). */
  previous?: StepProgress;
  store(path: string, kind: string, opts?: { name?: string; meta?: ArtifactRef["meta"] }): Promise<ArtifactRef>;
  /** Absolute path of an input artifact. */
  pathOf(ref: ArtifactRef): string;
  /** Absolute path of this step's checkpoint folder (keyed by its cache key; survives retries and resumed runs). */
  checkpointDir: string;
  /** Announce a checkpoint file just written in checkpointDir: recorded in the run database first
   *  (when this worker owns it), then sent as heartbeat `{ step, checkpoint }`; listed in the result. */
  checkpoint(step: number, file: string): Promise<ArtifactRef>;
  log(line: string): void;
}

/** Bad input the user must fix: retrying cannot help (the workflow sees a non-retryable failure). */
export class BadInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadInput";
  }
}

/** A failure retrying cannot fix, with a type the workflow and the run database show
 *  (e.g. "NonFiniteLoss", "Checkpoint"). */
export class PermanentError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
    this.name = "PermanentError";
  }
}

export type StepImplementation = (ctx: StepContext, w: StepInput["with"]) => Promise<StepResult>;

export async function withScratch<T>(root: string, input: StepInput, attempt: number, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = inWorkspace(root, `tmp/${input.executionId.replace(/[^\w.-]+/g, "_")}-a${attempt}-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function storeInto(root: string) {
  return (path: string, kind: string, opts: { name?: string; meta?: ArtifactRef["meta"] } = {}) =>
    putArtifact(root, path, kind, { ...opts, move: true });
}
