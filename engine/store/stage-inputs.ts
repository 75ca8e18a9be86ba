// Project files named as step inputs (a command's `inputs`, a dataset file: the compiler marks them
// as `$file` nodes) are copied into the artifact store before the run starts, and the plan then
// carries their artifacts instead: their content hashes enter the cache keys, and workers (local or
// remote) read them from the store.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { ArtifactStore } from "./artifact-store.ts";
import { checkSource, hashPath } from "./artifacts.ts";
import type { ArtifactRef } from "../../contract/step-io.ts";
import type { Plan } from "../../contract/plan.ts";
import { mapWithMap, withNodes } from "../../contract/with-value.ts";

/** With `hashOnly` (for `mmada plan`) nothing is copied: the artifacts carry the content hashes only. */
export async function stageInputs(plan: Plan, store: ArtifactStore, opts: { cwd?: string; hashOnly?: boolean } = {}): Promise<Plan> {
  const cwd = opts.cwd ?? process.cwd();
  const within = [cwd, store.root];
  const put = async (path: string): Promise<ArtifactRef> => {
    const abs = resolve(cwd, path);
    const kind = statSync(abs, { throwIfNoEntry: false })?.isDirectory() ? "dir" : "file";
    if (!opts.hashOnly) return store.put(abs, kind, { within });
    await checkSource(abs, { within });
    const { sha256, size } = await hashPath(abs);
    return { sha256, size, uri: "", kind };
  };
  // each file once, however many steps name it
  const files = [...new Set(plan.steps.flatMap((s) => withNodes(s.with).flatMap(({ node }) => ("$file" in node ? [node.$file] : []))))];
  const stored = new Map(await Promise.all(files.map(async (f) => [f, await put(f)] as const)));
  const steps = plan.steps.map((s) => ({
    ...s,
    with: mapWithMap(s.with, (node) => ("$file" in node ? { $artifact: stored.get(node.$file)! } : undefined)),
  }));
  return { ...plan, steps };
}
