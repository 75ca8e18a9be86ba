// Param overrides: `--set k=v` coerced to the param's type and checked against enum/min/max;
// typed `params` (a resumed run's stored values); every problem reported, file shown as --set.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatError } from "../../pipelines/index.ts";
import { errorsOf, planOf, compile } from "./helpers.ts";

const SPEC = `
name: params
params:
  fail: { type: boolean, default: false }
  n: { type: integer, default: 3, minimum: 1, maximum: 10 }
  lr: { type: number, default: 0.001 }
  mode: { type: string, default: "a", enum: [a, b] }
  label: { type: string, default: "x" }
steps:
  a:
    uses: command
    with: { run: "echo \${{ params.fail }} \${{ params.n }} \${{ params.lr }} \${{ params.mode }} \${{ params.label }}" }
`;

test("--set values are coerced to each param's type", () => {
  const plan = planOf(compile(SPEC, "p.yaml", { set: ["fail=true", "n=7", "lr=1e-2", "mode=b", "label=k=v 2"] }));
  assert.deepEqual(plan.params, { fail: true, n: 7, lr: 0.01, mode: "b", label: "k=v 2" });
  assert.equal(plan.steps[0]?.with["run"], "echo true 7 0.01 b k=v 2");
});

test("the last --set of a param wins; defaults fill the rest", () => {
  const plan = planOf(compile(SPEC, "p.yaml", { set: ["n=2", "n=4"] }));
  assert.deepEqual(plan.params, { fail: false, n: 4, lr: 0.001, mode: "a", label: "x" });
});

test("bad --set values: type, enum, range; all reported, no position, file '--set'", () => {
  const errors = errorsOf(compile(SPEC, "p.yaml", { set: ["fail=yes", "n=2.5", "n=0", "n=11", "lr=fast", "mode=c"] }));
  assert.deepEqual(errors.map((e) => e.code), Array(6).fill("E_SET_BAD_VALUE"));
  for (const e of errors) {
    assert.equal(e.file, "--set");
    assert.equal(e.line, undefined);
    assert.equal(e.col, undefined);
  }
  assert.match(formatError(errors[0] as never), /^--set: error E_SET_BAD_VALUE: bad value for param 'fail' in 'fail=yes': 'yes' is not a boolean \(write true or false\)$/);
  assert.match(errors[2]?.message ?? "", /below the minimum 1/);
  assert.match(errors[5]?.message ?? "", /not one of "a", "b"/);
});

test("unknown params and malformed --set", () => {
  const errors = errorsOf(compile(SPEC, "p.yaml", { set: ["nn=3", "novalue", "=3", "zzz=1"] }));
  assert.deepEqual(errors.map((e) => e.code), ["E_SET_UNKNOWN_PARAM", "E_SET_SYNTAX", "E_SET_SYNTAX", "E_SET_UNKNOWN_PARAM"]);
  assert.equal(errors[0]?.hint, "did you mean 'n'?");
  assert.match(errors[3]?.hint ?? "", /params: fail, n, lr, mode, label/);
});

test("--set errors are reported together with spec errors", () => {
  const bad = SPEC.replace("params.label", "params.lable");
  const errors = errorsOf(compile(bad, "p.yaml", { set: ["n=x"] }));
  assert.deepEqual(errors.map((e) => e.code).sort(), ["E_SET_BAD_VALUE", "E_UNKNOWN_PARAM"]);
});

test("typed params (resume): used as given, strings coerced, wrong types rejected", () => {
  assert.deepEqual(planOf(compile(SPEC, "p.yaml", { params: { n: 5, fail: true } })).params.n, 5);
  assert.deepEqual(planOf(compile(SPEC, "p.yaml", { params: { n: "6" } })).params.n, 6);
  const errors = errorsOf(compile(SPEC, "p.yaml", { params: { n: true, mode: "z", ghost: 1 } }));
  assert.deepEqual(errors.map((e) => e.code), ["E_SET_BAD_VALUE", "E_SET_BAD_VALUE", "E_SET_UNKNOWN_PARAM"]);
});

test("a resumed run recompiles to the same plan from its stored text and params", () => {
  const first = planOf(compile(SPEC, "p.yaml", { set: ["n=9", "mode=b"] }));
  const again = planOf(compile(SPEC, "p.yaml", { params: first.params }));
  assert.equal(again.planHash, first.planHash);
});
