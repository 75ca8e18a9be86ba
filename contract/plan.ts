// The compiled plan: plain JSON handed to the workflow. Produced by `compile` (pipelines/compile.ts),
// consumed by workflows/run-pipeline.ts. Nothing here imports Node, Temporal or tfjs.

/** A reference to another step's output, left in `with` until run time. */
export interface OutputRef {
  $ref: { step: string; output: string };
}

/** A resolved value inside `with`: JSON, where step outputs stay as OutputRef (or strings with
 *  `${{ steps.x.outputs.y }}` left in them, see `template`). */
export type PlanValue =
  | string
  | number
  | boolean
  | null
  | PlanValue[]
  | { [key: string]: PlanValue }
  | OutputRef;

export interface RetryPlan {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
}

export interface PlanStep {
  /** Unique id; for matrix branches `<id>[k=v,k2=v2]`. */
  id: string;
  /** The step id as written in the spec (same as id when not expanded by a matrix). */
  specId: string;
  uses: string;
  /** Version of the step kind's implementation; part of the cache key. */
  kindVersion: string;
  with: { [key: string]: PlanValue };
  /** Ids (plan ids) of the steps this one depends on, explicit `needs` plus implied by references. */
  needs: string[];
  queue: string;
  retry: RetryPlan;
  timeoutMs: number;
  heartbeatTimeoutMs: number;
  cache: boolean;
  /** Cores the step's compute may use (threads of the model's native kernels); 0 for a light step
   *  (mostly waiting, e.g. a shell command), which does not take a worker's compute slot. */
  cores: number;
  /** Matrix values of this branch, if any. */
  matrix?: { [key: string]: string | number | boolean };
  /** Declared outputs: name -> artifact kind (dataset, checkpoint, file, dir, ...). */
  outputs: { [name: string]: string };
}

export interface Plan {
  version: 1;
  pipeline: string;
  description?: string;
  specPath: string;
  /** sha256 of the spec text. */
  specHash: string;
  /** sha256 of the canonical JSON of this plan minus specHash/specPath (what actually runs). */
  planHash: string;
  params: { [key: string]: string | number | boolean };
  /** Steps in a deterministic topological order. */
  steps: PlanStep[];
  /** Max steps run at once (spec `concurrency`, default 4). */
  concurrency: number;
}

export function isOutputRef(v: unknown): v is OutputRef {
  return typeof v === "object" && v !== null && "$ref" in v && Object.keys(v).length === 1;
}
