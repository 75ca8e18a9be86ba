// Matrix expansion: branch ids, which steps expand, propagation downstream, gather lists.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, errorsOf, load, planOf, stepOf } from "./helpers.ts";
import { testKinds } from "./test-kinds.ts";

const $ = (expr: string) => `"\${{ ${expr} }}"`;
const SPEC = `
name: grid
matrix:
  seed: [1, 2]
steps:
  fetch:
    uses: make-data
    with: { size: 4 }
  prep:
    uses: command
    with:
      run: "prep --seed \${{ matrix.seed }}"
      inputs: { raw: ${$("steps.fetch.outputs.data")} }
      outputs: { data: data.bin }
  train:
    uses: train-test
    matrix: { kl: [0.01, 0.04] }
    with: { data: ${$("steps.fetch.outputs.data")}, lr: ${$("matrix.kl")} }
    needs: [prep]
  eval:
    uses: command
    with:
      run: "eval"
      inputs: { model: ${$("steps.train.outputs.model")} }
      outputs: { score: score.txt }
  report:
    uses: command
    gather: true
    with:
      run: "cat \${{ steps.eval.outputs.score }} > $MMADA_OUT/r.txt"
      inputs: { scores: ${$("steps.eval.outputs.score")}, raw: ${$("steps.fetch.outputs.data")} }
      outputs: { report: r.txt }
`;

const plan = () => planOf(compile(SPEC, "grid.yaml", { kinds: testKinds }));
const TRAIN_IDS = ["train[kl=0.01,seed=1]", "train[kl=0.01,seed=2]", "train[kl=0.04,seed=1]", "train[kl=0.04,seed=2]"];
const EVAL_IDS = TRAIN_IDS.map((id) => id.replace("train", "eval"));

test("steps that touch no matrix key run once; others once per combination, keys sorted in ids", () => {
  const ids = plan().steps.map((s) => s.id);
  assert.deepEqual(ids.filter((id) => id.startsWith("fetch")), ["fetch"]);
  assert.deepEqual(ids.filter((id) => id.startsWith("prep")), ["prep[seed=1]", "prep[seed=2]"]);
  assert.deepEqual(ids.filter((id) => id.startsWith("train")), TRAIN_IDS);
  assert.equal(ids.at(-1), "report");
  assert.equal(ids.length, 1 + 2 + 4 + 4 + 1);
});

test("branch fields: specId, matrix values (typed), with substituted per branch", () => {
  const t = stepOf(plan(), "train[kl=0.04,seed=2]");
  assert.equal(t.specId, "train");
  assert.deepEqual(t.matrix, { kl: 0.04, seed: 2 });
  assert.equal(t.with["lr"], 0.04);
  assert.equal(stepOf(plan(), "prep[seed=2]").with["run"], "prep --seed 2");
  assert.equal(stepOf(plan(), "fetch").matrix, undefined);
});

test("branches propagate: a step depending on an expanded step is expanded with the same combination", () => {
  const p = plan();
  // train's needs: prep restricted to train's seed, fetch shared.
  assert.deepEqual(stepOf(p, "train[kl=0.01,seed=2]").needs, ["fetch", "prep[seed=2]"]);
  // eval references no matrix key, but depends on train: expanded over (kl, seed).
  assert.deepEqual(p.steps.filter((s) => s.specId === "eval").map((s) => s.id), EVAL_IDS);
  const e = stepOf(p, "eval[kl=0.04,seed=1]");
  assert.deepEqual(e.needs, ["train[kl=0.04,seed=1]"]);
  assert.deepEqual(e.with["inputs"], { model: { $output: { step: "train[kl=0.04,seed=1]", output: "model" } } });
});

test("gather: one step, depends on all branches; refs become lists in branch order", () => {
  const r = stepOf(plan(), "report");
  assert.equal(r.matrix, undefined);
  assert.deepEqual(r.needs, [...EVAL_IDS, "fetch"].sort());
  const inputs = r.with["inputs"] as { [k: string]: unknown };
  assert.deepEqual(inputs["scores"], EVAL_IDS.map((step) => ({ $output: { step, output: "score" } })));
  // A ref to a step that is not expanded stays a single ref.
  assert.deepEqual(inputs["raw"], { $output: { step: "fetch", output: "data" } });
  // Inside a longer string: every branch's expression, space separated.
  const parts = EVAL_IDS.flatMap((step, i) => [...(i ? [" "] : []), { $output: { step, output: "score" } }]);
  assert.deepEqual(r.with["run"], { $template: ["cat ", ...parts, " > $MMADA_OUT/r.txt"] });
});

test("plan order is topological with ties broken by id", () => {
  const ids = plan().steps.map((s) => s.id);
  assert.deepEqual(ids.slice(0, 3), ["fetch", "prep[seed=1]", "prep[seed=2]"]);
  const pos = new Map(ids.map((id, i) => [id, i]));
  for (const s of plan().steps) for (const n of s.needs) assert.ok((pos.get(n) ?? 99) < (pos.get(s.id) ?? -1), `${n} before ${s.id}`);
});

test("explicit needs on an expanded step also expand; string matrix values keep their text", () => {
  const spec = `
name: needs-only
steps:
  a:
    uses: command
    matrix: { opt: [adam, sgd] }
    with: { run: "echo \${{ matrix.opt }}" }
  b:
    uses: command
    needs: [a]
    with: { run: "echo done" }
`;
  const p = planOf(compile(spec, "n.yaml"));
  assert.deepEqual(p.steps.map((s) => s.id), ["a[opt=adam]", "a[opt=sgd]", "b[opt=adam]", "b[opt=sgd]"]);
  assert.deepEqual(stepOf(p, "b[opt=sgd]").needs, ["a[opt=sgd]"]);
  assert.deepEqual(stepOf(p, "b[opt=sgd]").matrix, { opt: "sgd" });
});

test("sweep.yaml: make shared, score over seed x scale, report gathers", () => {
  const p = planOf(load("pipelines/examples/sweep.yaml"));
  assert.deepEqual(p.steps.map((s) => s.id), [
    "make", "score[scale=1,seed=1]", "score[scale=1,seed=2]", "score[scale=3,seed=1]", "score[scale=3,seed=2]", "report",
  ]);
  assert.equal(stepOf(p, "report").needs.length, 4);
  assert.match(String(stepOf(p, "score[scale=3,seed=2]").with["run"]), /\* 3 \+ 2/);
});

test("an error only some branches have names them; one every branch has names none", () => {
  const spec = (lrs: string, extra = "") => `
name: branches
matrix: { lr: [${lrs}], seed: [1, 2] }
steps:
  data:
    uses: make-data
    with: { size: 4 }
  train:
    uses: train-test
    with: { data: ${$("steps.data.outputs.data")}, lr: ${$("matrix.lr")}, steps: ${$("matrix.seed")}${extra} }
`;
  const messages = (text: string) => errorsOf(compile(text, "b.yaml", { kinds: testKinds })).map((e) => `${e.code} ${e.line}:${e.col} ${e.message}`);
  // lr=0 breaks exclusiveMinimum in two of six branches (seed does not matter).
  assert.deepEqual(messages(spec("0.1, 0, 0.01")), [
    "E_RANGE 10:57 steps.train.with.lr must be > 0, in branches train[lr=0,seed=1], train[lr=0,seed=2]",
  ]);
  // Every branch has the same unknown field: no branch is named.
  assert.deepEqual(messages(spec("0.1, 0.2", ", bogus: 1")), ["E_UNKNOWN_FIELD 10:106 unknown field 'bogus' in steps.train.with"]);
  // Many branches: the first three, then a count.
  const [many] = messages(spec("0, -1, -2, 1"));
  assert.match(many ?? "", /in branches train\[lr=0,seed=1\], train\[lr=0,seed=2\], train\[lr=-1,seed=1\] and 3 more$/);
});
