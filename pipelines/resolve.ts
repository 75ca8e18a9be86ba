// Stage 3b, resolve values: a step's settings (built-in < kind < spec `defaults:` < step) and its
// `with`, parsed once per branch into the typed model of contract/with-value.ts: params and matrix
// values substituted, step outputs as references (spec ids; `linkWith` names the branch), project
// files in input fields marked.
import type { KindDefaults, StepKindInfo } from "../contract/step-kind.ts";
import { parseDuration } from "./durations.ts";
import { type Expr, findExpressions, isWholeExpression } from "../contract/expressions.ts";
import type { Combo } from "./matrix.ts";
import { own } from "./names.ts";
import type { ParamValues } from "./params.ts";
import type { RetryPlan } from "../contract/plan.ts";
import { fromMapping, mapWith, mapWithMap, type StepOutput, type TemplatePart, type WithMap, type WithValue } from "../contract/with-value.ts";
import type { RawStep, RawStepSettings, Scalar } from "./spec-types.ts";

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

/** What a step output expression becomes in a branch's plan: `whole` when the string is exactly
 *  that expression (a gather step gets one `$output` per branch of an expanded dependency). */
export type LinkOutput = (ref: StepOutput, whole: boolean) => WithValue;

/**
 * A spec value parsed into the `with` model (contract/with-value.ts): params and matrix values
 * substituted (typed when a string is exactly one expression), step outputs as `$output` nodes or
 * `$template` parts, named by spec step id until `link` names the branch. Unknown or malformed
 * expressions (already reported by the analysis) stay verbatim text.
 */
export function parseWith(value: unknown, params: ParamValues, combo: Combo): WithValue {
  if (typeof value === "string") return parseString(value, params, combo);
  if (Array.isArray(value)) return value.map((v) => parseWith(v, params, combo));
  if (typeof value === "object" && value !== null) return fromMapping(value, (v) => parseWith(v, params, combo));
  return value as WithValue;
}

function parseString(s: string, params: ParamValues, combo: Combo): WithValue {
  const matches = findExpressions(s);
  if (matches.length === 0) return s;
  const scalar = (e: Expr | undefined): Scalar | undefined =>
    e?.kind === "param" ? own(params, e.name) : e?.kind === "matrix" ? own(combo, e.key) : undefined;
  const first = matches[0]!.expr;
  if (isWholeExpression(s, matches)) {
    if (first?.kind === "step") return { $output: { step: first.step, output: first.output } };
    return scalar(first) ?? s;
  }
  const parts: TemplatePart[] = [];
  let text = "";
  let at = 0;
  for (const m of matches) {
    text += s.slice(at, m.start);
    at = m.end;
    if (m.expr?.kind === "step") {
      if (text) parts.push(text);
      text = "";
      parts.push({ $output: { step: m.expr.step, output: m.expr.output } });
    } else {
      const v = scalar(m.expr);
      text += v === undefined ? m.text : String(v);
    }
  }
  text += s.slice(at);
  if (text) parts.push(text);
  return parts.length === 1 && typeof parts[0] === "string" ? parts[0] : { $template: parts };
}

/** Project file paths in a kind's input fields become `$file` nodes (copied into the store when a
 *  run starts, so their content enters the cache key). */
export function markFiles(w: WithMap, inputFields: string[]): WithMap {
  const out: WithMap = { ...w };
  for (const f of inputFields) if (out[f] !== undefined) out[f] = mapWith(out[f]!, () => undefined, (s) => ({ $file: s }));
  return out;
}

/** A branch's `with` with its references naming plan steps. */
export function linkWith(w: WithMap, link: LinkOutput): WithMap {
  return mapWithMap(w, (node) => {
    if ("$output" in node) return link(node.$output, true);
    if (!("$template" in node)) return undefined;
    const parts = node.$template.flatMap((p): TemplatePart[] => {
      if (typeof p === "string" || !("$output" in p)) return [p];
      const linked = link(p.$output, false);
      const outs = (Array.isArray(linked) ? linked : [linked]) as { $output: StepOutput }[];
      return outs.flatMap((o, i) => (i === 0 ? [o] : [" ", o]));
    });
    return { $template: parts };
  });
}
