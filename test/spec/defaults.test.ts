// The plan carries every effective value: the compiler fills each kind's schema defaults into the
// step's `with` (so the plan, the cache key and the step see the same numbers), keeps step outputs
// as references, and checks the rules a kind's schema cannot express at their line:col.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { withDefaults } from "../../pipelines/index.ts";
import { errorsOf, load, planOf, stepOf } from "./helpers.ts";

test("withDefaults fills absent fields and nested objects that default to {}, keeps given values, copies defaults", () => {
  const schema = {
    type: "object",
    properties: {
      a: { type: "integer", default: 3 },
      nested: { type: "object", default: {}, properties: { x: { type: "number", default: 1 }, y: { type: "number" } } },
      list: { type: "array", default: [1, 2] },
    },
  };
  const filled = withDefaults<Record<string, unknown>>(schema, { nested: { y: 2 } });
  assert.deepEqual(filled, { a: 3, nested: { x: 1, y: 2 }, list: [1, 2] });
  assert.deepEqual(withDefaults(schema, { a: 0, list: [] }), { a: 0, nested: { x: 1 }, list: [] });
  (filled.list as number[]).push(3);
  assert.deepEqual(withDefaults<Record<string, unknown>>(schema, {}).list, [1, 2]);
  assert.throws(() => withDefaults(schema, { a: "three" }), /invalid with: data\/a must be integer/);
});

test("the compiled plan holds the kind's defaults beside the written values and the references", () => {
  const plan = planOf(load("pipelines/mmada-tiny.yaml"));
  const w = stepOf(plan, "stage1").with as { [k: string]: unknown };
  assert.deepEqual(w["lr"], { peak: 0.001, warmup: 100, min: 0.0001 }, "written values stay");
  assert.equal(w["weightDecay"], 0.01, "defaults are filled");
  assert.equal(w["clip"], 1);
  assert.deepEqual(w["coefficients"], { t2i: 1, lm: 0.1, mmu: 1 });
  assert.deepEqual(w["dataset"], { $output: { step: "data", output: "dataset" } }, "step outputs stay references");
  const evalWith = stepOf(plan, "eval_stage1").with as { sampler: { [k: string]: unknown } };
  assert.equal(evalWith.sampler["imageTemperature"], 1, "nested defaults are filled next to written fields");
});

test("a kind's rule is checked by validate at the line:col of the field: warmup longer than the stage", () => {
  const errors = errorsOf(load("pipelines/mmada-tiny.yaml", { set: ["stage1_steps=10"] }));
  // where stage 1's warmup value is written: the first `warmup: ` after `stage1:`
  const lines = readFileSync("pipelines/mmada-tiny.yaml", "utf8").split("\n");
  const line = lines.findIndex((l, i) => i > lines.indexOf("  stage1:") && l.includes("warmup: "));
  assert.deepEqual(
    errors.map((e) => [e.code, e.line, e.col]),
    [["E_WITH_RULE", line + 1, lines[line]!.indexOf("warmup: ") + "warmup: ".length + 1]],
  );
  assert.match(errors[0]!.message, /step 'stage1': lr\.warmup \(100\) exceeds steps \(10\)/);
});
