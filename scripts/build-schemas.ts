// Writes schemas/steps/<kind>.schema.json from each kind's schema (the registry's
// `KINDS[name].definition.schema`), for editors: the pipeline schema's per-kind `with` rules point
// at these files. The TypeScript schemas are the source; test/spec/schema.test.ts fails when these
// files are stale, test/spec/editor-schemas.test.ts reads every shipped spec through them.
//   npm run build:schemas
//
// An editor reads the spec as written, so wherever the compiler would substitute an expression the
// editor file also accepts a `${{ }}` string (`acceptExpressions`); the compiler itself still
// validates the resolved value against the kind's own, unchanged schema (pipelines/validate.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KINDS } from "../activities/registry.ts";
import { HAS_EXPRESSION, WHOLE_EXPRESSION } from "../contract/expressions.ts";
import { PROJECT_ROOT } from "../engine/project.ts";

export const EDITOR_SCHEMA_DIR = join(PROJECT_ROOT, "schemas", "steps");

type Schema = { [k: string]: unknown };

/** The definitions every editor file gets; values point at them with `$ref`. */
export const EXPRESSION_DEFINITIONS: { [name: string]: Schema } = {
  expression: {
    description: "One ${{ params.NAME }}, ${{ matrix.KEY }} or ${{ steps.ID.outputs.NAME }} expression, which keeps the referenced value's type. The compiler checks the value it resolves to against this field's type.",
    type: "string",
    pattern: WHOLE_EXPRESSION,
  },
  template: {
    description: "A string holding ${{ params.NAME }}, ${{ matrix.KEY }} or ${{ steps.ID.outputs.NAME }}: params and matrix values are substituted into it. The compiler checks the resulting string against this field's rules.",
    type: "string",
    pattern: HAS_EXPRESSION,
  },
};

/** Keywords editors show (hover text, completion defaults): kept on the field itself, never moved
 *  inside the `anyOf` that adds the expression alternative. */
const ANNOTATIONS = ["title", "description", "markdownDescription", "$comment", "default", "examples", "deprecated", "readOnly", "writeOnly"];
/** Keywords whose subschemas constrain the same value (their branches are not values of their own). */
const SAME_VALUE = ["allOf", "anyOf", "oneOf", "not", "if", "then", "else"];
/** Types a param or matrix value can have: a whole expression can stand where one of them fits. */
const FED_TYPES = ["string", "integer", "number", "boolean"];
/** The shortest expression, `${{}}`: a string field with a minLength up to this takes every one. */
const SHORTEST_EXPRESSION = 5;

const isSchema = (s: unknown): s is Schema => typeof s === "object" && s !== null && !Array.isArray(s);
const mapValues = (o: unknown, f: (s: unknown) => unknown) =>
  isSchema(o) ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)])) : o;

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** The types a schema admits by its own `type`, `enum` or `const`; undefined when it names none. */
function typesOf(s: Schema): string[] | undefined {
  if (typeof s["type"] === "string") return [s["type"]];
  if (Array.isArray(s["type"])) return s["type"] as string[];
  if ("const" in s) return [jsonType(s["const"])];
  if (Array.isArray(s["enum"])) return [...new Set(s["enum"].map(jsonType))];
  return undefined;
}

/** True when every `${{ }}` text already passes `s` (a plain string field, or no constraint). */
function takesAnyString(s: unknown): boolean {
  if (typeof s === "boolean") return s;
  if (!isSchema(s)) return false;
  const types = typesOf(s);
  if (types && !types.includes("string")) return false;
  if (["enum", "const", "pattern", "format", "maxLength", "$ref", ...SAME_VALUE].some((k) => k in s)) return false;
  return ((s["minLength"] as number | undefined) ?? 0) <= SHORTEST_EXPRESSION;
}

/** Which expression a value position needs to accept besides what it accepts already: `template`
 *  where a string fits (interpolation yields a string: a `stage` pattern, an enum of names),
 *  `expression` where only a scalar param or matrix value fits (integer, number, boolean), or where
 *  a list of free strings fits (a gather step's one reference to an expanded step becomes the list
 *  of its branches' paths); none for a mapping, which no expression yields, or a plain string. */
function alternativeFor(s: Schema): "expression" | "template" | undefined {
  if (takesAnyString(s)) return undefined;
  const types = typesOf(s);
  if (!types || types.includes("string")) return "template"; // only $ref/anyOf/...: stay lenient
  if (types.some((t) => FED_TYPES.includes(t))) return "expression";
  if (types.includes("array") && takesAnyString(s["items"])) return "expression";
  return undefined;
}

/** `s`'s subschemas transformed: the values it holds (properties, additionalProperties, items ...)
 *  as value positions, the branches of allOf/anyOf/... (the same value) by their own children. */
function withinSchema(s: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === "properties" || k === "patternProperties" || k === "definitions") out[k] = mapValues(v, k === "definitions" ? within : valuePosition);
    else if (k === "additionalProperties" || k === "additionalItems" || k === "contains") out[k] = valuePosition(v);
    else if (k === "items") out[k] = Array.isArray(v) ? v.map(valuePosition) : valuePosition(v);
    else if (k === "dependencies") out[k] = mapValues(v, (d) => (Array.isArray(d) ? d : within(d)));
    else if (SAME_VALUE.includes(k)) out[k] = Array.isArray(v) ? v.map(within) : within(v);
    else out[k] = structuredClone(v); // keywords and annotations (propertyNames: keys, never values)
  }
  return out;
}

const within = (s: unknown): unknown => (isSchema(s) ? withinSchema(s) : s);

/** A place where a spec writes a value: its children transformed, and, where the compiler could
 *  substitute an expression there, `anyOf: [<its own rules>, <the expression>]` with its
 *  annotations (description, default ...) kept beside the anyOf, where editors show them. */
function valuePosition(s: unknown): unknown {
  if (!isSchema(s)) return s;
  const inner = withinSchema(s);
  const alternative = alternativeFor(s);
  if (!alternative) return inner;
  const notes: Schema = {};
  const rules: Schema = {};
  for (const [k, v] of Object.entries(inner)) (ANNOTATIONS.includes(k) ? notes : rules)[k] = v;
  return { ...notes, anyOf: [rules, { $ref: `#/definitions/${alternative}` }] };
}

/**
 * The editor view of a kind's `with` schema: every value position also accepts the `${{ }}` text an
 * author writes there (see `alternativeFor`), through `#/definitions/expression` and
 * `#/definitions/template`. Pure: `schema` is not modified. The root stays a mapping (`with:`).
 */
export function acceptExpressions(schema: object): Schema {
  const out = withinSchema(schema as Schema);
  const own = isSchema(out["definitions"]) ? out["definitions"] : {};
  const clash = Object.keys(EXPRESSION_DEFINITIONS).filter((k) => k in own);
  if (clash.length > 0) throw new Error(`the kind schema already defines ${clash.join(", ")}: rename it (the editor file adds its own)`);
  out["definitions"] = { ...own, ...structuredClone(EXPRESSION_DEFINITIONS) };
  return out;
}

/** The editor file of a kind's schema: draft-07, expressions accepted, pretty-printed. */
export function editorSchemaText(schema: object): string {
  return `${JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...acceptExpressions(schema) }, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(EDITOR_SCHEMA_DIR, { recursive: true });
  for (const [name, entry] of Object.entries(KINDS)) {
    writeFileSync(join(EDITOR_SCHEMA_DIR, `${name}.schema.json`), editorSchemaText(entry.definition.schema));
  }
  process.stdout.write(`wrote ${Object.keys(KINDS).length} schemas to schemas/steps/\n`);
}
