// Reference resolution in `with`: whole expressions keep their type, longer strings interpolate
// params/matrix at compile time and keep step outputs for the runtime; the registry is injectable.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isOutputRef } from "../../contract/plan.ts";
import { renderTemplate, templateRefs } from "../../contract/template.ts";
import { stepKinds } from "../../engine/kinds.ts";
import { errorsOf, planOf, stepOf, compile } from "./helpers.ts";
import { testKinds } from "./test-kinds.ts";

const SPEC = `
name: refs
params:
  n: { type: integer, default: 3 }
  lr: { type: number, default: 0.001 }
  on: { type: boolean, default: true }
  tag: { type: string, default: "v1" }
steps:
  data:
    uses: make-data
    with: { size: "\${{ params.n }}" }
  a:
    uses: command
    with:
      run: "echo n=\${{ params.n }} lr=\${{params.lr}} on=\${{ params.on }} tag=\${{ params.tag }} > $MMADA_OUT/a.txt"
      outputs: { out: a.txt, dir: { path: d, kind: dir } }
  b:
    uses: command
    with:
      run: "wc -l \${{ steps.a.outputs.out }} \${{steps.a.outputs.dir}}"
      inputs: { whole: "\${{ steps.a.outputs.out }}", file: pipelines/plan.ts }
      outputs: {}
  t:
    uses: train-test
    with: { data: "\${{ steps.data.outputs.data }}", lr: "\${{ params.lr }}", steps: "\${{ params.n }}" }
`;
const plan = () => planOf(compile(SPEC, "refs.yaml", { kinds: testKinds }));

test("a string that is exactly one expression keeps the value's type", () => {
  const p = plan();
  assert.equal(stepOf(p, "data").with["size"], 3);
  assert.equal(stepOf(p, "t").with["lr"], 0.001);
  assert.equal(stepOf(p, "t").with["steps"], 3);
});

test("longer strings interpolate params at compile time", () => {
  assert.equal(stepOf(plan(), "a").with["run"], "echo n=3 lr=0.001 on=true tag=v1 > $MMADA_OUT/a.txt");
});

test("a whole step-output expression becomes an OutputRef; project paths stay strings", () => {
  const inputs = stepOf(plan(), "b").with["inputs"] as { [k: string]: unknown };
  assert.deepEqual(inputs["whole"], { $ref: { step: "a", output: "out" } });
  assert.ok(isOutputRef(inputs["whole"]));
  assert.equal(inputs["file"], "pipelines/plan.ts");
});

test("step outputs inside longer strings stay expressions (canonical form) and imply needs", () => {
  const b = stepOf(plan(), "b");
  assert.equal(b.with["run"], "wc -l ${{ steps.a.outputs.out }} ${{ steps.a.outputs.dir }}");
  assert.deepEqual(b.needs, ["a"]);
  const run = String(b.with["run"]);
  assert.deepEqual(templateRefs(run), [{ step: "a", output: "out" }, { step: "a", output: "dir" }]);
  assert.equal(renderTemplate(run, (r) => `/art/${r.step}/${r.output}`), "wc -l /art/a/out /art/a/dir");
});

test("templates handle matrix branch ids", () => {
  const s = "x ${{ steps.train[kl=0.01,seed=1].outputs.model }} y";
  assert.deepEqual(templateRefs(s), [{ step: "train[kl=0.01,seed=1]", output: "model" }]);
  assert.equal(renderTemplate(s, (r) => r.step), "x train[kl=0.01,seed=1] y");
});

test("declared outputs carry their artifact kinds", () => {
  const p = plan();
  assert.deepEqual(stepOf(p, "a").outputs, { out: "file", dir: "dir" });
  assert.deepEqual(stepOf(p, "data").outputs, { data: "dataset" });
  assert.deepEqual(stepOf(p, "b").outputs, {});
});

test("kind schema sees substituted values: a param of the wrong type fails there", () => {
  const bad = SPEC.replace('size: "${{ params.n }}"', 'size: "${{ params.tag }}"');
  const errors = errorsOf(compile(bad, "refs.yaml", { kinds: testKinds }));
  assert.deepEqual(errors.map((e) => [e.code, e.line, e.col]), [["E_TYPE", 11, 19]]);
});

test("kind mismatch: a file given where a dataset is expected", () => {
  const bad = SPEC.replace('data: "${{ steps.data.outputs.data }}"', 'data: "${{ steps.a.outputs.out }}"');
  const errors = errorsOf(compile(bad, "refs.yaml", { kinds: testKinds }));
  assert.deepEqual(errors.map((e) => e.code), ["E_KIND_MISMATCH"]);
  assert.match(errors[0]?.message ?? "", /expects a dataset, but 'a\.out' is a file/);
});

test("the registry is injectable: without the test kinds, they are unknown", () => {
  const errors = errorsOf(compile(SPEC, "refs.yaml", { kinds: stepKinds() }));
  assert.deepEqual(errors.map((e) => e.code), ["E_UNKNOWN_KIND", "E_UNKNOWN_KIND"]);
});
