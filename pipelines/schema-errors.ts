// Turns ajv's errors into SpecErrors: one code per failure kind, each placed on the YAML node
// that is wrong (the unknown key, the bad value, or the mapping that lacks a required field).
import type { ErrorObject } from "ajv";
import { didYouMean } from "./names.ts";
import { findExpressions } from "../contract/expressions.ts";
import { type ErrorCode, specError, type SpecError } from "./errors.ts";
import { type DataPath, keyPos, type LoadedSpec, valuePos } from "./load.ts";

/** `steps.b.with.outputs`, `steps.c.needs[0]`; "the spec" for the root. */
export function pathText(path: DataPath): string {
  if (path.length === 0) return "the spec";
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

/** ajv's JSON pointer (`/steps/b/with`) -> data path, numbers for array indexes. */
export function pointerToPath(pointer: string): DataPath {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

const RANGE_KEYWORDS = new Set([
  "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
  "minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties",
]);
const EMPTY_KEYWORDS = new Set(["minItems", "minLength", "minProperties"]);
/** Wrappers whose real cause is reported by the errors inside them. */
const WRAPPER_KEYWORDS = new Set(["if", "propertyNames", "allOf", "not"]);
const DURATION_HINT = "write durations like 500ms, 30s, 10m or 2h";
const EXPRESSION_HINT = "${{ }} expressions are only evaluated inside a step's with";

/** anyOf/oneOf: report the alternative that fits the value's type, not every alternative. */
export function collapseAlternatives(errors: ErrorObject[]): ErrorObject[] {
  let out = errors;
  for (const alt of errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf")) {
    const prefix = `${alt.schemaPath}/`;
    const inside = out.filter((e) => e.schemaPath.startsWith(prefix));
    const rest = out.filter((e) => e !== alt && !e.schemaPath.startsWith(prefix));
    const branches = new Map<string, ErrorObject[]>();
    for (const e of inside) {
      const b = e.schemaPath.slice(prefix.length).split("/")[0] ?? "";
      branches.set(b, [...(branches.get(b) ?? []), e]);
    }
    const rootType = (errs: ErrorObject[]) => errs.find((e) => e.keyword === "type" && e.instancePath === alt.instancePath);
    const fitting = [...branches.values()].filter((errs) => !rootType(errs)).sort((a, b) => a.length - b.length);
    if (fitting[0]) {
      out = [...rest, ...fitting[0]];
    } else {
      const types = [...branches.values()].map((errs) => String(rootType(errs)?.params["type"] ?? "")).filter(Boolean);
      out = [...rest, { ...alt, keyword: "type", params: { type: types.join(" or ") || "another type" } }];
    }
  }
  return out;
}

/** Maps ajv errors of `data` (found at `basePath` in the spec) to SpecErrors. */
export function mapSchemaErrors(
  raw: ErrorObject[],
  spec: LoadedSpec,
  basePath: DataPath,
  classify: (path: DataPath, e: ErrorObject) => ErrorCode | undefined = () => undefined,
): SpecError[] {
  const out: SpecError[] = [];
  for (const e of collapseAlternatives(raw)) {
    if (WRAPPER_KEYWORDS.has(e.keyword)) continue;
    const path = [...basePath, ...pointerToPath(e.instancePath)];
    const where = pathText(path);
    const p = e.params as { [k: string]: unknown };
    const isDuration = e.schemaPath.includes("/definitions/duration/");
    const fix = (c: ErrorCode): ErrorCode => (isDuration ? "E_BAD_DURATION" : classify(path, e) ?? c);
    // Errors about a mapping key (propertyNames) carry the key in `propertyName`.
    const propName = (e as ErrorObject & { propertyName?: string }).propertyName;
    if (propName !== undefined) {
      const pattern = String(p["pattern"] ?? "");
      out.push(specError("E_PATTERN", `invalid name '${propName}' in ${where}: must match ${pattern}`, spec.file, keyPos(spec, [...path, propName])));
      continue;
    }
    switch (e.keyword) {
      case "required": {
        const field = String(p["missingProperty"]);
        out.push(specError(fix("E_REQUIRED"), `${where} is missing required field '${field}'`, spec.file, valuePos(spec, path)));
        break;
      }
      case "additionalProperties": {
        const field = String(p["additionalProperty"]);
        const known = Object.keys((e.parentSchema?.["properties"] as object | undefined) ?? {});
        const hint = didYouMean(field, known) ?? (known.length ? `known fields: ${known.join(", ")}` : undefined);
        out.push(specError(fix("E_UNKNOWN_FIELD"), `unknown field '${field}' in ${where}`, spec.file, keyPos(spec, [...path, field]), hint));
        break;
      }
      case "type": {
        const code = fix("E_TYPE");
        const msg = `${where} must be ${String(p["type"]).replace(/,/g, " or ")}, got ${describe(e.data)}`;
        out.push(specError(code, msg, spec.file, valuePos(spec, path), code === "E_BAD_DURATION" ? DURATION_HINT : undefined));
        break;
      }
      case "enum":
      case "const": {
        const allowed = (p["allowedValues"] as unknown[] | undefined) ?? [p["allowedValue"]];
        const hint = typeof e.data === "string" ? didYouMean(e.data, allowed.map(String)) : undefined;
        const msg = `${where} must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}, got ${describe(e.data)}`;
        out.push(specError(fix("E_ENUM"), msg, spec.file, valuePos(spec, path), hint));
        break;
      }
      case "pattern":
      case "format": {
        const code = fix("E_PATTERN");
        const rule = code === "E_BAD_DURATION" ? "is not a duration" : `must match ${String(p["pattern"] ?? p["format"])}`;
        const hint = typeof e.data === "string" && findExpressions(e.data).length > 0 ? EXPRESSION_HINT : code === "E_BAD_DURATION" ? DURATION_HINT : undefined;
        out.push(specError(code, `${where} ${describe(e.data)} ${rule}`, spec.file, valuePos(spec, path), hint));
        break;
      }
      default: {
        if (EMPTY_KEYWORDS.has(e.keyword) && p["limit"] === 1) {
          out.push(specError(fix("E_RANGE"), `${where} must not be empty`, spec.file, valuePos(spec, path)));
          break;
        }
        const code = RANGE_KEYWORDS.has(e.keyword) ? fix("E_RANGE") : fix("E_TYPE");
        out.push(specError(code, `${where} ${e.message ?? "is invalid"}`, spec.file, valuePos(spec, path)));
      }
    }
  }
  return out;
}

/** A short description of a value for messages: `"abc"`, `3`, `a list`, `a mapping`, `nothing`. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v); // JSON.stringify says null
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
