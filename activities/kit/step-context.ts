// What a step implementation gets besides its `with`, and the helpers every kind uses with it: its
// options (the checked `with`), its input paths, and progress that really leaves the process. The
// engine's step runner (engine/activities/run-step.ts) builds the context; kinds stay free of Temporal.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { type ArtifactRef, isArtifactRef, type StepInput, type StepProgress, type StepResult } from "../../contract/step-io.ts";
import { BadInputError } from "../../contract/failures.ts";
import type { KindProblem } from "../../contract/step-kind.ts";

export interface StepContext {
  root: string;
  input: StepInput;
  /** Report progress (part of the step's report, sent to Temporal as heartbeat details, throttled). */
  progress(p: StepProgress): void;
  /** Aborted when the run is cancelled or the activity timed out. */
  signal: AbortSignal;
  /** Empty scratch folder for this attempt, removed afterwards. */
  scratch: string;
  /** Moves an output from the scratch folder into the artifact store (`hash`: its content hash when
   *  the writer already computed it, e.g. a checkpoint's, so the bytes are not read again). */
  store(path: string, kind: string, opts?: { name?: string; meta?: ArtifactRef["meta"]; hash?: { sha256: string; size: number } }): Promise<ArtifactRef>;
  /** Absolute path of an input artifact. */
  pathOf(ref: ArtifactRef): string;
  /** Content hash of a file or folder, as the artifact store computes it. */
  hashOf(path: string): Promise<string>;
  /** Absolute path of this step's checkpoint folder (keyed by its cache key; survives retries and resumed runs). */
  checkpointDir: string;
  /** Announce a checkpoint file just written in checkpointDir (its hash when the writer knows it,
   *  so the bytes are not read again): it joins the step's report, which the run database records. */
  checkpoint(step: number, file: string, hash?: { sha256: string; size: number }): Promise<ArtifactRef>;
  log(line: string): void;
}

/** A step kind's run function: its `with` as the kind reads it (defaults filled, inputs as
 *  ArtifactRefs, paths inside strings) in, artifacts and metrics out. */
export type StepImplementation = (ctx: StepContext, w: { [key: string]: unknown }) => Promise<StepResult>;

/**
 * A step's options: its `with` as the compiler hands it over (validated against the kind's schema,
 * every default filled). The kind's semantic check (`check` in its kind.ts) already ran in `mmada
 * validate`; it runs again here so a hand-built input (a test, another client) fails the same way,
 * before any data is read.
 */
export function stepOptions<T>(ctx: StepContext, raw: unknown, check?: (w: never) => KindProblem[]): T {
  const problems = check?.(raw as never) ?? [];
  if (problems.length > 0) {
    const what = problems.map((p) => `with.${p.at.join(".")}: ${p.message}${p.hint ? `; ${p.hint}` : ""}`).join("; ");
    throw new BadInputError(`${ctx.input.step.uses} step '${ctx.input.step.id}': ${what}`);
  }
  return raw as T;
}

// Input artifacts: the engine hands each `${{ steps.x.outputs.y }}` over as an ArtifactRef; a plain
// string is a path (a project file or a template). Either way the kind gets an absolute path, or a
// BadInputError naming the field and what was expected.
export type InputValue = ArtifactRef | string;

/** Absolute path of input `field`; `kind` is the artifact kind the field expects. */
export function inputPath(ctx: StepContext, value: unknown, field: string, kind: string): string {
  const where = `${ctx.input.step.uses} step '${ctx.input.step.id}'`;
  if (value === undefined || value === null || value === "") {
    throw new BadInputError(`${where}: with.${field} is missing; give it the ${kind} output of an earlier step (\${{ steps.ID.outputs.NAME }})`);
  }
  if (isArtifactRef(value)) {
    if (value.kind !== kind && value.kind !== "file" && value.kind !== "dir") {
      throw new BadInputError(`${where}: with.${field} is a '${value.kind}' artifact but a '${kind}' is expected; pass the ${kind} output of the right step`);
    }
    return ctx.pathOf(value);
  }
  if (typeof value !== "string") {
    throw new BadInputError(`${where}: with.${field} must be a step output or a path, got ${JSON.stringify(value)}`);
  }
  const path = resolve(value);
  if (!existsSync(path)) throw new BadInputError(`${where}: with.${field} '${value}' does not exist; check the path or the step output it names`);
  return path;
}

/** The content hash of an input when it is an artifact (recorded in outputs for lineage). */
export function inputSha(value: unknown): string | undefined {
  return isArtifactRef(value) ? value.sha256 : undefined;
}

/** A kind's `with` type (derived from its schema, where inputs are strings) as the step receives it:
 *  the input fields `K` hold ArtifactRefs (step outputs) or paths. */
export type WithInputs<W, K extends keyof W> = Omit<W, K> & { [P in K]: undefined extends W[P] ? InputValue | undefined : InputValue };

/** Progress that actually leaves the process: tfjs on the wasm and cpu backends never yields to the
 *  event loop by itself (its data() promises settle as microtasks), so a long sampling or update
 *  phase would starve Temporal's heartbeat and the cancellation signal. Report, then yield a turn. */
export async function beat(ctx: StepContext, p: StepProgress): Promise<void> {
  ctx.progress(p);
  await new Promise((resolve) => setImmediate(resolve));
}
