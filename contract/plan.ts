// The compiled plan: plain JSON handed to the workflow. Produced by `compile` (pipelines/compile.ts),
// consumed by workflows/run-pipeline.ts; hashed in its canonical JSON form. Nothing here imports
// Node, Temporal or tfjs.
import type { WithMap } from "./with-value.ts";

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
  /** The typed `with` (with-value.ts): literals, and references to other steps' outputs (by plan
   *  id), project files and artifacts as marked nodes. */
  with: WithMap;
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
  /** Early stopping over a matrix sweep (spec `search:`). */
  search?: PlanSearch;
}

/**
 * A sweep whose branches are judged at rungs (training steps) by a metric, and stopped there when
 * they lose (workflows/search.ts): ASHA (a branch goes on while it is in the top 1/reductionFactor
 * of the branches that reached the rung) or the median rule (it stops when worse than the median of
 * the others there).
 */
export interface PlanSearch {
  /** The spec step whose branches compete. */
  specStep: string;
  metric: string;
  mode: "min" | "max";
  rule: "asha" | "median";
  reductionFactor: number;
  /** Median rule: how many other branches must have reached a rung before it stops any there. */
  minBranches: number;
  /** The branches (plan ids) in the order they are judged (the order the matrix lists their values),
   *  each with the training steps it is judged at and its whole budget (the steps it runs when never
   *  stopped). */
  branches: { id: string; rungs: number[]; budget: number }[];
}

/** Canonical JSON: object keys sorted (by UTF-16 code units), no whitespace. The same value always
 *  gives the same bytes, so hashes of plans and cache keys are stable. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`canonicalJson: non-finite number ${v} has no JSON form`);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? "null" : canonicalJson(x))).join(",")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as { [k: string]: unknown })
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  throw new Error(`canonicalJson: ${typeof v} has no JSON form`);
}
