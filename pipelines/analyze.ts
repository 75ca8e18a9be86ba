// Stage 3a, resolve names: scan every step for its kind, its `needs` and the `${{ }}` expressions
// in its `with`, reporting unknown kinds, steps and params and malformed expressions. The result
// (dependencies, references, matrix uses, each with its position) feeds matrix expansion and linking.
import type { StepKindInfo } from "../contract/step-kind.ts";
import { keptLiteral } from "../contract/with-value.ts";
import { didYouMean, own } from "./names.ts";
import { type Position, specError, type SpecError } from "./errors.ts";
import { type DataPath, type LoadedSpec, textPos, valuePos } from "./load.ts";
import type { RawSpec, RawStep } from "./spec-types.ts";
import { EXPRESSION_ROOTS, type ExprMatch, findExpressions as parse } from "../contract/expressions.ts";

/** One expression occurrence, with enough to point at it in the file. */
export interface ExprSite {
  /** Path of the string in the spec (["steps", id, "with", ...]). */
  path: DataPath;
  text: string;
  occurrence: number;
}

export interface RefUse extends ExprSite {
  step: string;
  output: string;
  /** The top-level `with` field the reference sits in (kind inputs are declared per field). */
  field: string;
}

export interface MatrixUse extends ExprSite {
  key: string;
}

export interface StepInfo {
  id: string;
  raw: RawStep;
  /** Undefined when `uses` names no registered kind. */
  kind?: StepKindInfo;
  /** Spec-level dependencies (existing steps only) -> where the first one is written. */
  deps: Map<string, Position>;
  refs: RefUse[];
  matrixUses: MatrixUse[];
  gather: boolean;
}

export function sitePos(spec: LoadedSpec, site: ExprSite): Position {
  return textPos(spec, site.path, site.text, site.occurrence);
}

/** Calls `fn` for every string inside `value` that the compiler reads expressions in: keys are names,
 *  not values, and a mapping kept literally (contract/with-value.ts keptLiteral) is not read. */
function forEachString(value: unknown, path: DataPath, fn: (s: string, path: DataPath) => void): void {
  if (typeof value === "string") fn(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => forEachString(v, [...path, i], fn));
  else if (typeof value === "object" && value !== null && !keptLiteral(value)) {
    for (const [k, v] of Object.entries(value)) forEachString(v, [...path, k], fn);
  }
}

export function analyzeSteps(
  spec: LoadedSpec,
  raw: RawSpec,
  kinds: Record<string, StepKindInfo>,
): { steps: Map<string, StepInfo>; errors: SpecError[] } {
  const errors: SpecError[] = [];
  const ids = Object.keys(raw.steps);
  const paramNames = Object.keys(raw.params ?? {});
  const steps = new Map<string, StepInfo>();
  for (const id of ids) {
    const step = raw.steps[id] as RawStep;
    const base: DataPath = ["steps", id];
    const info: StepInfo = { id, raw: step, kind: own(kinds, step.uses), deps: new Map(), refs: [], matrixUses: [], gather: step.gather === true };
    if (!info.kind) {
      const known = Object.keys(kinds).sort();
      errors.push(specError("E_UNKNOWN_KIND", `step '${id}' uses unknown step kind '${step.uses}'`, spec.file, valuePos(spec, [...base, "uses"]), didYouMean(step.uses, known) ?? `known kinds: ${known.join(", ")}`));
    }
    const addDep = (dep: string, pos: Position) => {
      if (!info.deps.has(dep)) info.deps.set(dep, pos);
    };
    (step.needs ?? []).forEach((dep, i) => {
      const pos = valuePos(spec, [...base, "needs", i]);
      if (own(raw.steps, dep)) addDep(dep, pos);
      else errors.push(specError("E_UNKNOWN_STEP", `step '${id}' needs unknown step '${dep}'`, spec.file, pos, didYouMean(dep, ids) ?? `steps: ${ids.join(", ")}`));
    });
    forEachString(step.with ?? {}, [...base, "with"], (s, path) => {
      for (const m of findExpressions(s)) checkExpression(m, path);
    });
    function checkExpression(m: ExprMatch, path: DataPath): void {
      const site: ExprSite = { path, text: m.text, occurrence: m.occurrence };
      const pos = sitePos(spec, site);
      const e = m.expr;
      if (!e) {
        errors.push(specError("E_BAD_EXPRESSION", m.error?.message ?? "bad expression", spec.file, pos, m.error?.hint));
      } else if (e.kind === "param") {
        if (!paramNames.includes(e.name)) {
          const hint = didYouMean(e.name, paramNames) ?? (paramNames.length ? `params: ${paramNames.join(", ")}` : "declare it under params:");
          errors.push(specError("E_UNKNOWN_PARAM", `unknown param '${e.name}'`, spec.file, pos, hint));
        }
      } else if (e.kind === "matrix") {
        info.matrixUses.push({ ...site, key: e.key });
      } else if (!own(raw.steps, e.step)) {
        errors.push(specError("E_UNKNOWN_STEP", `step '${id}' refers to unknown step '${e.step}'`, spec.file, pos, didYouMean(e.step, ids) ?? `steps: ${ids.join(", ")}`));
      } else {
        info.refs.push({ ...site, step: e.step, output: e.output, field: String(path[3]) });
        addDep(e.step, pos);
      }
    }
    steps.set(id, info);
  }
  return { steps, errors };
}

/** The expressions of one string as the grammar (contract/expressions.ts) finds them, with a "did you
 *  mean" hint for a misspelt root (`${{ param.x }}` -> params). */
function findExpressions(s: string): ExprMatch[] {
  return parse(s).map((m) => {
    const root = m.error?.root;
    if (!root || (EXPRESSION_ROOTS as readonly string[]).includes(root)) return m;
    const hint = didYouMean(root, [...EXPRESSION_ROOTS]);
    return hint ? { ...m, error: { ...m.error!, hint } } : m;
  });
}
