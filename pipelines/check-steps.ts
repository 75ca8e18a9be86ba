// Stage 3c, check each step against its kind: `with` against the kind's schema (per matrix
// branch, after substitution), declared outputs, paths that must stay inside their root, input
// files (`$file` nodes) that must exist, and references to outputs that do not exist or have the
// wrong kind.
import type { StepKindInfo, UpstreamStep, WithObject } from "../contract/step-kind.ts";
import { sitePos, type StepInfo } from "./analyze.ts";
import { specView, type WithMap, withNodes } from "../contract/with-value.ts";
import { didYouMean, own } from "./names.ts";
import { dedupeErrors, specError, type SpecError } from "./errors.ts";
import { type DataPath, type LoadedSpec, valuePos } from "./load.ts";
import { validateWith } from "./validate.ts";

/** A path is unsafe when absolute (or home-relative) or when its `..` parts climb above the root. */
export function escapesRoot(p: string): boolean {
  if (/^([/\\~]|[A-Za-z]:[/\\]?)/.test(p)) return true;
  let depth = 0;
  for (const part of p.split(/[/\\]+/)) {
    if (part === "..") depth -= 1;
    else if (part !== "." && part !== "") depth += 1;
    if (depth < 0) return true;
  }
  return false;
}

export interface BranchWith {
  /** The branch's plan id (`train[kl=0.01]`), named in errors that only some branches have. */
  id: string;
  /** The branch's `with` (contract/with-value.ts), the kind's defaults filled, references by spec id. */
  with: WithMap;
  /** The step whose output a top-level `with` field names, for the kind's semantic check. */
  upstream(field: string): UpstreamStep | undefined;
}

/** Branches listed in a message before "and N more". */
const MAX_NAMED_BRANCHES = 3;

/** Errors found per branch -> each error once; one that not every branch has says which have it
 *  (a matrix value is often the cause, and the line alone cannot show which value). */
function nameBranches(perBranch: { id: string; errors: SpecError[] }[]): SpecError[] {
  const found = new Map<string, { error: SpecError; ids: string[] }>();
  for (const { id, errors } of perBranch) {
    for (const e of dedupeErrors(errors)) {
      const key = `${e.code}\u0000${e.line}\u0000${e.col}\u0000${e.message}`;
      const entry = found.get(key) ?? { error: e, ids: [] };
      entry.ids.push(id);
      found.set(key, entry);
    }
  }
  return [...found.values()].map(({ error, ids }) => {
    if (ids.length === perBranch.length) return error;
    const shown = ids.slice(0, MAX_NAMED_BRANCHES).join(", ");
    const more = ids.length > MAX_NAMED_BRANCHES ? ` and ${ids.length - MAX_NAMED_BRANCHES} more` : "";
    return { ...error, message: `${error.message}, in branch${ids.length > 1 ? "es" : ""} ${shown}${more}` };
  });
}

/** Validates every branch of a step; returns its declared outputs (from the first valid branch),
 *  or undefined when `with` is invalid (then references to its outputs are not checked). */
export function checkStepBranches(
  spec: LoadedSpec,
  info: StepInfo,
  kind: StepKindInfo,
  branches: BranchWith[],
  fileExists: ((path: string) => boolean) | undefined,
): { outputs?: { [name: string]: string }; errors: SpecError[] } {
  const base: DataPath = ["steps", info.id, "with"];
  const perBranch: { id: string; errors: SpecError[] }[] = [];
  let outputs: { [name: string]: string } | undefined;
  let allValid = true;
  for (const b of branches) {
    const errors: SpecError[] = [];
    perBranch.push({ id: b.id, errors });
    // the kind reads its `with` as the spec wrote it: references as their `${{ }}` text
    const view = specView(b.with) as WithObject;
    const schemaErrors = validateWith(kind.schema, view, spec, base);
    errors.push(...schemaErrors);
    if (schemaErrors.length) {
      allValid = false;
      continue;
    }
    outputs ??= kind.outputs(view);
    for (const p of kind.check?.(view, { upstream: b.upstream }) ?? []) {
      errors.push(specError("E_WITH_RULE", `step '${info.id}': ${p.message}`, spec.file, valuePos(spec, [...base, ...p.at]), p.hint));
    }
    for (const use of kind.outputPaths?.(view) ?? []) {
      if (escapesRoot(use.path)) {
        errors.push(specError("E_PATH_ESCAPE", `output path '${use.path}' of step '${info.id}' must stay inside $MMADA_OUT`, spec.file, valuePos(spec, [...base, ...use.at]), "use a relative path without '..'"));
      }
    }
    for (const { node, path } of withNodes(b.with)) {
      if (!("$file" in node)) continue;
      const file = node.$file;
      const at: DataPath = [...base, ...path];
      if (escapesRoot(file)) {
        errors.push(specError("E_PATH_ESCAPE", `input file '${file}' of step '${info.id}' must be a path inside the project`, spec.file, valuePos(spec, at), "use a path relative to the project root, without '..'"));
      } else if (fileExists && !fileExists(file)) {
        errors.push(specError("E_FILE_NOT_FOUND", `input file '${file}' of step '${info.id}' does not exist`, spec.file, valuePos(spec, at), "paths are relative to the project root; create the file or fix the path"));
      }
    }
  }
  return { outputs: allValid ? outputs : undefined, errors: nameBranches(perBranch) };
}

/** E_UNKNOWN_OUTPUT and E_KIND_MISMATCH for every `${{ steps.x.outputs.y }}`. Steps whose outputs
 *  are unknown (invalid `with`, unknown kind) are skipped: their own errors are already reported. */
export function checkRefs(
  spec: LoadedSpec,
  steps: Map<string, StepInfo>,
  outputsOf: Map<string, { [name: string]: string }>,
): SpecError[] {
  const errors: SpecError[] = [];
  for (const info of steps.values()) {
    for (const ref of info.refs) {
      const outs = outputsOf.get(ref.step);
      if (!outs) continue;
      const names = Object.keys(outs);
      const actual = own(outs, ref.output);
      if (actual === undefined) {
        const hint = didYouMean(ref.output, names) ?? (names.length ? `outputs of '${ref.step}': ${names.join(", ")}` : `step '${ref.step}' declares no outputs`);
        errors.push(specError("E_UNKNOWN_OUTPUT", `step '${ref.step}' has no output '${ref.output}'`, spec.file, sitePos(spec, ref), hint));
        continue;
      }
      const expected = info.kind ? own(info.kind.inputs, ref.field) : undefined;
      if (expected !== undefined && expected !== "any" && expected !== actual) {
        errors.push(specError("E_KIND_MISMATCH", `'${ref.field}' of step '${info.id}' expects a ${expected}, but '${ref.step}.${ref.output}' is a ${actual}`, spec.file, sitePos(spec, ref), `give it an output of kind ${expected}`));
      }
    }
  }
  return errors;
}
