// The `command` step kind as the compiler sees it: the JSON Schema of its `with` (the one place its
// fields, limits and defaults are written; the compiler validates `with` against it and fills the
// defaults, so the plan and the cache key hold every effective value), the type the step receives,
// the rules the schema cannot express, and its inputs and outputs.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";
import type { KindDefinition, WithObject } from "../../contract/step-kind.ts";

export const schema = {
  title: "command step: with",
  description: "Runs a shell command (bash -c). Inputs arrive as env vars MMADA_IN_<NAME> (paths); outputs are written under $MMADA_OUT.",
  type: "object",
  required: ["run"],
  additionalProperties: false,
  properties: {
    run: {
      description: "Shell command. Non-zero exit fails the step; its stderr is shown.",
      type: "string",
      minLength: 1,
    },
    inputs: {
      description: "Input name -> ${{ steps.ID.outputs.NAME }} or a project file path (relative, inside the project). Exposed as $MMADA_IN_<NAME>.",
      type: "object",
      propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
      additionalProperties: { type: "string", minLength: 1 },
    },
    outputs: {
      description: "Output name -> path under $MMADA_OUT, or { path, kind } with kind file (default) or dir.",
      type: "object",
      propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
      additionalProperties: {
        type: ["string", "object"],
        minLength: 1,
        required: ["path"],
        additionalProperties: false,
        properties: { path: { type: "string", minLength: 1 }, kind: { enum: ["file", "dir"] } },
      },
    },
  },
} as const satisfies JSONSchema;

/** `with` as the step receives it: validated, defaults filled. */
export type CommandWith = FromSchema<typeof schema>;

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

export const commandKind: KindDefinition = {
  name: "command",
  description: "Run a shell command; inputs as $MMADA_IN_<NAME>, outputs written under $MMADA_OUT.",
  schema,
  inputs: { inputs: "any" },
  // a shell command mostly waits on its process: it runs beside compute steps (set cores >= 1 for a heavy one)
  defaults: { cores: 0 },
  outputs: (w) => Object.fromEntries(commandOutputEntries(w).map(([name, o]) => [name, o.kind])),
  outputPaths: (w) =>
    commandOutputEntries(w).map(([name, o]) => ({
      at: o.long ? ["outputs", name, "path"] : ["outputs", name],
      path: o.path,
    })),
};
