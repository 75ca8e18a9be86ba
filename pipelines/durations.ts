// Durations in specs: 500ms, 30s, 10m, 2h (the schema's #/definitions/duration pattern), and the
// range Temporal accepts for them. The schema only checks the syntax; a `timeout: 0s` passes it,
// compiles, and then every workflow task fails with BadScheduleActivityAttributes, so the values
// are checked here, at compile time, where the user can be shown the line.
import { MAX_RETRY_INTERVAL_MS, MAX_TIMEOUT_MS, MIN_DURATION_MS } from "../contract/limits.ts";
import { specError } from "./errors.ts";
import type { SpecError } from "./errors.ts";
import { valuePos } from "./load.ts";
import type { DataPath, LoadedSpec } from "./load.ts";
import { describe, pathText } from "./schema-errors.ts";
import type { RawSpec, RawStepSettings } from "./spec-types.ts";

const UNIT_MS: { [unit: string]: number } = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const unit = UNIT_MS[m[2] ?? ""];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

const HOUR_MS = 3_600_000;
const YEAR_MS = 8766 * HOUR_MS; // 365.25 days

/** Every duration a spec can set, under `defaults:` and under each step. */
const FIELDS: { at: string[]; max: number }[] = [
  { at: ["timeout"], max: MAX_TIMEOUT_MS },
  { at: ["heartbeatTimeout"], max: MAX_TIMEOUT_MS },
  { at: ["retry", "initialInterval"], max: MAX_RETRY_INTERVAL_MS },
];

/** `876600h, 100 years`: a limit in the unit users write, and in years. */
function showLimit(ms: number): string {
  return `${ms / HOUR_MS}h, ${ms / YEAR_MS} years`;
}

/** Why Temporal would refuse the duration `text` (at most `max` ms), or undefined if it is fine.
 *  Text that is not a duration at all is the schema's to report. */
export function durationProblem(text: string, max: number): string | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) return undefined;
  if (ms < MIN_DURATION_MS) return Number(DURATION.exec(text)?.[1]) === 0 ? "is zero" : "rounds to 0ms";
  if (!(ms <= max)) return `is longer than Temporal accepts (at most ${showLimit(max)})`;
  return undefined;
}

/** E_BAD_DURATION for every duration in `defaults:` and the steps that Temporal would refuse. */
export function checkDurations(spec: LoadedSpec, raw: RawSpec): SpecError[] {
  const blocks: [DataPath, RawStepSettings | undefined][] = [
    [["defaults"], raw.defaults],
    ...Object.entries(raw.steps).map(([id, step]): [DataPath, RawStepSettings] => [["steps", id], step]),
  ];
  const errors: SpecError[] = [];
  for (const [base, block] of blocks) {
    for (const field of FIELDS) {
      let value: unknown = block;
      for (const k of field.at) value = typeof value === "object" && value !== null ? (value as { [k: string]: unknown })[k] : undefined;
      if (typeof value !== "string") continue;
      const problem = durationProblem(value, field.max);
      if (problem === undefined) continue;
      const path = [...base, ...field.at];
      const hint = `write a duration from ${MIN_DURATION_MS}ms to ${field.max / HOUR_MS}h`;
      errors.push(specError("E_BAD_DURATION", `${pathText(path)} ${describe(value)} ${problem}`, spec.file, valuePos(spec, path), hint));
    }
  }
  return errors;
}
