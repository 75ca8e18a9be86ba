// The step-kind registry: what each `uses:` value means to the compiler. Pure metadata (no tfjs,
// no Temporal), so pipelines/ can validate a spec without loading any activity code.
//
// Adding a kind = a schema file schemas/steps/<kind>.schema.json + one entry in `stepKinds`
// (+ an if/then line in schemas/pipeline.schema.json#/definitions/withByKind for editor help;
// test/spec/registry.test.ts checks that line exists).
import commandSchema from "../schemas/steps/command.schema.json" with { type: "json" };

/** Step settings a kind may default (same syntax as the spec's `defaults:` block). */
export interface KindDefaults {
  queue?: string;
  /** Duration string: 500ms, 30s, 10m, 2h. */
  timeout?: string;
  heartbeatTimeout?: string;
  retry?: { maximumAttempts?: number; initialInterval?: string; backoffCoefficient?: number };
}

/** A path written in `with` that must stay inside its root (the project, or $MMADA_OUT). */
export interface KindPathUse {
  /** Where in `with` the path is written, e.g. ["outputs", "model", "path"]. */
  at: (string | number)[];
  path: string;
}

export type WithObject = { [key: string]: unknown };

export interface StepKindInfo {
  name: string;
  /** Implementation version: bump it when the activity's behaviour changes (part of the cache key). */
  version: string;
  description: string;
  /** JSON Schema of `with`, checked after params and matrix values are substituted. */
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
}

/** For kinds whose outputs do not depend on `with`. */
export function fixedOutputs(outputs: { [name: string]: string }): (w: WithObject) => { [name: string]: string } {
  return () => ({ ...outputs });
}

const COMMAND_DEFAULT_OUTPUT_KIND = "file";

/** command's `outputs`: name -> "path" or { path, kind }. */
type CommandOutput = [name: string, out: { path: string; kind: string; long: boolean }];

function commandOutputEntries(w: WithObject): CommandOutput[] {
  const outs = w["outputs"];
  if (typeof outs !== "object" || outs === null) return [];
  return Object.entries(outs as { [k: string]: unknown }).flatMap(([name, v]): CommandOutput[] => {
    if (typeof v === "string") return [[name, { path: v, kind: COMMAND_DEFAULT_OUTPUT_KIND, long: false }]];
    if (typeof v === "object" && v !== null) {
      const o = v as { path?: unknown; kind?: unknown };
      const kind = typeof o.kind === "string" ? o.kind : COMMAND_DEFAULT_OUTPUT_KIND;
      return typeof o.path === "string" ? [[name, { path: o.path, kind, long: true }]] : [];
    }
    return [];
  });
}

export const commandKind: StepKindInfo = {
  name: "command",
  version: "1",
  description: "Run a shell command; inputs as $MMADA_IN_<NAME>, outputs written under $MMADA_OUT.",
  schema: commandSchema,
  inputs: { inputs: "any" },
  outputs: (w) => Object.fromEntries(commandOutputEntries(w).map(([name, o]) => [name, o.kind])),
  outputPaths: (w) =>
    commandOutputEntries(w).map(([name, o]) => ({
      at: o.long ? ["outputs", name, "path"] : ["outputs", name],
      path: o.path,
    })),
};

/** The registry. The compiler takes `{ kinds }` to inject another one (tests, plugins). */
export const stepKinds: Record<string, StepKindInfo> = {
  command: commandKind,
};
