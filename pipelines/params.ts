// Typed params: check each default against its declaration, then apply `--set k=v` overrides
// (coerced to the param's type) and programmatic values (a resumed run's stored params).
import { didYouMean, own } from "./names.ts";
import { specError, type SpecError } from "./errors.ts";
import { type LoadedSpec, valuePos } from "./load.ts";
import type { RawParam, Scalar } from "./spec-types.ts";

export type ParamValues = { [name: string]: Scalar };
const SET_FILE = "--set";
/** Where typed values come from: the params a resumed run had. */
const GIVEN_FILE = "resumed params";

/** Why `v` is not a valid value of `p`, or undefined when it is. */
export function checkParamValue(p: RawParam, v: Scalar): string | undefined {
  const typeOk =
    p.type === "boolean" ? typeof v === "boolean"
    : p.type === "string" ? typeof v === "string"
    : p.type === "integer" ? typeof v === "number" && Number.isInteger(v)
    : typeof v === "number" && Number.isFinite(v);
  if (!typeOk) return `${JSON.stringify(v)} is not of type ${p.type}`;
  if (p.enum && !p.enum.some((x) => x === v)) return `${JSON.stringify(v)} is not one of ${p.enum.map((x) => JSON.stringify(x)).join(", ")}`;
  if (typeof v === "number" && p.minimum !== undefined && v < p.minimum) return `${v} is below the minimum ${p.minimum}`;
  if (typeof v === "number" && p.maximum !== undefined && v > p.maximum) return `${v} is above the maximum ${p.maximum}`;
  return undefined;
}

/** `--set` text -> a typed value, or undefined when it cannot be read as the param's type. */
export function coerceParam(p: RawParam, text: string): Scalar | undefined {
  switch (p.type) {
    case "string":
      return text;
    case "boolean":
      return text === "true" ? true : text === "false" ? false : undefined;
    case "integer":
      return /^[+-]?[0-9]+$/.test(text) ? Number(text) : undefined;
    case "number": {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n) ? n : undefined;
    }
  }
}

/** E_PARAM_DEFAULT for defaults (and enum entries) that contradict their declaration. */
export function checkParamDefaults(spec: LoadedSpec, params: { [name: string]: RawParam }): SpecError[] {
  const errors: SpecError[] = [];
  for (const [name, p] of Object.entries(params)) {
    const why = checkParamValue(p, p.default);
    if (why) {
      errors.push(specError("E_PARAM_DEFAULT", `default of param '${name}': ${why}`, spec.file, valuePos(spec, ["params", name, "default"]), "fix the default or the declaration"));
    }
    (p.enum ?? []).forEach((v, i) => {
      const bad = checkParamValue({ type: p.type, default: v }, v);
      if (bad) errors.push(specError("E_PARAM_DEFAULT", `enum of param '${name}': ${bad}`, spec.file, valuePos(spec, ["params", name, "enum", i])));
    });
    if ((p.minimum !== undefined || p.maximum !== undefined) && p.type !== "integer" && p.type !== "number") {
      errors.push(specError("E_PARAM_DEFAULT", `param '${name}' of type ${p.type} cannot have a minimum or maximum`, spec.file, valuePos(spec, ["params", name])));
    }
  }
  return errors;
}

/** Defaults, then typed values (a resumed run's stored params; strings are coerced like --set),
 *  then `--set k=v` strings, which win. */
export function resolveParams(
  params: { [name: string]: RawParam },
  set: string[] = [],
  given: { [name: string]: Scalar } = {},
): { values: ParamValues; errors: SpecError[] } {
  const values: ParamValues = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, p.default]));
  const errors: SpecError[] = [];
  const names = Object.keys(params);
  const apply = (name: string, raw: Scalar, shown: string, file: string) => {
    const p = own(params, name);
    if (!p) {
      const hint = didYouMean(name, names) ?? (names.length ? `params: ${names.join(", ")}` : "this pipeline declares no params");
      errors.push(specError("E_SET_UNKNOWN_PARAM", `unknown param '${name}' in '${shown}'`, file, undefined, hint));
      return;
    }
    const v = typeof raw === "string" ? coerceParam(p, raw) : raw;
    const why = v === undefined ? `'${raw}' is not ${p.type === "integer" ? "an" : "a"} ${p.type}${p.type === "boolean" ? " (write true or false)" : ""}` : checkParamValue(p, v);
    if (why !== undefined || v === undefined) {
      errors.push(specError("E_SET_BAD_VALUE", `bad value for param '${name}' in '${shown}': ${why}`, file));
      return;
    }
    values[name] = v;
  };
  for (const [name, v] of Object.entries(given)) apply(name, v, `${name}=${String(v)}`, GIVEN_FILE);
  for (const item of set) {
    const eq = item.indexOf("=");
    const name = eq < 0 ? "" : item.slice(0, eq).trim();
    if (eq < 0 || name === "") {
      errors.push(specError("E_SET_SYNTAX", `cannot read '${item}': expected NAME=VALUE`, SET_FILE, undefined, "e.g. --set fail=true"));
      continue;
    }
    apply(name, item.slice(eq + 1), item, SET_FILE);
  }
  return { values, errors };
}
