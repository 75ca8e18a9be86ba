// Substitutes `${{ steps.<id>.outputs.<name> }}` inside strings with the artifact's absolute path.
// (Whole-value references were already replaced by ArtifactRefs in the workflow.)
import type { ArtifactRef } from "./types.ts";

const STEP_OUTPUT = /\$\{\{\s*(steps\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.outputs\.[A-Za-z0-9_-]+)\s*\}\}/g;

export function substituteTemplates(value: unknown, refs: Record<string, ArtifactRef>, pathOf: (r: ArtifactRef) => string): unknown {
  if (typeof value === "string") {
    return value.replace(STEP_OUTPUT, (whole, expr: string) => {
      const ref = refs[expr];
      return ref ? pathOf(ref) : whole;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substituteTemplates(v, refs, pathOf));
  if (value && typeof value === "object") {
    if ("sha256" in value && "uri" in value) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteTemplates(v, refs, pathOf)]));
  }
  return value;
}
