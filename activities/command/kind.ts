// The `command` step kind as the compiler sees it: schema, inputs, outputs.
import type { KindDefinition, WithObject } from "../../contract/step-kind.ts";
import { schema } from "./schema.ts";

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
