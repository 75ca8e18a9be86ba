// Small pure helpers: canonical JSON, "did you mean", durations, path escapes, graph order.
import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalJson } from "../../contract/plan.ts";
import { escapesRoot } from "../../pipelines/check-steps.ts";
import { stepKinds } from "../../engine/kinds.ts";
import { closest, editDistance } from "../../pipelines/names.ts";
import { MAX_RETRY_INTERVAL_MS, MAX_TIMEOUT_MS } from "../../contract/limits.ts";
import { durationProblem, parseDuration } from "../../pipelines/durations.ts";
import { formatError } from "../../pipelines/errors.ts";
import { findCycles, topoOrder } from "../../pipelines/graph.ts";

test("canonicalJson: sorted keys at every depth, no whitespace, undefined dropped", () => {
  assert.equal(canonicalJson({ b: 1, a: [{ z: null, y: "s" }, true], c: undefined }), '{"a":[{"y":"s","z":null},true],"b":1}');
  assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
  assert.equal(canonicalJson("é\n"), '"é\\n"');
  assert.throws(() => canonicalJson({ x: Number.NaN }), /non-finite/);
});

test("did you mean: typos (incl. swapped letters) are found, unrelated names are not", () => {
  assert.equal(editDistance("stpes", "steps"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(closest("stpes", ["name", "steps", "params"]), "steps");
  assert.equal(closest("comand", ["command"]), "command");
  assert.equal(closest("prepair", ["prepare", "train"]), "prepare");
  assert.equal(closest("z", ["a", "b"]), undefined);
  assert.equal(closest("totally", ["steps", "name"]), undefined);
  assert.equal(closest("Train", ["train"]), "train");
});

test("did you mean: case and '-'/'_' do not count; transpositions cost 1 (Damerau-Levenshtein)", () => {
  assert.equal(closest("prepare_data", ["prepare-data", "train"]), "prepare-data");
  assert.equal(closest("Prepare-Data", ["prepare-data", "train"]), "prepare-data");
  assert.equal(closest("prepareData", ["prepare-data", "train"]), "prepare-data");
  assert.equal(closest("initial_interval", ["initialInterval", "timeout"]), "initialInterval");
  assert.equal(closest("learning-rate", ["learning_rate", "lr"]), "learning_rate");
  assert.equal(closest("prepare_dat", ["prepare-data"]), "prepare-data"); // separator and a typo
  assert.equal(closest("comamnd", ["command", "train"]), "command");
  assert.equal(editDistance("ca", "abc"), 2); // a swap, then an insertion between the swapped pair
  assert.equal(editDistance("abdc", "abcd"), 1);
  assert.equal(closest("a_b", ["ab", "a-b"]), "a-b"); // both equal up to separators: sorted order
  assert.equal(closest("x".repeat(100_000), ["command"]), undefined); // no 100000 x 7 table
});

test("durations Temporal would refuse: zero, rounding to zero, beyond its limits", () => {
  assert.equal(durationProblem("0s", MAX_TIMEOUT_MS), "is zero");
  assert.equal(durationProblem("0.000ms", MAX_TIMEOUT_MS), "is zero");
  assert.equal(durationProblem("0.4ms", MAX_TIMEOUT_MS), "rounds to 0ms");
  assert.equal(durationProblem("0.5ms", MAX_TIMEOUT_MS), undefined);
  assert.equal(durationProblem("876600h", MAX_TIMEOUT_MS), undefined);
  assert.match(durationProblem("876601h", MAX_TIMEOUT_MS) ?? "", /at most 876600h, 100 years/);
  assert.match(durationProblem(`${"9".repeat(400)}h`, MAX_TIMEOUT_MS) ?? "", /longer than Temporal accepts/); // Infinity
  assert.match(durationProblem("17533h", MAX_RETRY_INTERVAL_MS) ?? "", /at most 17532h, 2 years/);
  assert.equal(durationProblem("10 minutes", MAX_TIMEOUT_MS), undefined); // syntax is the schema's job
  // 100 x the retry interval (the server's default maximum interval) must fit int64 nanoseconds.
  assert.ok(100 * MAX_RETRY_INTERVAL_MS * 1e6 < 2 ** 63);
  assert.ok(MAX_TIMEOUT_MS / 1000 < 2 ** 32);
});

test("every registered kind's default durations are ones Temporal accepts", () => {
  for (const [name, kind] of Object.entries(stepKinds())) {
    const d = kind.defaults ?? {};
    for (const [field, text, max] of [
      ["timeout", d.timeout, MAX_TIMEOUT_MS],
      ["heartbeatTimeout", d.heartbeatTimeout, MAX_TIMEOUT_MS],
      ["retry.initialInterval", d.retry?.initialInterval, MAX_RETRY_INTERVAL_MS],
    ] as const) {
      if (text === undefined) continue;
      assert.notEqual(parseDuration(text), undefined, `${name}.${field}`);
      assert.equal(durationProblem(text, max), undefined, `${name}.${field}`);
    }
  }
});

test("formatError: control characters from the spec are escaped (one line, no terminal codes)", () => {
  const line = formatError({ code: "E_UNKNOWN_STEP", message: "unknown step 'a\nb\u001b[31m'", file: "s.yaml", line: 1, col: 2 });
  assert.equal(line, "s.yaml:1:2: error E_UNKNOWN_STEP: unknown step 'a\\u000ab\\u001b[31m'");
});

test("durations", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("1.5m"), 90_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("10 m"), undefined);
  assert.equal(parseDuration("10"), undefined);
});

test("path escapes", () => {
  for (const bad of ["/etc/passwd", "../x", "a/../../x", "~/x", "C:\\x", "..\\x"]) assert.equal(escapesRoot(bad), true, bad);
  for (const ok of ["x", "a/b.txt", "a/../b", "./x", "data/train.csv"]) assert.equal(escapesRoot(ok), false, ok);
});

test("graph: cycles named from their smallest id, order deterministic with id tie-breaks", () => {
  const deps = new Map([["a", ["c"]], ["b", ["a"]], ["c", ["b"]], ["d", []], ["e", ["e"]]]);
  assert.deepEqual(findCycles(["a", "b", "c", "d", "e"], deps), [["a", "b", "c"], ["e"]]);
  assert.equal(topoOrder(["a", "b", "c"], deps), undefined);
  const dag = new Map([["d", ["b", "c"]], ["b", ["a"]], ["c", ["a"]], ["a", []], ["x", []]]);
  assert.deepEqual(topoOrder(["d", "c", "x", "b", "a"], dag), ["a", "b", "c", "d", "x"]);
});
