// The one model of a step's `with`: what the compiler parses a spec's values into, what the plan
// carries and what the run-time binds. Literals are plain JSON; everything that is not a literal is
// a marked node, so no consumer ever looks inside a string for `${{`:
//   { $output: { step, output } }   a whole `${{ steps.X.outputs.Y }}`: that artifact at run time
//   { $template: [parts] }          a string naming step outputs: their paths, joined, at run time
//   { $file: "path" }               a project file named as an input: copied into the store first
//   { $artifact: ArtifactRef }      an artifact: a stored project file, or a step output once bound
//   { $literal: value }             a literal mapping whose keys start with `$` (kept as written)
// The compiler parses (pipelines/resolve.ts), the engine stages files and binds outputs, and every
// reader (cache key, lineage inputs, the kind's own view, `mmada plan`) goes through `mapWith`.
import { stepOutputText } from "./expressions.ts";

/** A content-addressed artifact. */
export interface ArtifactRef {
  /** Content hash (sha256 hex) of the file, or of the directory manifest for directories. */
  sha256: string;
  /** Path relative to the workspace root (MMADA_HOME), e.g. `artifacts/ab/abcd…/model.ckpt`. */
  uri: string;
  /** Artifact kind: file, dir, dataset, tokens, tokenizer, vq, checkpoint, classifier, report, ... */
  kind: string;
  size: number;
  /** Optional small, JSON-serialisable facts (counts, shapes). */
  meta?: { [key: string]: string | number | boolean };
}

/** The one test for "is this value an artifact reference" (plans, cache keys, step inputs). */
export function isArtifactRef(v: unknown): v is ArtifactRef {
  return typeof v === "object" && v !== null && typeof (v as ArtifactRef).sha256 === "string" && typeof (v as ArtifactRef).uri === "string";
}


export interface StepOutput {
  step: string;
  output: string;
}

export type TemplatePart = string | { $output: StepOutput } | { $artifact: ArtifactRef };

export type WithNode =
  | { $output: StepOutput }
  | { $template: TemplatePart[] }
  | { $file: string }
  | { $artifact: ArtifactRef }
  | { $literal: unknown };

export type WithValue = string | number | boolean | null | WithValue[] | WithNode | { [key: string]: WithValue };

/** A step's `with`: field -> value. */
export type WithMap = { [key: string]: WithValue };

const NODE_KEYS = ["$output", "$template", "$file", "$artifact", "$literal"] as const;
type NodeKey = (typeof NODE_KEYS)[number];

export function isWithNode(v: unknown): v is WithNode {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (NODE_KEYS as readonly string[]).includes(keys[0]!);
}

function nodeKey(n: WithNode): NodeKey {
  return Object.keys(n)[0] as NodeKey;
}

/** Where a node sits in `with`: field names and list indexes. */
export type WithPath = (string | number)[];

/**
 * Rebuilds `value`, giving each node to `visit` (and each literal string to `visitString`, when
 * given): what it returns replaces it (undefined keeps it). Lists and mappings are walked; other
 * literals are copied as they are. The one walker of the model.
 */
export function mapWith(
  value: WithValue,
  visit: (node: WithNode, path: WithPath) => WithValue | undefined,
  visitString?: (s: string, path: WithPath) => WithValue | undefined,
  path: WithPath = [],
): WithValue {
  if (isWithNode(value)) return visit(value, path) ?? value;
  if (typeof value === "string") return visitString?.(value, path) ?? value;
  if (Array.isArray(value)) return value.map((v, i) => mapWith(v, visit, visitString, [...path, i]));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapWith(v, visit, visitString, [...path, k])]));
  }
  return value;
}

/** `mapWith` over a whole `with`. */
export function mapWithMap(w: WithMap, visit: (node: WithNode, path: WithPath) => WithValue | undefined): WithMap {
  return mapWith(w, visit) as WithMap;
}

/** Every node of `value` with its path, in document order. */
export function withNodes(value: WithValue): { node: WithNode; path: WithPath }[] {
  const out: { node: WithNode; path: WithPath }[] = [];
  mapWith(value, (node, path) => void out.push({ node, path }));
  return out;
}

/** True for a mapping kept as written (a `$literal`): one of its keys could pass for a node. */
export function keptLiteral(mapping: object): boolean {
  return Object.keys(mapping).some((k) => k.startsWith("$"));
}

/** A mapping written in a spec or handed to a kind: each entry converted by `convert`, or the whole
 *  mapping kept as a `$literal` (nothing inside it read) when one of its keys could pass for a node. */
export function fromMapping(value: object, convert: (v: unknown) => WithValue): WithValue {
  if (keptLiteral(value)) return { $literal: structuredClone(value) };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
}

/** What each kind of node shows as in a view; `$literal` always shows its value. */
export interface ViewOptions {
  output(o: StepOutput): unknown;
  artifact(a: ArtifactRef): unknown;
  file(path: string): unknown;
  /** How a template joins its parts' texts (default: `text`). */
  template?: (parts: string[]) => unknown;
  /** The text of a template part (default: `output(o)` / `artifact(a)` as strings). */
  partText?: { output(o: StepOutput): string; artifact(a: ArtifactRef): string };
}

/** `value` as plain JSON, each node shown by `opts`. */
export function withView(value: WithValue, opts: ViewOptions): unknown {
  return mapWith(value, (node) => {
    switch (nodeKey(node)) {
      case "$output":
        return opts.output((node as { $output: StepOutput }).$output) as WithValue;
      case "$artifact":
        return opts.artifact((node as { $artifact: ArtifactRef }).$artifact) as WithValue;
      case "$file":
        return opts.file((node as { $file: string }).$file) as WithValue;
      case "$literal":
        return structuredClone((node as { $literal: unknown }).$literal) as WithValue;
      case "$template": {
        const text = opts.partText ?? { output: (o: StepOutput) => String(opts.output(o)), artifact: (a: ArtifactRef) => String(opts.artifact(a)) };
        const parts = (node as { $template: TemplatePart[] }).$template.map((p) =>
          typeof p === "string" ? p : "$output" in p ? text.output(p.$output) : text.artifact(p.$artifact),
        );
        return (opts.template ? opts.template(parts) : parts.join("")) as WithValue;
      }
    }
  });
}

/** The spec's own text for every reference: what kind schemas, kind checks and `mmada plan` read
 *  before a run (artifacts, which only exist once files are staged, show as `sha256:<hex>`). */
export function specView(value: WithValue): unknown {
  return withView(value, {
    output: (o) => stepOutputText(o.step, o.output),
    artifact: (a) => `sha256:${a.sha256}`,
    file: (p) => p,
  });
}

/** Outputs a bound `with` could not find. */
export class UnboundOutputError extends Error {
  constructor(readonly missing: StepOutput) {
    super(`output '${missing.output}' of step '${missing.step}' is not available: that step did not produce it`);
  }
}

/** Step outputs by plan step id, as the workflow collects them. */
export type StepOutputs = { [stepId: string]: { [output: string]: ArtifactRef } };

/**
 * `value` with every step output replaced by the artifact that step produced, and the artifacts it
 * reads by a readable name (lineage): whole values by their path (`inputs.data`), outputs inside a
 * template by their reference (`steps.a.outputs.out`). Throws UnboundOutputError for a missing one.
 */
export function bindWith(w: WithMap, outputs: StepOutputs): { with: WithMap; inputs: { [name: string]: ArtifactRef } } {
  const inputs: { [name: string]: ArtifactRef } = {};
  const lookup = (o: StepOutput): ArtifactRef => {
    const ref = outputs[o.step]?.[o.output];
    if (!ref) throw new UnboundOutputError(o);
    return ref;
  };
  const bound = mapWithMap(w, (node, path) => {
    if ("$output" in node) return { $artifact: (inputs[pathName(path)] = lookup(node.$output)) };
    if ("$artifact" in node) inputs[pathName(path)] = node.$artifact;
    if ("$template" in node) {
      return {
        $template: node.$template.map((p) => {
          if (typeof p === "string" || !("$output" in p)) return p;
          const ref = lookup(p.$output);
          inputs[`steps.${p.$output.step}.outputs.${p.$output.output}`] = ref;
          return { $artifact: ref };
        }),
      };
    }
    return undefined;
  });
  return { with: bound, inputs };
}

/** `inputs.data`, `hidden[1]`: a node's path as a name. */
function pathName(path: WithPath): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** The JSON a step kind receives: artifacts as ArtifactRefs, templates as text with the artifacts'
 *  paths (`pathOf`), project files (not staged: tests, hand-built plans) as their paths. */
export function kindValue(w: WithMap, pathOf: (a: ArtifactRef) => string): { [key: string]: unknown } {
  return withView(w, {
    output: (o) => {
      throw new UnboundOutputError(o);
    },
    artifact: (a) => a,
    file: (p) => p,
    partText: { output: (o) => { throw new UnboundOutputError(o); }, artifact: pathOf },
  }) as { [key: string]: unknown };
}

/** A kind-side value back in the model: ArtifactRefs (hand-built inputs of tests and tools) become
 *  `$artifact` nodes; everything else is literal. */
export function fromKindValue(value: unknown): WithValue {
  if (isArtifactRef(value)) return { $artifact: value };
  if (Array.isArray(value)) return value.map(fromKindValue);
  if (typeof value === "object" && value !== null) return fromMapping(value, fromKindValue);
  return value as WithValue;
}
