// Stage 3b, resolve values: a step's settings (built-in < kind < spec `defaults:` < step) and its
// `with` with params and matrix values substituted. Step output expressions are either kept as
// text (to validate `with` against the kind's schema) or linked by a callback (to build the plan).
import type { KindDefaults, StepKindInfo } from "../contract/step-kind.ts";
import { parseDuration } from "./durations.ts";
import { findExpressions, isWholeExpression } from "./expressions.ts";
import type { Combo } from "./matrix.ts";
import { own } from "./own.ts";
import type { ParamValues } from "./params.ts";
import type { PlanValue, RetryPlan } from "../contract/plan.ts";
import type { RawStep, RawStepSettings } from "./spec-types.ts";

export const DEFAULT_QUEUE = "default";
export const DEFAULT_RETRY: RetryPlan = { maximumAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2 };
export const DEFAULT_TIMEOUT_MS = 3_600_000; // 1h
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 60_000; // 60s
export const DEFAULT_CONCURRENCY = 4;

export interface StepSettings {
  queue: string;
  retry: RetryPlan;
  timeoutMs: number;
  heartbeatTimeoutMs: number;
  cache: boolean;
  cores: number;
}

function applyLayer(s: StepSettings, layer: RawStepSettings | KindDefaults | undefined): StepSettings {
  if (!layer) return s;
  const ms = (d: string | undefined, fallback: number) => (d === undefined ? fallback : (parseDuration(d) ?? fallback));
  const r = layer.retry ?? {};
  return {
    queue: layer.queue ?? s.queue,
    retry: {
      maximumAttempts: r.maximumAttempts ?? s.retry.maximumAttempts,
      initialIntervalMs: ms(r.initialInterval, s.retry.initialIntervalMs),
      backoffCoefficient: r.backoffCoefficient ?? s.retry.backoffCoefficient,
    },
    timeoutMs: ms(layer.timeout, s.timeoutMs),
    heartbeatTimeoutMs: ms(layer.heartbeatTimeout, s.heartbeatTimeoutMs),
    cache: "cache" in layer && typeof layer.cache === "boolean" ? layer.cache : s.cache,
    cores: layer.cores ?? s.cores,
  };
}

/** Built-in defaults, then the kind's, then the spec's `defaults:`, then the step's own fields. */
export function resolveSettings(step: RawStep, kind: StepKindInfo | undefined, specDefaults: RawStepSettings | undefined): StepSettings {
  const builtIn: StepSettings = {
    queue: DEFAULT_QUEUE,
    retry: { ...DEFAULT_RETRY },
    timeoutMs: DEFAULT_TIMEOUT_MS,
    heartbeatTimeoutMs: DEFAULT_HEARTBEAT_TIMEOUT_MS,
    cache: true,
    cores: 1,
  };
  return [kind?.defaults, specDefaults, step].reduce<StepSettings>(applyLayer, builtIn);
}

/** What a step output expression becomes: `whole` when the string is exactly that expression. */
export type LinkRef = (ref: { step: string; output: string }, whole: boolean) => PlanValue;

/** `with` with params and matrix values substituted (typed when a string is exactly one
 *  expression). Step output expressions stay verbatim unless `link` is given. Unknown or malformed
 *  expressions (already reported) stay verbatim. */
export function resolveValue(value: unknown, params: ParamValues, combo: Combo, link?: LinkRef): PlanValue {
  if (typeof value === "string") return resolveString(value, params, combo, link);
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, params, combo, link));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, params, combo, link)]));
  }
  return value as PlanValue;
}

function resolveString(s: string, params: ParamValues, combo: Combo, link?: LinkRef): PlanValue {
  const matches = findExpressions(s);
  if (matches.length === 0) return s;
  const valueOf = (i: number, whole: boolean): PlanValue | undefined => {
    const e = matches[i]?.expr;
    if (!e) return undefined;
    if (e.kind === "param") return own(params, e.name);
    if (e.kind === "matrix") return own(combo, e.key);
    return link ? link({ step: e.step, output: e.output }, whole) : undefined;
  };
  if (isWholeExpression(s, matches)) return valueOf(0, true) ?? s;
  let out = "";
  let at = 0;
  matches.forEach((m, i) => {
    const v = valueOf(i, false);
    out += s.slice(at, m.start) + (v === undefined ? m.text : String(v));
    at = m.end;
  });
  return out + s.slice(at);
}
