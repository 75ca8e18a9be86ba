// Valid specs: the example pipelines compile to the right DAG, with defaults applied and
// deterministic hashes.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { canonicalJson } from "../../contract/plan.ts";
import { stepKinds } from "../../engine/kinds.ts";
import { formatError } from "../../pipelines/index.ts";
import { compile, load, planOf } from "./helpers.ts";
import { testKinds } from "./test-kinds.ts";

const DIAMOND = "pipelines/examples/diamond.yaml";
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

test("diamond: a -> (b, c) -> d in topological order, refs become $output nodes", () => {
  const plan = planOf(load(DIAMOND));
  assert.equal(plan.pipeline, "diamond");
  assert.deepEqual(plan.steps.map((s) => s.id), ["a", "b", "c", "d"]);
  assert.deepEqual(plan.steps.map((s) => s.needs), [[], ["a"], ["a"], ["b", "c"]]);
  const d = plan.steps[3];
  assert.deepEqual(d?.with["inputs"], {
    b: { $output: { step: "b", output: "result" } },
    c: { $output: { step: "c", output: "result" } },
  });
  assert.deepEqual(d?.outputs, { combined: "file" });
  assert.deepEqual(plan.params, { fail: false, n: 3 });
  assert.equal(plan.concurrency, 4);
  assert.equal(plan.specPath, DIAMOND);
  assert.match(String(plan.steps[0]?.with["run"]), /^echo "3" >/);
});

test("diamond: built-in step defaults", () => {
  const a = planOf(load(DIAMOND)).steps[0];
  assert.equal(a?.queue, "default");
  assert.deepEqual(a?.retry, { maximumAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2 });
  assert.equal(a?.timeoutMs, 3_600_000);
  assert.equal(a?.heartbeatTimeoutMs, 60_000);
  assert.equal(a?.cache, true);
  assert.equal(a?.kindVersion, stepKinds()["command"]?.version);
  assert.equal(a?.matrix, undefined);
});

test("hashes: specHash is sha256 of the text, planHash of the canonical plan minus path and hashes", () => {
  const text = readFileSync(DIAMOND, "utf8");
  const r = load(DIAMOND);
  const plan = planOf(r);
  assert.equal(r.ok && r.specText, text);
  assert.equal(plan.specHash, sha(text));
  const { specHash: _s, specPath: _p, planHash, ...body } = plan;
  assert.equal(planHash, sha(canonicalJson(body)));
});

test("determinism: same spec + params -> byte-identical canonical plan", () => {
  const text = readFileSync(DIAMOND, "utf8");
  const one = planOf(compile(text, "x.yaml"));
  const two = planOf(compile(text, "x.yaml"));
  assert.equal(canonicalJson(one), canonicalJson(two));
  // The spec's location is not part of what runs.
  assert.equal(planOf(compile(text, "elsewhere/y.yaml")).planHash, one.planHash);
  // A comment changes the spec hash, not the plan hash.
  const commented = planOf(compile(`${text}\n# a comment\n`, "x.yaml"));
  assert.notEqual(commented.specHash, one.specHash);
  assert.equal(commented.planHash, one.planHash);
  // Other params change the plan.
  const failing = planOf(compile(text, "x.yaml", { set: ["fail=true"] }));
  assert.notEqual(failing.planHash, one.planHash);
  assert.equal(failing.specHash, one.specHash);
});

test("diamond --set fail=true makes c's command fail", () => {
  const plan = planOf(load(DIAMOND, { set: ["fail=true"] }));
  const run = String(plan.steps.find((s) => s.id === "c")?.with["run"]);
  assert.match(run, /if \[ "true" = "true" \]/);
  assert.match(run, /exit 3/);
  assert.deepEqual(plan.params, { fail: true, n: 3 });
});

test("settings layering: built-in < kind defaults < spec defaults < step fields", () => {
  const spec = `
name: layers
defaults: { timeout: 30m, retry: { initialInterval: 5s } }
steps:
  data: { uses: make-data, with: { size: 2 } }
  t1:
    uses: train-test
    with: { data: "\${{ steps.data.outputs.data }}" }
  t2:
    uses: train-test
    queue: big
    retry: { maximumAttempts: 1, backoffCoefficient: 3 }
    heartbeatTimeout: 500ms
    cache: false
    with: { data: "\${{ steps.data.outputs.data }}" }
`;
  const plan = planOf(compile(spec, "layers.yaml", { kinds: testKinds }));
  const [data, t1, t2] = ["data", "t1", "t2"].map((id) => plan.steps.find((s) => s.id === id));
  assert.equal(data?.queue, "default");
  assert.equal(data?.timeoutMs, 30 * 60_000);
  assert.equal(t1?.queue, "gpu"); // kind default
  assert.equal(t1?.timeoutMs, 30 * 60_000); // spec defaults beat the kind's 2h
  assert.deepEqual(t1?.retry, { maximumAttempts: 5, initialIntervalMs: 5000, backoffCoefficient: 2 });
  assert.equal(t1?.kindVersion, "7");
  assert.deepEqual(t1?.outputs, { model: "checkpoint" });
  assert.equal(t2?.queue, "big");
  assert.deepEqual(t2?.retry, { maximumAttempts: 1, initialIntervalMs: 5000, backoffCoefficient: 3 });
  assert.equal(t2?.heartbeatTimeoutMs, 500);
  assert.equal(t2?.cache, false);
});

test("noop50: 50 steps in 5 chains of 10", () => {
  const plan = planOf(load("pipelines/examples/noop50.yaml"));
  assert.equal(plan.steps.length, 50);
  assert.equal(plan.steps.filter((s) => s.needs.length === 0).length, 5);
  assert.ok(plan.steps.every((s) => s.needs.length <= 1 && s.cache === false));
  const seen = new Set<string>();
  for (const s of plan.steps) {
    assert.ok(s.needs.every((n) => seen.has(n)), `${s.id} comes before its needs`);
    seen.add(s.id);
  }
});

test("a missing spec file is E_FILE_NOT_FOUND without a position", () => {
  const r = load("pipelines/examples/nope.yaml");
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.errors.map((e) => [e.code, e.file, e.line]), [["E_FILE_NOT_FOUND", "pipelines/examples/nope.yaml", undefined]]);
  assert.match(formatError(r.errors[0] as never), /^pipelines\/examples\/nope\.yaml: error E_FILE_NOT_FOUND: /);
});

test("formatError: file:line:col, code, message and hint", () => {
  const r = compile("name: x\nsteps:\n  a:\n    uses: comand\n", "p.yaml");
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(formatError(r.errors[0] as never), "p.yaml:4:11: error E_UNKNOWN_KIND: step 'a' uses unknown step kind 'comand' (did you mean 'command'?)");
});
