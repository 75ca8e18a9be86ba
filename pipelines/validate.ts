// Stage 2, validate: the spec against schemas/pipeline.schema.json (all errors, not the first),
// and later each step's resolved `with` against its kind's own schema.
import { Ajv } from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import pipelineSchema from "../schemas/pipeline.schema.json" with { type: "json" };
import type { ErrorCode, SpecError } from "./errors.ts";
import type { DataPath, LoadedSpec } from "./load.ts";
import { mapSchemaErrors } from "./schema-errors.ts";

function newAjv(): Ajv {
  // verbose: errors carry the failing data and parent schema (for "did you mean" field names).
  return new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
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
  pipelineValidator ??= ajv.compile(compilerSchema());
  if (pipelineValidator(spec.data)) return [];
  return mapSchemaErrors((pipelineValidator.errors ?? []) as ErrorObject[], spec, [], classifyPipeline);
}

/** Validates one step's `with` (at `basePath` in the spec) against a kind's schema. */
export function validateWith(schema: object, value: unknown, spec: LoadedSpec, basePath: DataPath): SpecError[] {
  let validate = withValidators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    withValidators.set(schema, validate);
  }
  if (validate(value)) return [];
  return mapSchemaErrors((validate.errors ?? []) as ErrorObject[], spec, basePath);
}
