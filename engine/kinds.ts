// The step-kind registry as the compiler and the step runner use it: each kind's definition
// (activities/registry.ts) plus a version derived from its code, so a changed kind never gives a
// stale cache hit and nobody has to remember to bump a version string.
//
// A kind's version is the sha256 of every project source file its folder reaches through relative
// imports (its own files, the shared helpers and the model code they call), read when the registry
// is first used.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { StepKindInfo } from "../contract/step-kind.ts";
import { KINDS } from "../activities/registry.ts";
import { hashFiles, PROJECT_ROOT, sourceClosure } from "./project.ts";

let registry: Record<string, StepKindInfo> | undefined;

/** Every registered kind with its code-derived version (hashed when first asked for: a command
 *  that compiles a spec hashes only the kinds it uses). */
export function stepKinds(): Record<string, StepKindInfo> {
  registry ??= Object.fromEntries(
    Object.entries(KINDS).map(([name, entry]) => {
      let version: string | undefined;
      const info = { ...entry.definition } as StepKindInfo;
      Object.defineProperty(info, "version", { enumerable: true, get: () => (version ??= kindVersion(name)) });
      return [name, info];
    }),
  );
  return registry;
}

/** Hash of the sources reached from activities/<name>/kind.ts and run.ts. */
export function kindVersion(name: string): string {
  const folder = join(PROJECT_ROOT, "activities", name);
  return hashFiles(sourceClosure(["kind.ts", "run.ts"].map((f) => join(folder, f)).filter(existsSync)));
}
