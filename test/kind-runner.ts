// Runs a step kind from a test the way the engine runs it from a plan: the kind's schema defaults
// are filled into `with` (the compiler's withDefaults), and input fields may hold ArtifactRefs.
import { KINDS } from "../activities/registry.ts";
import type { StepContext } from "../activities/kit/step-context.ts";
import { isArtifactRef, type ArtifactRef } from "../contract/artifacts.ts";
import type { StepResult } from "../contract/step-io.ts";
import { withDefaults } from "../pipelines/index.ts";

export type KindRun = (ctx: StepContext, w: { [key: string]: unknown }) => Promise<StepResult>;

export function kindRunner(name: string): KindRun {
  const entry = KINDS[name];
  if (!entry) throw new Error(`no step kind '${name}'`);
  return async (ctx, w) => (await entry.load())(ctx, kindWith(name, w) as never);
}

/** `w` with the kind's defaults filled; ArtifactRefs stand where the compiler sees `${{ }}` text. */
export function kindWith(name: string, w: { [key: string]: unknown }): { [key: string]: unknown } {
  const refs: ArtifactRef[] = [];
  const hide = (v: unknown): unknown => {
    if (isArtifactRef(v)) return `\${{ artifact ${refs.push(v) - 1} }}`;
    if (Array.isArray(v)) return v.map(hide);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hide(x)]));
    return v;
  };
  const show = (v: unknown): unknown => {
    const m = typeof v === "string" ? /^\$\{\{ artifact (\d+) \}\}$/.exec(v) : null;
    if (m) return refs[Number(m[1])];
    if (Array.isArray(v)) return v.map(show);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, show(x)]));
    return v;
  };
  return show(withDefaults(KINDS[name]!.definition.schema, hide(w))) as { [key: string]: unknown };
}
