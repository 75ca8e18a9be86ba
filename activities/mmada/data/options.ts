// The `with` of a prepare-data step, with every default filled in. The schema
// (schemas/steps/prepare-data.schema.json) is the source of truth for fields AND defaults: the
// defaults are read from it here instead of being repeated, and test/data/schema.test.ts checks that
// the field lists below match the schema's, so the two cannot drift apart silently.
import schema from "../../prepare-data/schema.json" with { type: "json" };
import type { ArtifactRef } from "../../../contract/artifacts.ts";

export const SPLITS = ["train", "val", "test"] as const;
export type Split = (typeof SPLITS)[number];

export const TASKS = ["lm", "cot", "mmcot", "caption", "vqa", "t2i"] as const;
export type TaskName = (typeof TASKS)[number];

export type SplitSizes = { [s in Split]: number };

export type Operator = "+" | "-" | "*";

export interface ArithmeticOptions {
  minOps: number;
  maxOps: number;
  minOperand: number;
  maxOperand: number;
  operators: Operator[];
}

/** A brought file: an artifact (the engine stores project files) or a path (template substitution). */
export type ByoSource = ArtifactRef | string;

export interface PrepareDataOptions {
  seed: number;
  digits: SplitSizes;
  counts: { [t in TaskName]: SplitSizes };
  arithmetic: ArithmeticOptions;
  passageLength: number;
  maxSampleLength: number;
  text?: ByoSource;
  cot?: ByoSource;
  images?: ByoSource;
  captions?: ByoSource;
  onBadRecord: "skip" | "fail";
}

interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  default?: unknown;
  properties?: { [k: string]: SchemaNode };
}

function deref(node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const name = node.$ref.replace("#/definitions/", "");
  const target = (schema.definitions as { [k: string]: SchemaNode })[name];
  if (!target) throw new Error(`prepare-data schema: unresolved $ref ${node.$ref} (a bug in the schema file)`);
  return target;
}

/** Fills defaults for absent fields, recursing into nested objects (absent objects become {}). */
function fill(node: SchemaNode, value: unknown): unknown {
  const n = deref(node);
  if (!n.properties) return value === undefined ? structuredClone(n.default) : value;
  const given = (value ?? {}) as { [k: string]: unknown };
  const out: { [k: string]: unknown } = { ...given };
  for (const [key, sub] of Object.entries(n.properties)) {
    const filled = fill(sub, given[key]);
    if (filled !== undefined) out[key] = filled;
  }
  return out;
}

/**
 * `with` (already schema-valid: the compiler checked it) -> options with defaults. Cross-field rules
 * a schema cannot express are checked here with errors naming the fields.
 */
export function resolveOptions(w: unknown): { options: PrepareDataOptions; errors: string[] } {
  const options = fill(schema as SchemaNode, w) as PrepareDataOptions;
  const errors: string[] = [];
  const a = options.arithmetic;
  if (a.maxOps < a.minOps) errors.push(`arithmetic.maxOps (${a.maxOps}) is below arithmetic.minOps (${a.minOps}); raise maxOps or lower minOps`);
  if (a.maxOperand < a.minOperand) {
    errors.push(`arithmetic.maxOperand (${a.maxOperand}) is below arithmetic.minOperand (${a.minOperand}); raise maxOperand or lower minOperand`);
  }
  if ((options.images === undefined) !== (options.captions === undefined)) {
    errors.push("`images` and `captions` go together: give the PNG folder and its captions JSONL, or neither (then MNIST is used)");
  }
  return { options, errors };
}

/** Top-level and nested field names, for the drift test against the schema. */
export const OPTION_FIELDS = {
  top: ["seed", "digits", "counts", "arithmetic", "passageLength", "maxSampleLength", "text", "cot", "images", "captions", "onBadRecord"],
  arithmetic: ["minOps", "maxOps", "minOperand", "maxOperand", "operators"],
  splits: [...SPLITS],
  tasks: [...TASKS],
} as const;
