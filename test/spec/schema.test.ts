// The JSON Schemas: valid under strict ajv, the editor view (with per-kind `with` rules) works,
// the TypeScript spec types list the same fields as the schema, and the registry and the
// pipeline schema's per-kind rules agree.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { stepKinds } from "../../engine/kinds.ts";
import { editorSchemaText } from "../../scripts/build-schemas.ts";
import pipelineSchema from "../../schemas/pipeline.schema.json" with { type: "json" };
import { PARAM_FIELDS, RETRY_FIELDS, SEARCH_FIELDS, SPEC_FIELDS, STEP_FIELDS, STEP_SETTINGS_FIELDS } from "../../pipelines/spec-types.ts";
import { planOf, load } from "./helpers.ts";

type Json = { [k: string]: unknown };
const schema = pipelineSchema as unknown as Json & { definitions: { [k: string]: Json } };
const props = (s: Json | undefined) => Object.keys((s?.["properties"] as Json | undefined) ?? {}).sort();

/** What an editor sees: the full pipeline schema, step schemas resolved by relative $ref. */
function editorValidator() {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true });
  for (const kind of Object.keys(stepKinds())) {
    ajv.addSchema(JSON.parse(readFileSync(`schemas/steps/${kind}.schema.json`, "utf8")), `steps/${kind}.schema.json`);
  }
  return ajv.compile(pipelineSchema);
}

test("the pipeline schema is valid under strict ajv, with per-kind rules for `with`", () => {
  const validate = editorValidator();
  const spec = parse(readFileSync("pipelines/examples/diamond.yaml", "utf8"));
  assert.equal(validate(spec), true, JSON.stringify(validate.errors));
  spec.steps.a.with.rnu = "typo";
  assert.equal(validate(spec), false);
  assert.ok(validate.errors?.some((e) => e.instancePath === "/steps/a/with" && e.keyword === "additionalProperties"));
});

test("spec-types.ts lists exactly the schema's fields", () => {
  const d = schema.definitions;
  assert.deepEqual([...SPEC_FIELDS].sort(), props(schema));
  assert.deepEqual([...STEP_FIELDS].sort(), props(d["step"]));
  assert.deepEqual([...STEP_SETTINGS_FIELDS].sort(), props(d["stepSettings"]));
  assert.deepEqual([...PARAM_FIELDS].sort(), props(d["param"]));
  assert.deepEqual([...RETRY_FIELDS].sort(), props(d["retry"]));
  assert.deepEqual([...SEARCH_FIELDS].sort(), props(d["search"]));
});

test("every registered kind has a current editor schema file and an editor rule in withByKind", () => {
  const rules = JSON.stringify(schema.definitions["withByKind"]);
  for (const [name, kind] of Object.entries(stepKinds())) {
    assert.equal(kind.name, name);
    assert.match(kind.version, /^\S+$/);
    const file = `schemas/steps/${name}.schema.json`;
    assert.ok(existsSync(file), `${file} is missing: run npm run build:schemas`);
    assert.equal(readFileSync(file, "utf8"), editorSchemaText(kind.schema), `${file} is stale: run npm run build:schemas`);
    assert.ok(rules.includes(`{"const":"${name}"}`) && rules.includes(`"steps/${name}.schema.json"`), `no if/then for '${name}' in withByKind`);
  }
});

test("editors: withByKind lists exactly the registered kinds for `uses`; the compiler checks them itself", () => {
  const rules = (schema.definitions["withByKind"]?.["allOf"] ?? []) as Json[];
  const kinds = rules.map((r) => ((r["properties"] as Json | undefined)?.["uses"] as Json | undefined)?.["enum"]).find(Array.isArray);
  assert.deepEqual(kinds, Object.keys(stepKinds()));
  const uses = ((schema.definitions["step"]?.["properties"] as Json)["uses"] ?? {}) as Json;
  assert.equal(uses["pattern"], undefined, "a pattern would turn `uses: prepare_data` into E_PATTERN, without a did-you-mean");
});

test("command kind: outputs from with.outputs (file unless given), inputs accept any", () => {
  const cmd = stepKinds()["command"];
  assert.ok(cmd);
  assert.match(cmd.version, /^[0-9a-f]{16}$/);
  assert.deepEqual(cmd.inputs, { inputs: "any" });
  assert.deepEqual(cmd.outputs({ run: "x", outputs: { a: "a.txt", b: { path: "b" , kind: "dir" }, c: { path: "c" } } }), { a: "file", b: "dir", c: "file" });
  assert.deepEqual(cmd.outputs({ run: "x" }), {});
  assert.deepEqual(cmd.outputPaths?.({ run: "x", outputs: { a: "a.txt", b: { path: "b" } } }), [
    { at: ["outputs", "a"], path: "a.txt" },
    { at: ["outputs", "b", "path"], path: "b" },
  ]);
});

test("every example spec names the schema for editors and compiles", () => {
  const dir = "pipelines/examples";
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
  assert.ok(files.length >= 3);
  for (const f of files) {
    const text = readFileSync(`${dir}/${f}`, "utf8");
    assert.match(text, /^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/pipeline\.schema\.json\n/);
    planOf(load(`${dir}/${f}`));
  }
});
