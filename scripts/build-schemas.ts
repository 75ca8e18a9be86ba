// Writes schemas/steps/<kind>.schema.json from each kind's schema (activities/<kind>/schema.ts),
// for editors: the pipeline schema's per-kind `with` rules point at these files. The TypeScript
// schemas are the source; test/spec/schema.test.ts fails when these files are stale.
//   npm run build:schemas
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KINDS } from "../activities/registry.ts";
import { PROJECT_ROOT } from "../engine/project.ts";

export const EDITOR_SCHEMA_DIR = join(PROJECT_ROOT, "schemas", "steps");

/** The editor file of a kind's schema: draft-07, pretty-printed. */
export function editorSchemaText(schema: object): string {
  return `${JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...schema }, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(EDITOR_SCHEMA_DIR, { recursive: true });
  for (const [name, entry] of Object.entries(KINDS)) {
    writeFileSync(join(EDITOR_SCHEMA_DIR, `${name}.schema.json`), editorSchemaText(entry.definition.schema));
  }
  process.stdout.write(`wrote ${Object.keys(KINDS).length} schemas to schemas/steps/\n`);
}
