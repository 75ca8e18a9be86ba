// Project files named as step inputs (a command's `inputs`, a dataset file) are copied into the
// artifact store before the run starts, and the plan then carries their ArtifactRefs: their
// content hashes enter the cache keys, and workers (local or remote) read them from the store.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { stepKinds } from "../kinds.ts";
import { checkSource, hashPath, putArtifact } from "./artifacts.ts";
import type { ArtifactRef } from "../../contract/artifacts.ts";
import type { Plan, PlanValue } from "../../contract/plan.ts";

type Put = (abs: string, kind: string) => Promise<ArtifactRef>;

async function stage(value: PlanValue, put: Put, cwd: string): Promise<PlanValue> {
  if (typeof value === "string") {
    if (value.includes("${{")) return value;
    const abs = resolve(cwd, value);
    const kind = statSync(abs, { throwIfNoEntry: false })?.isDirectory() ? "dir" : "file";
    return (await put(abs, kind)) as unknown as PlanValue;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => stage(v, put, cwd)));
  if (value && typeof value === "object" && !("$ref" in value)) {
    const out: Record<string, PlanValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await stage(v as PlanValue, put, cwd);
    return out;
  }
  return value;
}

/** With `hashOnly` (for `mmada plan`) nothing is copied: the refs carry the content hashes only. */
export async function stageInputs(plan: Plan, root: string, opts: { cwd?: string; hashOnly?: boolean } = {}): Promise<Plan> {
  const cwd = opts.cwd ?? process.cwd();
  const within = [cwd, root];
  const put: Put = opts.hashOnly
    ? async (abs, kind) => {
        await checkSource(abs, { within });
        return { ...(await hashPath(abs)), uri: "", kind };
      }
    : (abs, kind) => putArtifact(root, abs, kind, { within });
  const steps = await Promise.all(
    plan.steps.map(async (s) => {
      const fields = Object.keys(stepKinds()[s.uses]?.inputs ?? {});
      if (!fields.some((f) => s.with[f] !== undefined)) return s;
      const w = { ...s.with };
      for (const f of fields) if (w[f] !== undefined) w[f] = await stage(w[f]!, put, cwd);
      return { ...s, with: w };
    }),
  );
  return { ...plan, steps };
}
