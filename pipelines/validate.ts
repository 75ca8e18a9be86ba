// Stage 2, validate: the spec against schemas/pipeline.schema.json (all errors, not the first),
// and later each step's parsed `with` against its kind's own schema, its defaults filled in.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import pipelineSchema from "../schemas/pipeline.schema.json" with { type: "json" };
import type { ErrorCode, SpecError } from "./errors.ts";
import type { DataPath, LoadedSpec } from "./load.ts";
import { compileCached } from "./compiled-validators.ts";
import { mapSchemaErrors } from "./schema-errors.ts";
import { fromKindValue, isWithNode, kindValue, specView, type WithMap, type WithValue } from "../contract/with-value.ts";

function newAjv(): Ajv {
  // verbose: errors carry the failing data and parent schema (for "did you mean" field names).
  // validateSchema off: our schemas are checked against the meta-schema by test/spec/schema.test.ts,
  // and compiling the meta-schema costs every command about 50 ms.
  // code.source: the generated code can be kept (compiled-validators.ts).
  return new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true, validateSchema: false, code: { source: true } });
}

/** The pipeline schema minus its editor-only per-kind `with` rules: the compiler validates `with`
 *  itself, after params and matrix values are substituted, against whatever registry it is given. */
function compilerSchema(): object {
  const copy = structuredClone(pipelineSchema) as { definitions: { [k: string]: unknown } };
  copy.definitions["withByKind"] = {};
  return copy;
}

let pipelineValidator: ValidateFunction | undefined;
const withValidators = new WeakMap<object, ValidateFunction>();
const ajv = newAjv();

/** Matrix values have their own error code (empty lists, non-scalar values). */
function classifyPipeline(path: DataPath): ErrorCode | undefined {
  const inMatrix = path[0] === "matrix" || (path[0] === "steps" && path[2] === "matrix" && path.length >= 3);
  return inMatrix ? "E_MATRIX" : undefined;
}

export function validateSpec(spec: LoadedSpec): SpecError[] {
  pipelineValidator ??= compileCached(ajv, compilerSchema(), "pipeline");
  if (pipelineValidator(spec.data)) return [];
  return mapSchemaErrors((pipelineValidator.errors ?? []) as ErrorObject[], spec, [], classifyPipeline);
}

function withValidator(schema: object): ValidateFunction {
  let validate = withValidators.get(schema);
  if (!validate) {
    validate = compileCached(ajv, schema, "with");
    withValidators.set(schema, validate);
  }
  return validate;
}

/** Validates one step's `with` as its kind's schema reads it (`specView` of the model: references
 *  as their `${{ }}` text), at `basePath` in the spec. */
export function validateWith(schema: object, view: unknown, spec: LoadedSpec, basePath: DataPath): SpecError[] {
  const validate = withValidator(schema);
  if (validate(view)) return [];
  return mapSchemaErrors((validate.errors ?? []) as ErrorObject[], spec, basePath);
}

type SchemaNode = { properties?: { [k: string]: SchemaNode }; items?: SchemaNode; default?: unknown };

/**
 * `w` with the schema's defaults filled in where it has no value: the kind's schema is the one
 * place its defaults are written, and the plan, the cache key and the step all see them. Like
 * ajv's useDefaults: `properties` with a `default`, recursively (into given mappings and into
 * inserted defaults) and into `items`; references and other nodes are values, never entered.
 */
export function fillDefaults(schema: object, w: WithMap): WithMap {
  const fill = (s: SchemaNode, v: WithValue): WithValue => {
    if (Array.isArray(v)) return s.items ? v.map((x) => fill(s.items!, x)) : v;
    if (typeof v !== "object" || v === null || isWithNode(v) || !s.properties) return v;
    const out: { [k: string]: WithValue } = { ...v };
    for (const [k, p] of Object.entries(s.properties)) {
      if (out[k] === undefined && p.default !== undefined) out[k] = structuredClone(p.default) as WithValue;
      if (out[k] !== undefined) out[k] = fill(p, out[k]!);
    }
    return out;
  };
  return fill(schema as SchemaNode, w) as WithMap;
}

/** A copy of plain `value` with the schema's defaults filled in, as the compiler hands a step its
 *  `with` (for callers outside a spec: tests, tools); throws when `value` does not fit the schema. */
export function withDefaults<T>(schema: object, value: unknown): T {
  const filled = fillDefaults(schema, fromKindValue(value ?? {}) as WithMap);
  const validate = withValidator(schema);
  if (!validate(specView(filled))) throw new Error(`invalid with: ${ajv.errorsText(validate.errors)}`);
  return kindValue(filled, (a) => a.uri) as T;
}
