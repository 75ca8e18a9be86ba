// Where this project's own files are (the Temporal CLI and caches in .tools/, the CLI entry in bin/),
// whatever the current directory.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CLI_ENTRY = join(PROJECT_ROOT, "bin", "mmada.js");
