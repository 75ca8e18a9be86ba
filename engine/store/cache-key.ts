// Step cache key = sha256(kind + kind version (a hash of its code) + resolved `with`, where every artifact is replaced
// by its content hash). Components are kept so `mmada plan` can say which one changed.
import { createHash } from "node:crypto";
import { canonicalJson } from "../../contract/canonical-json.ts";
import type { PlanStep } from "../../contract/plan.ts";
import { isArtifactRef, type ArtifactRef } from "../../contract/artifacts.ts";

export interface CacheComponents {
  kind: string;
  kindVersion: string;
  /** `with` flattened to dotted keys; artifacts appear as `sha256:<hex>`. */
  with: Record<string, string>;
}

export interface CacheKey {
  key: string;
  components: CacheComponents;
}

function flatten(value: unknown, prefix: string, out: Record<string, string>): void {
  if (isArtifactRef(value)) out[prefix] = `sha256:${value.sha256}`;
  else if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  else if (value && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) out[prefix] = "{}";
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = JSON.stringify(value ?? null);
}

/** `with` must already have references resolved to ArtifactRefs (see StepInput). Templates in
 *  strings are keyed by the artifacts they name, via `refs`. */
export function cacheKey(step: PlanStep, resolvedWith: unknown, refs: Record<string, ArtifactRef> = {}): CacheKey {
  const flat: Record<string, string> = {};
  flatten(resolvedWith, "", flat);
  for (const [expr, ref] of Object.entries(refs)) flat[`\${{ ${expr} }}`] = `sha256:${ref.sha256}`;
  const components: CacheComponents = { kind: step.uses, kindVersion: step.kindVersion, with: flat };
  const key = createHash("sha256").update(canonicalJson(components)).digest("hex");
  return { key, components };
}

/** Human-readable differences between two component sets ("with.lr: 0.001 -> 0.002"). */
export function explainChange(before: CacheComponents, after: CacheComponents): string[] {
  const why: string[] = [];
  if (before.kind !== after.kind) why.push(`step kind ${before.kind} -> ${after.kind}`);
  if (before.kindVersion !== after.kindVersion) why.push(`code of ${after.kind} changed (version ${before.kindVersion.slice(0, 8)} -> ${after.kindVersion.slice(0, 8)})`);
  const keys = [...new Set([...Object.keys(before.with), ...Object.keys(after.with)])].sort();
  for (const k of keys) {
    const a = before.with[k];
    const b = after.with[k];
    if (a === b) continue;
    const label = a?.startsWith("sha256:") || b?.startsWith("sha256:") ? `input ${k} content` : `with.${k}`;
    why.push(`${label}: ${short(a)} -> ${short(b)}`);
  }
  return why;
}

function short(v: string | undefined): string {
  if (v === undefined) return "(absent)";
  return v.startsWith("sha256:") ? v.slice(0, 15) : v.length > 40 ? `${v.slice(0, 37)}...` : v;
}
