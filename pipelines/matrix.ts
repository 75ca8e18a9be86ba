// Matrix expansion. Each step gets a set of matrix keys: those it references (${{ matrix.k }}),
// its own `matrix:` keys, and every key of the (non-gather) steps it depends on, so branches
// propagate downstream with the same combination. A step is expanded over the cartesian product
// of its keys' values; with no keys it runs once and is shared by all branches. A `gather: true`
// step has no keys: it runs once and depends on every branch of its dependencies.
import { sitePos, type StepInfo } from "./analyze.ts";
import { didYouMean } from "./names.ts";
import { specError, type SpecError } from "./errors.ts";
import { keyPos, type LoadedSpec } from "./load.ts";
import type { RawMatrix, RawSpec, Scalar } from "./spec-types.ts";

export type Combo = { [key: string]: Scalar };

/** Where each matrix key's values come from: the pipeline matrix, or the one step that owns it. */
export interface MatrixDomain {
  values: Map<string, Scalar[]>;
  /** Step-level keys -> the step that declares them. */
  owner: Map<string, string>;
}

/** Collects all matrix keys; a step-level key must be unique in the pipeline (else the values of a
 *  step depending on two steps with the same key would be ambiguous). */
export function matrixDomain(spec: LoadedSpec, raw: RawSpec): { domain: MatrixDomain; errors: SpecError[] } {
  const errors: SpecError[] = [];
  const values = new Map<string, Scalar[]>(Object.entries(raw.matrix ?? {}));
  const owner = new Map<string, string>();
  for (const [id, step] of Object.entries(raw.steps)) {
    if (step.gather && step.matrix) {
      errors.push(specError("E_MATRIX", `step '${id}' is a gather step and cannot have its own matrix`, spec.file, keyPos(spec, ["steps", id, "matrix"]), "remove gather or the matrix"));
      continue;
    }
    for (const [key, list] of Object.entries(step.matrix ?? ({} as RawMatrix))) {
      const other = owner.get(key);
      if (values.has(key)) {
        const where = other === undefined ? "the pipeline matrix" : `step '${other}'`;
        errors.push(specError("E_MATRIX", `matrix key '${key}' of step '${id}' is already defined by ${where}`, spec.file, keyPos(spec, ["steps", id, "matrix", key]), "rename one of the keys"));
        continue;
      }
      values.set(key, list);
      owner.set(key, id);
    }
  }
  return { domain: { values, owner }, errors };
}

/** Matrix keys of each step, computed in topological order (`order` lists dependencies first). */
export function stepKeys(
  spec: LoadedSpec,
  order: string[],
  steps: Map<string, StepInfo>,
  domain: MatrixDomain,
): { keys: Map<string, string[]>; errors: SpecError[] } {
  const errors: SpecError[] = [];
  const keys = new Map<string, string[]>();
  for (const id of order) {
    const info = steps.get(id);
    if (!info) continue;
    if (info.gather) {
      for (const use of info.matrixUses) {
        errors.push(specError("E_MATRIX", `gather step '${id}' runs once, so 'matrix.${use.key}' has no value there`, spec.file, sitePos(spec, use), "remove gather: true, or stop referring to the matrix"));
      }
      keys.set(id, []);
      continue;
    }
    const set = new Set<string>(Object.keys(info.raw.matrix ?? {}));
    for (const dep of info.deps.keys()) for (const k of keys.get(dep) ?? []) set.add(k);
    for (const use of info.matrixUses) {
      const own = domain.values.has(use.key) && (!domain.owner.has(use.key) || set.has(use.key));
      if (own) {
        set.add(use.key);
        continue;
      }
      const reachable = domainKeysVisible(domain, set);
      const owner = domain.owner.get(use.key);
      const msg = owner === undefined
        ? `unknown matrix key '${use.key}'`
        : `matrix key '${use.key}' belongs to step '${owner}', which step '${id}' does not depend on`;
      const hint = owner === undefined ? (didYouMean(use.key, [...domain.values.keys()]) ?? hintKeys(reachable)) : `add '${owner}' to needs`;
      errors.push(specError("E_UNKNOWN_MATRIX_KEY", msg, spec.file, sitePos(spec, use), hint));
    }
    keys.set(id, [...set].sort());
  }
  return { keys, errors };
}

function domainKeysVisible(domain: MatrixDomain, inherited: Set<string>): string[] {
  return [...domain.values.keys()].filter((k) => !domain.owner.has(k) || inherited.has(k)).sort();
}

function hintKeys(keys: string[]): string {
  return keys.length ? `matrix keys here: ${keys.join(", ")}` : "declare it under matrix:";
}

/** Cartesian product over sorted keys; the last key varies fastest. No keys -> one empty combo. */
export function combinations(keys: string[], domain: MatrixDomain): Combo[] {
  let combos: Combo[] = [{}];
  for (const k of [...keys].sort()) {
    const values = domain.values.get(k) ?? [];
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  }
  return combos;
}

/** `train[kl=0.01,seed=1]` (keys sorted); the bare id when there are no keys. */
export function branchId(specId: string, combo: Combo): string {
  const keys = Object.keys(combo).sort();
  if (keys.length === 0) return specId;
  return `${specId}[${keys.map((k) => `${k}=${String(combo[k])}`).join(",")}]`;
}

/** The part of `combo` that concerns a step with `keys`. */
export function restrict(combo: Combo, keys: string[]): Combo {
  return Object.fromEntries(keys.filter((k) => Object.hasOwn(combo, k)).map((k) => [k, combo[k] as Scalar]));
}
