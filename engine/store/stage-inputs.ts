// Project files named as step inputs (a command's `inputs`, a dataset file: the compiler marks them
// as `$file` nodes) are copied into the artifact store before the run starts, and the plan then
// carries their artifacts instead: their content hashes enter the cache keys, and workers (local or
// remote) read them from the store.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { checkSource, hashPath, putArtifact } from "./artifacts.ts";
import type { ArtifactRef } from "../../contract/step-io.ts";
import type { Plan } from "../../contract/plan.ts";
import { mapWithMap, withNodes } from "../../contract/with-value.ts";

/** With `hashOnly` (for `mmada plan`) nothing is copied: the artifacts carry the content hashes only. */
export async function stageInputs(plan: Plan, root: string, opts: { cwd?: string; hashOnly?: boolean } = {}): Promise<Plan> {
  const cwd = opts.cwd ?? process.cwd();
  const within = [cwd, root];
  const put = async (path: string): Promise<ArtifactRef> => {
    const abs = resolve(cwd, path);
    const kind = statSync(abs, { throwIfNoEntry: false })?.isDirectory() ? "dir" : "file";
    if (!opts.hashOnly) return putArtifact(root, abs, kind, { within });
    await checkSource(abs, { within });
    return { ...(await hashPath(abs)), uri: "", kind };
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
