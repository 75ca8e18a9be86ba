// The shape of a spec once it passed schemas/pipeline.schema.json. The schema is the source of
// truth; JSON imports lose literal types, so TypeScript cannot derive these from it. Instead the
// field lists below are checked against the schema by test/spec/schema.test.ts, so the two
// cannot drift apart silently.

export type Scalar = string | number | boolean;

export interface RawParam {
  type: "boolean" | "integer" | "number" | "string";
  default: Scalar;
  description?: string;
  minimum?: number;
  maximum?: number;
  enum?: Scalar[];
}

export interface RawRetry {
  maximumAttempts?: number;
  initialInterval?: string;
  backoffCoefficient?: number;
}

export interface RawStepSettings {
  queue?: string;
  retry?: RawRetry;
  timeout?: string;
  heartbeatTimeout?: string;
  cache?: boolean;
  cores?: number;
}

export type RawMatrix = { [key: string]: Scalar[] };

export interface RawStep extends RawStepSettings {
  uses: string;
  description?: string;
  with?: { [key: string]: unknown };
  needs?: string[];
  matrix?: RawMatrix;
  gather?: boolean;
}

export interface RawSearch {
  step: string;
  metric: string;
  mode: "min" | "max";
  rule?: "asha" | "median";
  rungs?: number[];
  minSteps?: number;
  reductionFactor?: number;
  gracePeriod?: number;
  every?: number;
  minBranches?: number;
}

export interface RawSpec {
  name: string;
  description?: string;
  concurrency?: number;
  params?: { [name: string]: RawParam };
  matrix?: RawMatrix;
  search?: RawSearch;
  defaults?: RawStepSettings;
  steps: { [id: string]: RawStep };
}

// Field lists, typed so that a field missing from the interfaces above fails to compile.
export const SPEC_FIELDS = ["name", "description", "concurrency", "params", "matrix", "search", "defaults", "steps"] as const satisfies readonly (keyof RawSpec)[];
export const SEARCH_FIELDS = [
  "step", "metric", "mode", "rule", "rungs", "minSteps", "reductionFactor", "gracePeriod", "every", "minBranches",
] as const satisfies readonly (keyof RawSearch)[];
export const STEP_FIELDS = [
  "uses", "description", "with", "needs", "queue", "retry", "timeout", "heartbeatTimeout", "cache", "cores", "matrix", "gather",
] as const satisfies readonly (keyof RawStep)[];
export const STEP_SETTINGS_FIELDS = ["queue", "retry", "timeout", "heartbeatTimeout", "cache", "cores"] as const satisfies readonly (keyof RawStepSettings)[];
export const PARAM_FIELDS = ["type", "default", "description", "minimum", "maximum", "enum"] as const satisfies readonly (keyof RawParam)[];
export const RETRY_FIELDS = ["maximumAttempts", "initialInterval", "backoffCoefficient"] as const satisfies readonly (keyof RawRetry)[];
