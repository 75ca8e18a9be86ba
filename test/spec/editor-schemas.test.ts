// The editor schemas (schemas/steps/*.schema.json, `acceptExpressions` in scripts/build-schemas.ts):
// every value a spec writes in `with` may be a `${{ }}` expression where the compiler would
// substitute one (a whole expression for numbers and booleans, a string with one in it for
// constrained strings), while a wrong literal stays an error, and the compiler keeps checking the
// resolved value against the kind's own schema. Every shipped spec is valid for an independent
// validator reading the published files as an editor does (python-jsonschema, Draft 7, relative
// `$ref` resolved by file URI: test/spec/validate_specs.py). Without python jsonschema
// (`bash scripts/install-test-tools.sh`) that part is skipped, visibly; MMADA_REQUIRE_JSONSCHEMA=1
// (CI) makes it a failure.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { Ajv } from "ajv";
import fc from "fast-check";
import { parse } from "yaml";
import { KINDS } from "../../activities/registry.ts";
import { PROJECT_ROOT } from "../../engine/project.ts";
import { findExpressions, isWholeExpression } from "../../contract/expressions.ts";
import { HAS_EXPRESSION, WHOLE_EXPRESSION } from "../../contract/expressions.ts";
import { acceptExpressions } from "../../scripts/build-schemas.ts";
import pipelineSchema from "../../schemas/pipeline.schema.json" with { type: "json" };
import { compile } from "./helpers.ts";

type Json = { [k: string]: unknown };
const PIPELINE_SCHEMA = join(PROJECT_ROOT, "schemas", "pipeline.schema.json");
const VALIDATOR = join(PROJECT_ROOT, "test", "spec", "validate_specs.py");
const JSONSCHEMA_SITE = join(PROJECT_ROOT, ".tools", "jsonschema", "site");

// ---- the transform --------------------------------------------------------------------------

const sample = {
  title: "sample step: with",
  type: "object",
  required: ["data"],
  additionalProperties: false,
  properties: {
    data: { description: "A path.", type: "string", minLength: 1 },
    steps: { description: "Optimizer steps.", type: "integer", minimum: 1, default: 100 },
    on: { type: "boolean", default: false },
    stage: { description: "Stage name.", type: "string", pattern: "^[a-z]+$" },
    split: { enum: ["test", "val"], default: "test" },
    sizes: { type: "array", items: { type: "integer", minimum: 1 }, default: [8] },
    files: { type: "array", items: { type: "string" } },
    lr: {
      description: "Schedule.",
      type: "object",
      additionalProperties: false,
      properties: { peak: { type: "number", exclusiveMinimum: 0 } },
      default: {},
    },
    weights: { type: "object", propertyNames: { pattern: "^[a-z]+$" }, additionalProperties: { type: "number" } },
  },
};

test("acceptExpressions: typed values gain an expression alternative; hover text stays on the field", () => {
  const before = structuredClone(sample);
  const out = acceptExpressions(sample) as Json & { properties: { [k: string]: Json }; definitions: Json };
  assert.deepEqual(sample, before, "the kind's schema (the compiler's) is not modified");
  const p = out.properties;
  const expr = { $ref: "#/definitions/expression" };
  const tmpl = { $ref: "#/definitions/template" };
  // numbers and booleans: exactly one expression; the annotations beside the anyOf, not in it
  assert.deepEqual(p["steps"], { description: "Optimizer steps.", default: 100, anyOf: [{ type: "integer", minimum: 1 }, expr] });
  assert.deepEqual(p["on"], { default: false, anyOf: [{ type: "boolean" }, expr] });
  // a free string already takes any expression text: unchanged
  assert.deepEqual(p["data"], sample.properties.data);
  // constrained strings: any string with an expression in it (params are interpolated into it)
  assert.deepEqual(p["stage"], { description: "Stage name.", anyOf: [{ type: "string", pattern: "^[a-z]+$" }, tmpl] });
  assert.deepEqual(p["split"], { default: "test", anyOf: [{ enum: ["test", "val"] }, tmpl] });
  // lists: each item; the list itself only where a gathered reference (a list of paths) fits it
  assert.deepEqual(p["sizes"], { type: "array", items: { anyOf: [{ type: "integer", minimum: 1 }, expr] }, default: [8] });
  assert.deepEqual(p["files"], { anyOf: [{ type: "array", items: { type: "string" } }, expr] });
  // mappings: no expression yields one; their values are value positions
  assert.deepEqual(p["lr"], { ...sample.properties.lr, properties: { peak: { anyOf: [{ type: "number", exclusiveMinimum: 0 }, expr] } } });
  assert.deepEqual((p["weights"] as Json)["additionalProperties"], { anyOf: [{ type: "number" }, expr] });
  assert.deepEqual((p["weights"] as Json)["propertyNames"], { pattern: "^[a-z]+$" }, "keys are never expressions");
  // the root stays the `with` mapping, its own keywords intact
  assert.equal(out["type"], "object");
  assert.equal(out["additionalProperties"], false);
  assert.deepEqual(out["required"], ["data"]);
  assert.deepEqual(Object.keys(out.definitions).sort(), ["expression", "template"]);
  assert.throws(() => acceptExpressions({ type: "object", definitions: { expression: {} } }), /already defines expression/);
});

test("acceptExpressions: oneOf, $ref and definitions keep working (the whole value gets the alternative)", () => {
  const schema = {
    type: "object",
    properties: {
      size: { oneOf: [{ type: "integer", minimum: 1 }, { enum: ["auto"] }] },
      mode: { $ref: "#/definitions/mode" },
    },
    definitions: { mode: { type: "object", properties: { k: { type: "integer" } } } },
  };
  const validate = strictAjv().compile(acceptExpressions(schema));
  for (const ok of [{ size: 3 }, { size: "auto" }, { size: "${{ params.n }}" }, { mode: { k: "${{ matrix.k }}" } }]) {
    assert.equal(validate(ok), true, `${JSON.stringify(ok)}: ${JSON.stringify(validate.errors)}`);
  }
  for (const bad of [{ size: 0 }, { size: "many" }, { mode: { k: "x" } }]) assert.equal(validate(bad), false, JSON.stringify(bad));
});

test("the expression patterns read `${{ }}` as the compiler does", () => {
  const whole = new RegExp(WHOLE_EXPRESSION);
  const has = new RegExp(HAS_EXPRESSION);
  const text = fc.array(fc.constantFrom("$", "{", "}", "${{", "}}", " ", "params.n", "x", "\n"), { maxLength: 12 }).map((a) => a.join(""));
  fc.assert(
    fc.property(text, (s) => {
      const found = findExpressions(s);
      // (an unclosed `${{` is the compiler's E_BAD_EXPRESSION, whatever surrounds it)
      const closed = found.filter((m) => m.text.endsWith("}}"));
      assert.equal(whole.test(s), isWholeExpression(s, found) && closed.length === 1, `whole: ${JSON.stringify(s)}`);
      assert.equal(has.test(s), closed.length > 0, `has: ${JSON.stringify(s)}`);
    }),
    { numRuns: 3000 },
  );
  for (const s of ["${{ params.seed }}", "${{ steps.a.outputs.b }}", "${{matrix.kl}}"]) assert.match(s, whole);
  for (const s of ["${{ a }}${{ b }}", "x${{ a }}", "${{ a }} ", "${{ a }}}", "${{ a", "many"]) assert.doesNotMatch(s, whole);
});

// ---- the published files, strict ajv and the compiler ---------------------------------------

function strictAjv(): Ajv {
  return new Ajv({ allErrors: true, allowUnionTypes: true, strict: true });
}

/** The published pipeline schema with its step files, as strict ajv reads them (cf. schema.test.ts). */
function editorAjv() {
  const ajv = strictAjv();
  for (const kind of Object.keys(KINDS)) {
    ajv.addSchema(JSON.parse(readFileSync(join(PROJECT_ROOT, "schemas", "steps", `${kind}.schema.json`), "utf8")), `steps/${kind}.schema.json`);
  }
  return ajv.compile(pipelineSchema);
}

/** A one-step spec around a train-classifier `with` (its `steps` is an integer field). */
function classifierSpec(w: Json): Json {
  return {
    name: "probe",
    params: { n: { type: "integer", default: 3 }, word: { type: "string", default: "many" } },
    steps: { clf: { uses: "train-classifier", with: { dataset: "data", ...w } } },
  };
}

/** Editor probes: a wrong literal stays wrong, an expression there is accepted. */
const PROBES: { name: string; data: Json; valid: boolean; at?: string }[] = [
  { name: "steps: 1500", data: classifierSpec({ steps: 1500 }), valid: true },
  { name: "steps: \"many\"", data: classifierSpec({ steps: "many" }), valid: false, at: "/steps/clf/with/steps" },
  { name: "steps: 0 (below minimum)", data: classifierSpec({ steps: 0 }), valid: false, at: "/steps/clf/with/steps" },
  { name: "steps: ${{ params.n }}", data: classifierSpec({ steps: "${{ params.n }}" }), valid: true },
  { name: "steps: n=${{ params.n }} (not one expression)", data: classifierSpec({ steps: "n=${{ params.n }}" }), valid: false, at: "/steps/clf/with/steps" },
  { name: "hidden: [64, ${{ params.n }}]", data: classifierSpec({ hidden: [64, "${{ params.n }}"] }), valid: true },
  { name: "hidden: ${{ params.n }} (a list from a scalar)", data: classifierSpec({ hidden: "${{ params.n }}" }), valid: false, at: "/steps/clf/with/hidden" },
  { name: "typo: stpes", data: classifierSpec({ stpes: "${{ params.n }}" }), valid: false, at: "/steps/clf/with" },
];

test("the published step schemas: strict ajv accepts expressions where values go and rejects wrong literals", () => {
  const validate = editorAjv();
  for (const p of PROBES) {
    assert.equal(validate(p.data), p.valid, `${p.name}: ${JSON.stringify(validate.errors)}`);
    if (p.at) assert.ok(validate.errors?.some((e) => e.instancePath === p.at), `${p.name}: no error at ${p.at}: ${JSON.stringify(validate.errors)}`);
  }
});

test("the compiler still checks the resolved value against the kind's own schema", () => {
  const yaml = (steps: string) =>
    "name: probe\nparams:\n  n: { type: integer, default: 3 }\n  word: { type: string, default: many }\nsteps:\n" +
    "  data: { uses: prepare-data }\n" +
    `  clf:\n    uses: train-classifier\n    with: { dataset: "\${{ steps.data.outputs.dataset }}", steps: ${steps} }\n`;
  assert.equal(compile(yaml('"${{ params.n }}"'), "probe.yaml").ok, true);
  for (const steps of ['"${{ params.word }}"', "many"]) {
    const r = compile(yaml(steps), "probe.yaml");
    assert.equal(r.ok, false, `steps: ${steps} compiled`);
    if (!r.ok) assert.ok(r.errors.some((e) => e.code === "E_TYPE" && e.line === 9), `steps: ${steps}: ${JSON.stringify(r.errors)}`);
  }
  for (const entry of Object.values(KINDS)) {
    assert.doesNotMatch(JSON.stringify(entry.definition.schema), /#\/definitions\/(expression|template)/, "the compiler's schemas take no expression text");
  }
});

// ---- python-jsonschema over every shipped spec ----------------------------------------------

function pythonEnv(): NodeJS.ProcessEnv {
  const path = [existsSync(JSONSCHEMA_SITE) ? JSONSCHEMA_SITE : undefined, process.env["PYTHONPATH"]].filter(Boolean).join(delimiter);
  return { ...process.env, PYTHONPATH: path };
}

/** undefined when python jsonschema can be imported; else why not. */
function jsonschemaMissing(): string | undefined {
  const r = spawnSync("python3", ["-c", "import jsonschema, referencing"], { env: pythonEnv(), encoding: "utf8" });
  if (r.status === 0) return undefined;
  return `python3 cannot import jsonschema and referencing (${(r.error?.message ?? r.stderr).trim().split("\n").pop()}); bash scripts/install-test-tools.sh installs them into .tools/jsonschema`;
}

const missing = jsonschemaMissing();
const required = process.env["MMADA_REQUIRE_JSONSCHEMA"] === "1";
const skip = missing !== undefined && !required ? missing : false;

type PyResult = { schemas: string[]; results: { name: string; errors: { path: string; message: string }[] }[] };

function pythonValidate(documents: { name: string; data: unknown }[]): PyResult {
  if (missing) assert.fail(`MMADA_REQUIRE_JSONSCHEMA=1 but ${missing}`);
  const r = spawnSync("python3", [VALIDATOR], { input: JSON.stringify({ schema: PIPELINE_SCHEMA, documents }), env: pythonEnv(), encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `validate_specs.py exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PyResult;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

const MODELINE = /^# yaml-language-server: \$schema=(\S+)/;

/** Every shipped spec: pipelines/*.yaml, pipelines/examples/*.yaml, and the test specs under
 *  test/e2e that name the schema for editors. */
function shippedSpecs(): string[] {
  const at = (d: string) => join(PROJECT_ROOT, d);
  const inDir = (d: string) => readdirSync(at(d)).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(at(d), f));
  const e2e = yamlFiles(at("test/e2e")).filter((f) => MODELINE.test(readFileSync(f, "utf8")));
  return [...inDir("pipelines"), ...inDir("pipelines/examples"), ...e2e];
}

test("python-jsonschema, reading the published schemas as an editor does: every shipped spec is valid", { skip }, () => {
  const files = shippedSpecs();
  assert.ok(files.some((f) => f.endsWith("mmada-tiny.yaml")) && files.some((f) => f.endsWith("mmada-sweep.yaml")), files.join(", "));
  const documents = files.map((file) => {
    const text = readFileSync(file, "utf8");
    const line = MODELINE.exec(text);
    if (line) assert.equal(resolve(dirname(file), line[1]!), PIPELINE_SCHEMA, `${relative(PROJECT_ROOT, file)}: its yaml-language-server line names another schema`);
    // as the compiler reads YAML (merge keys included: mmada-tiny.yaml's `<<: *eval`)
    return { name: relative(PROJECT_ROOT, file), data: parse(text, { merge: true }) as unknown };
  });
  const out = pythonValidate(documents);
  for (const kind of Object.keys(KINDS)) {
    assert.ok(out.schemas.some((u) => u.endsWith(`/schemas/steps/${kind}.schema.json`)), `steps/${kind}.schema.json was never reached by $ref`);
  }
  const invalid = out.results.filter((r) => r.errors.length > 0).map((r) => `${r.name}:\n${r.errors.map((e) => `  ${e.path}: ${e.message}`).join("\n")}`);
  assert.deepEqual(invalid, [], `specs an editor marks invalid:\n${invalid.join("\n")}`);
  assert.equal(out.results.length, files.length);
});

test("python-jsonschema: a wrong literal is still an error, an expression there is not", { skip }, () => {
  const out = pythonValidate(PROBES.map((p) => ({ name: p.name, data: p.data })));
  for (const [i, p] of PROBES.entries()) {
    const errors = out.results[i]!.errors;
    assert.equal(errors.length === 0, p.valid, `${p.name}: ${JSON.stringify(errors)}`);
    if (p.at) assert.ok(errors.some((e) => e.path === p.at), `${p.name}: no error at ${p.at}: ${JSON.stringify(errors)}`);
  }
});
