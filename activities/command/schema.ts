// JSON Schema of the `command` step's `with`: the one place its fields, limits and defaults are
// written. The compiler validates `with` against it and fills the defaults (so the plan and the cache
// key hold every effective value); CommandWith is derived from it.
import type { FromSchema, JSONSchema } from "json-schema-to-ts";

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
