// Reference resolution in `with`: whole expressions keep their type, longer strings interpolate
// params/matrix at compile time and keep step outputs for the runtime; the registry is injectable.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bindWith, kindValue, specView, type WithMap } from "../../contract/with-value.ts";
import { parseWith } from "../../pipelines/resolve.ts";
import { stepKinds } from "../../engine/kinds.ts";
import { compile, errorsOf, planOf, stepOf } from "./helpers.ts";
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

test("a whole step-output expression becomes an $output node; project paths become $file nodes", () => {
  const inputs = stepOf(plan(), "b").with["inputs"] as { [k: string]: unknown };
  assert.deepEqual(inputs["whole"], { $output: { step: "a", output: "out" } });
  assert.deepEqual(inputs["file"], { $file: "pipelines/plan.ts" });
});

test("step outputs inside longer strings are template parts and imply needs", () => {
  const b = stepOf(plan(), "b");
  assert.deepEqual(b.with["run"], { $template: ["wc -l ", { $output: { step: "a", output: "out" } }, " ", { $output: { step: "a", output: "dir" } }] });
  assert.deepEqual(b.needs, ["a"]);
  assert.equal((specView(b.with) as { run: string }).run, "wc -l ${{ steps.a.outputs.out }} ${{ steps.a.outputs.dir }}");
});

test("bound to the run's outputs, a template becomes the artifacts' paths and the whole reference the artifact", () => {
  const b = stepOf(plan(), "b");
  const art = (name: string) => ({ sha256: name.repeat(64).slice(0, 64), uri: `artifacts/${name}`, kind: "file", size: 1 });
  const { with: bound, inputs } = bindWith(b.with, { a: { out: art("a"), dir: art("d") } });
  const w = kindValue(bound as WithMap, (r) => `/ws/${r.uri}`) as { run: string; inputs: { whole: unknown } };
  assert.equal(w.run, "wc -l /ws/artifacts/a /ws/artifacts/d");
  assert.deepEqual(w.inputs.whole, art("a"));
  assert.deepEqual(Object.keys(inputs).sort(), ["inputs.whole", "steps.a.outputs.dir", "steps.a.outputs.out"]);
  assert.throws(() => bindWith(b.with, {}), /output 'out' of step 'a' is not available/);
});

test("a mapping whose keys could pass for nodes is a $literal, read no further", () => {
  const parsed = parseWith({ size: "${{ params.n }}", extra: { $output: "${{ params.n }}" } }, { n: 3 }, {});
  assert.deepEqual(parsed, { size: 3, extra: { $literal: { $output: "${{ params.n }}" } } });
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

test("expressions inside a $literal mapping are not read: no unknown-step error for them", () => {
  const spec = SPEC.replace("inputs: { whole:", 'env: { $raw: "${{ steps.nowhere.outputs.x }}" }\n      inputs: { whole:');
  const codes = errorsOf(compile(spec, "refs.yaml", { kinds: testKinds })).map((e) => e.code);
  assert.ok(codes.length > 0, "command has no env field: the schema still reports it");
  assert.ok(!codes.includes("E_UNKNOWN_STEP"), `the literal's text is not an expression: ${codes.join(", ")}`);
});
