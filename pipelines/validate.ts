// Stage 2, validate: the spec against schemas/pipeline.schema.json (all errors, not the first),
// and later each step's resolved `with` against its kind's own schema.
import { Ajv } from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import pipelineSchema from "../schemas/pipeline.schema.json" with { type: "json" };
import type { ErrorCode, SpecError } from "./errors.ts";
import type { DataPath, LoadedSpec } from "./load.ts";
import { compileCached } from "./compiled-validators.ts";
import { mapSchemaErrors } from "./schema-errors.ts";

function newAjv(useDefaults: boolean): Ajv {
  // verbose: errors carry the failing data and parent schema (for "did you mean" field names).
  // validateSchema off: our schemas are checked against the meta-schema by test/spec/schema.test.ts,
  // and compiling the meta-schema costs every command about 50 ms.
  // code.source: the generated code can be kept (compiled-validators.ts).
  return new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true, useDefaults, validateSchema: false, code: { source: true } });
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
const ajv = newAjv(false);
/** Kinds' schemas are the one place their defaults are written: validating `with` fills them in. */
const withAjv = newAjv(true);

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
    validate = compileCached(withAjv, schema, "with+defaults");
    withValidators.set(schema, validate);
  }
  return validate;
}

/** Validates one step's `with` (at `basePath` in the spec) against a kind's schema, filling the
 *  schema's defaults into `value` (which must be the caller's own copy). */
export function validateWith(schema: object, value: unknown, spec: LoadedSpec, basePath: DataPath): SpecError[] {
  const validate = withValidator(schema);
  if (validate(value)) return [];
  return mapSchemaErrors((validate.errors ?? []) as ErrorObject[], spec, basePath);
}

/** A copy of `value` with the schema's defaults filled in, as the compiler hands a step its `with`
 *  (for callers outside a spec: tests, tools); throws when `value` does not fit the schema. */
export function withDefaults<T>(schema: object, value: unknown): T {
  const copy = structuredClone(value ?? {});
  const validate = withValidator(schema);
  if (!validate(copy)) throw new Error(`invalid with: ${withAjv.errorsText(validate.errors)}`);
  return copy as T;
}
