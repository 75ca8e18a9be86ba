// Step cache key = sha256(kind + kind version (a hash of its code) + the bound `with`, where every
// artifact, whole or named inside a string, stands as its content hash). Components are kept so
// `mmada plan` can say which one changed.
import { createHash } from "node:crypto";
import { canonicalJson, type PlanStep } from "../../contract/plan.ts";
import { isArtifactRef } from "../../contract/step-io.ts";
import { type StepOutput, type WithMap, withView } from "../../contract/with-value.ts";

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

/** The key of `bound` (contract/with-value.ts bindWith: every step output an artifact). An artifact
 *  inside a string counts by its content (`sha256:<hex>` in the text), never by its path. */
export function cacheKey(step: PlanStep, bound: WithMap): CacheKey {
  const flat: Record<string, string> = {};
  const unbound = (o: StepOutput): never => {
    throw new Error(`cacheKey: step '${step.id}' still names output '${o.output}' of '${o.step}'; bind it first`);
  };
  const view = withView(bound, {
    output: unbound,
    artifact: (a) => a,
    file: (p) => p,
    partText: { output: unbound, artifact: (a) => `sha256:${a.sha256}` },
  });
  flatten(view, "", flat);
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
    why.push(`${label}: ${shown(a, b)} -> ${shown(b, a)}`);
  }
  return why;
}

const SHOWN = 40;

/** `v` short enough for one line, around where it first differs from `other`: two long commands
 *  that differ near the end show their ends, not the same beginning twice. */
function shown(v: string | undefined, other: string | undefined): string {
  if (v === undefined) return "(absent)";
  if (v.startsWith("sha256:")) return v.slice(0, 15);
  if (v.length <= SHOWN) return v;
  let at = 0;
  while (other !== undefined && at < v.length && v[at] === other[at]) at++;
  const from = Math.max(0, Math.min(at - 10, v.length - (SHOWN - 3)));
  const to = Math.min(v.length, from + SHOWN - 3);
  return `${from > 0 ? "..." : ""}${v.slice(from, to)}${to < v.length ? "..." : ""}`;
}
