// What a step implementation gets besides its `with`: the workspace, progress reporting,
// cancellation, a scratch folder and a way to store outputs. The engine's step runner
// (engine/activities/run-step.ts) builds it; implementations stay free of Temporal.
import type { ArtifactRef } from "../../contract/artifacts.ts";
import type { StepInput, StepProgress, StepResult } from "../../contract/step-io.ts";

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
  /** Content hash of a file or folder, as the artifact store computes it. */
  hashOf(path: string): Promise<string>;
  /** Absolute path of this step's checkpoint folder (keyed by its cache key; survives retries and resumed runs). */
  checkpointDir: string;
  /** Announce a checkpoint file just written in checkpointDir: sent as heartbeat `{ step, checkpoint }`
   *  (the database owner records it from there) and listed in the step's result. */
  checkpoint(step: number, file: string): Promise<ArtifactRef>;
  log(line: string): void;
}

/** A step kind's run function: a defaults-filled `with` in, artifacts and metrics out. */
export type StepImplementation = (ctx: StepContext, w: StepInput["with"]) => Promise<StepResult>;
