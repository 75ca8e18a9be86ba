// What the compiler knows of a step kind (`uses:`): its schema, its inputs and outputs, the
// settings it defaults and the semantic checks its schema cannot express. Step kinds
// (activities/<kind>/kind.ts) define it; the compiler is handed the registry, it never imports it.

export type WithObject = { [key: string]: unknown };

/** Step settings a kind may default (same syntax as the spec's `defaults:` block). */
export interface KindDefaults {
  queue?: string;
  /** Duration string: 500ms, 30s, 10m, 2h. */
  timeout?: string;
  heartbeatTimeout?: string;
  retry?: { maximumAttempts?: number; initialInterval?: string; backoffCoefficient?: number };
  cores?: number;
}

/** A path written in `with` that must stay inside its root (the project, or $MMADA_OUT). */
export interface KindPathUse {
  /** Where in `with` the path is written, e.g. ["outputs", "model", "path"]. */
  at: (string | number)[];
  path: string;
}

/** A problem a kind's semantic check finds in `with`, located by its path in `with`. */
export interface KindProblem {
  at: (string | number)[];
  message: string;
  hint?: string;
}

/** The step that produces an output a `with` field refers to, as the compiler resolved it. */
export interface UpstreamStep {
  id: string;
  uses: string;
  /** Its `with`, defaults filled, step outputs as `${{ }}` text. */
  with: WithObject;
  output: string;
}

export interface CheckContext {
  /** The step whose output the top-level `with` field `field` names (undefined: a file or absent). */
  upstream(field: string): UpstreamStep | undefined;
}

export interface KindDefinition {
  name: string;
  description: string;
  /** JSON Schema of `with` (defaults included), checked after params and matrix values are substituted. */
  schema: object;
  /** `with` field -> artifact kind a step output given there must have ("any" accepts all).
   *  Non-reference strings in these fields are project file paths (checked for escapes). */
  inputs: { [withField: string]: string };
  /** Declared outputs: name -> artifact kind (file, dir, dataset, checkpoint, ...). */
  outputs: (w: WithObject) => { [name: string]: string };
  /** Output paths written in `with` (relative to $MMADA_OUT), checked for absolute paths and `..`. */
  outputPaths?: (w: WithObject) => KindPathUse[];
  defaults?: KindDefaults;
  /** The activity heartbeats checkpoints and can resume from one. */
  checkpoints?: boolean;
  /** The kind trains for a number of steps and can stop at a search's rung (StepInput.budget),
   *  reporting `metrics` there: `field` is the `with` field that holds its steps. */
  budget?: { field: string; metrics: string[] };
  /** Cross-field rules the schema cannot express, run by `mmada validate` on the defaults-filled `with`. */
  check?: (w: WithObject, ctx: CheckContext) => KindProblem[];
}

export interface StepKindInfo extends KindDefinition {
  /** Hash of the kind's implementation (its sources and the model code they reach): part of
   *  every cache key, so changed code never gives a stale cache hit. */
  version: string;
}

/** For kinds whose outputs do not depend on `with`. */
export function fixedOutputs(outputs: { [name: string]: string }): (w: WithObject) => { [name: string]: string } {
  return () => ({ ...outputs });
}
