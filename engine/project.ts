// This project's own files: where they are (the Temporal CLI and caches in .tools/, the CLI entry in
// bin/), whatever the current directory, and hashes of its source code for caches that must notice
// code changes: a step kind's version (engine/kinds.ts) and the workflow bundle (temporal/worker.ts).
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CLI_ENTRY = join(PROJECT_ROOT, "bin", "mmada.js");

// A source set is every project file reached from some entry files through relative imports.
/** Relative module specifiers of static imports, re-exports and dynamic `import("...")`. */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g;

/** The files `entries` reach through relative imports (entries included), sorted. */
export function sourceClosure(entries: string[]): string[] {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    if (!/\.[cm]?[jt]s$/.test(file)) continue;
    for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) todo.push(resolve(dirname(file), m[1]!));
  }
  return [...seen].sort();
}

/** sha256 (hex, first `length` chars) over the project-relative paths and contents of `files`. */
export function hashFiles(files: string[], length = 16): string {
  const h = createHash("sha256");
  for (const file of [...files].sort()) {
    h.update(relative(PROJECT_ROOT, file).split("\\").join("/")).update("\0").update(readFileSync(file)).update("\0");
  }
  return h.digest("hex").slice(0, length);
}

/** Folders whose code a worker runs (the step kinds, the MMaDA library, the workflow, the engine,
 *  the model); a test checks they hold every file a worker's entry reaches. */
export const WORKER_CODE = ["activities", "contract", "engine", "mmada", "model", "runs", "workflows"];

/** A version of the code a worker process runs: long-lived workers started from older code are
 *  replaced before they serve a run. */
export function codeVersion(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|js|json|sql)$/.test(e.name)) files.push(p);
    }
  };
  for (const f of WORKER_CODE) if (existsSync(join(PROJECT_ROOT, f))) walk(join(PROJECT_ROOT, f));
  return hashFiles([...files, join(PROJECT_ROOT, "package-lock.json")]);
}
