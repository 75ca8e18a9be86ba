// The prepare-data `with` schema: valid draft-07 under the compiler's strict Ajv settings, its
// defaults (filled by the compiler) form a valid `with`, and its cross-field rules name the fields.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { checkPrepareData, type PrepareDataWith, schema } from "../../activities/prepare-data/kind.ts";
import { withDefaults } from "../../pipelines/index.ts";

// The same options as pipelines/validate.ts, so strict-mode problems show up here first.
const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
const validate = ajv.compile(schema);
const filled = (w: object) => withDefaults<PrepareDataWith>(schema, w);

test("an empty `with` is valid and every default fills in", () => {
  assert.equal(validate({}), true);
  const options = filled({});
  assert.deepEqual(checkPrepareData(options), []);
  assert.equal(validate(options), true, JSON.stringify(validate.errors));
  assert.deepEqual(options.digits, { train: 8000, val: 1000, test: 1000 });
  assert.deepEqual(options.counts.cot, { train: 4000, val: 200, test: 500 });
  assert.equal(options.onBadRecord, "skip");
  assert.equal(options.text, undefined);
});

test("given values win over defaults, including inside nested objects", () => {
  const options = filled({ seed: 7, digits: { val: 3 }, counts: { vqa: { test: 9 } }, arithmetic: { maxOperand: 99 } });
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
  walk(schema as unknown as { [k: string]: unknown }, "");
  assert.deepEqual(missing, []);
});

test("cross-field rules are reported at the fields to change", () => {
  const problems = checkPrepareData(filled({ arithmetic: { minOps: 3, maxOps: 1, minOperand: 5, maxOperand: 2 }, images: "imgs" }));
  assert.deepEqual(problems.map((p) => p.at.join(".")), ["arithmetic.maxOps", "arithmetic.maxOperand", "images"]);
  assert.match(problems[0]!.message, /arithmetic\.maxOps \(1\) is below arithmetic\.minOps \(3\)/);
  assert.match(problems[1]!.message, /arithmetic\.maxOperand \(2\) is below arithmetic\.minOperand \(5\)/);
  assert.match(problems[2]!.message, /`images` and `captions` go together/);
});
