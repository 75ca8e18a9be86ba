// The prepare-data `with` schema: valid draft-07 under the compiler's strict Ajv settings, its
// defaults (read by options.ts) form a valid `with`, and the TypeScript field lists match it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Ajv } from "ajv";
import schema from "../../activities/prepare-data/schema.json" with { type: "json" };
import { OPTION_FIELDS, resolveOptions } from "../../activities/mmada/data/options.ts";

// The same options as pipelines/validate.ts, so strict-mode problems show up here first.
const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
const validate = ajv.compile(schema);

test("an empty `with` is valid and every default fills in", () => {
  assert.equal(validate({}), true);
  const { options, errors } = resolveOptions({});
  assert.deepEqual(errors, []);
  assert.equal(validate(options), true, JSON.stringify(validate.errors));
  assert.deepEqual(options.digits, { train: 8000, val: 1000, test: 1000 });
  assert.deepEqual(options.counts.cot, { train: 4000, val: 200, test: 500 });
  assert.equal(options.onBadRecord, "skip");
  assert.equal(options.text, undefined);
});

test("given values win over defaults, including inside nested objects", () => {
  const { options } = resolveOptions({ seed: 7, digits: { val: 3 }, counts: { vqa: { test: 9 } }, arithmetic: { maxOperand: 99 } });
  assert.equal(options.seed, 7);
  assert.deepEqual(options.digits, { train: 8000, val: 3, test: 1000 });
  assert.deepEqual(options.counts.vqa, { train: 4000, val: 200, test: 9 });
  assert.equal(options.arithmetic.maxOperand, 99);
  assert.equal(options.arithmetic.minOperand, 0);
});

test("the schema rejects unknown fields and bad values", () => {
  for (const bad of [{ sede: 1 }, { onBadRecord: "ignore" }, { digits: { train: 0 } }, { counts: { lm: { dev: 1 } } }, { arithmetic: { operators: ["/"] } }]) {
    assert.equal(validate(bad), false, JSON.stringify(bad));
  }
});

test("every field has a description", () => {
  const missing: string[] = [];
  const walk = (node: { [k: string]: unknown }, at: string) => {
    for (const [name, sub] of Object.entries((node["properties"] ?? {}) as { [k: string]: { [k: string]: unknown } })) {
      if (typeof sub["description"] !== "string") missing.push(`${at}${name}`);
      walk(sub, `${at}${name}.`);
    }
  };
  walk(schema as { [k: string]: unknown }, "");
  for (const [name, def] of Object.entries(schema.definitions)) walk(def as { [k: string]: unknown }, `definitions.${name}.`);
  assert.deepEqual(missing, []);
});

test("options.ts field lists match the schema", () => {
  assert.deepEqual(Object.keys(schema.properties).sort(), [...OPTION_FIELDS.top].sort());
  assert.deepEqual(Object.keys(schema.properties.arithmetic.properties).sort(), [...OPTION_FIELDS.arithmetic].sort());
  assert.deepEqual(Object.keys(schema.properties.counts.properties).sort(), [...OPTION_FIELDS.tasks].sort());
  assert.deepEqual(Object.keys(schema.definitions.taskCounts.properties).sort(), [...OPTION_FIELDS.splits].sort());
  assert.deepEqual(Object.keys(schema.definitions.digitSizes.properties).sort(), [...OPTION_FIELDS.splits].sort());
});

test("cross-field rules are reported with the fields to change", () => {
  const { errors } = resolveOptions({ arithmetic: { minOps: 3, maxOps: 1, minOperand: 5, maxOperand: 2 }, images: "imgs" });
  assert.equal(errors.length, 3);
  assert.match(errors[0]!, /arithmetic\.maxOps \(1\) is below arithmetic\.minOps \(3\)/);
  assert.match(errors[1]!, /arithmetic\.maxOperand \(2\) is below arithmetic\.minOperand \(5\)/);
  assert.match(errors[2]!, /`images` and `captions` go together/);
});
