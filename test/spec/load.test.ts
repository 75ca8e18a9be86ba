// The load stage on hostile input: nesting beyond MAX_NESTING (the yaml composer recurses per
// level), aliases, keys and values JSON cannot hold. Every case is an error with a position, never
// an exception. (The corpus has one file per case; these check the edges of the limits.)
import { testKinds } from "./test-kinds.ts";
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileText, formatError } from "../../pipelines/index.ts";
import { loadSpec } from "../../pipelines/load.ts";
import { MAX_NESTING } from "../../pipelines/syntax-errors.ts";
import { errorsOf } from "./helpers.ts";

const flow = (levels: number) => `x: ${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}\n`;
const block = (levels: number) =>
  Array.from({ length: levels }, (_, i) => `${"  ".repeat(i)}k:`).join("\n") + " 1\n";
const codes = (text: string) => loadSpec(text, "t.yaml").errors.map((e) => e.code);

test(`nesting: ${MAX_NESTING} levels load, one more is E_NESTING at the collection that is too deep`, () => {
  // flow: the root mapping is level 1, then `levels - 1` lists; block: `levels` nested mappings.
  for (const shape of [flow, block]) {
    assert.deepEqual(codes(shape(MAX_NESTING)), [], shape.name);
    const { errors } = loadSpec(shape(MAX_NESTING + 1), "t.yaml");
    assert.deepEqual(errors.map((e) => e.code), ["E_NESTING"], shape.name);
    assert.match(errors[0]?.message ?? "", new RegExp(`deeper than ${MAX_NESTING} levels`));
  }
  const e = loadSpec(flow(MAX_NESTING + 1), "t.yaml").errors[0];
  assert.deepEqual([e?.line, e?.col], [1, 4 + MAX_NESTING - 1]);
  const b = loadSpec(block(MAX_NESTING + 1), "t.yaml").errors[0];
  assert.deepEqual([b?.line, b?.col], [MAX_NESTING + 1, 2 * MAX_NESTING + 1]);
});

test("nesting: 700 and 100000 levels give E_NESTING, not 'Maximum call stack size exceeded'", () => {
  for (const levels of [700, 2_000, 100_000]) {
    const texts = [flow(levels), `x: ${"- ".repeat(levels)}1\n`, `x: ${"{a: ".repeat(levels)}1${"}".repeat(levels)}\n`];
    if (levels <= 2_000) texts.push(block(levels)); // its indentation grows quadratically
    for (const text of texts) {
      const errs = errorsOf(compileText(`name: deep\nsteps: {a: {uses: command, with: {run: x}}}\n${text}`, "t.yaml", { kinds: testKinds }));
      assert.ok(!errs.some((e) => /call stack/.test(e.message)), errs.map(formatError).join("\n"));
      assert.ok(errs.every((e) => e.line !== undefined && e.col !== undefined));
    }
  }
});

test("nesting: aliases cannot smuggle in depth the text does not show", () => {
  const half = Math.ceil(MAX_NESTING / 2) + 1;
  const text = `a: &d ${"[".repeat(half)}1${"]".repeat(half)}\nb: ${"[".repeat(half)}*d${"]".repeat(half)}\n`;
  const { errors } = loadSpec(text, "t.yaml");
  assert.deepEqual(errors.map((e) => [e.code, e.line, e.col]), [["E_NESTING", 2, 4 + half]]);
});

test("aliases: unknown (with did-you-mean), used inside their own anchor, or merging a non-mapping", () => {
  const first = (text: string) => {
    const e = loadSpec(text, "t.yaml").errors[0];
    return e && [e.code, e.line, e.col, e.hint];
  };
  assert.deepEqual(first("a: &base 1\nb: *bsae\n"), ["E_YAML_SYNTAX", 2, 4, "did you mean 'base'?"]);
  assert.deepEqual(first("b: *later\na: &later 1\n")?.slice(0, 3), ["E_YAML_SYNTAX", 1, 4]);
  assert.deepEqual(first("a: &x\n  b: [*x]\n")?.slice(0, 3), ["E_YAML_SYNTAX", 2, 7]);
  assert.deepEqual(first("a: &s hi\nb:\n  <<: *s\n")?.slice(0, 3), ["E_TYPE", 3, 7]);
});

test("keys and values: a list as a key, .inf/.nan, YAML 1.1 types; nothing printed as a Node warning", () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on("warning", onWarning);
  try {
    const cases: [string, string, number, number][] = [
      ["? [a]\n: 1\n", "E_TYPE", 1, 3],
      ["a: { x: .nan }\n", "E_TYPE", 1, 9],
      ["a: [1, -.inf]\n", "E_TYPE", 1, 8],
      ["%YAML 1.1\n---\na: 2001-12-14\n", "E_TYPE", 3, 4],
      ["%YAML 1.1\n---\na: !!binary aGk=\n", "E_TYPE", 3, 13],
      ["a: !custom 1\n", "E_YAML_SYNTAX", 1, 4],
    ];
    for (const [text, code, line, col] of cases) {
      const e = loadSpec(text, "t.yaml").errors[0];
      assert.deepEqual(e && [e.code, e.line, e.col], [code, line, col], text);
    }
  } finally {
    process.off("warning", onWarning);
  }
  assert.deepEqual(warnings.filter((w) => /stringified/.test(w)), []);
});

test("syntax errors point at the offending token", () => {
  const at = (text: string) => loadSpec(text, "t.yaml").errors.map((e) => [e.line, e.col]);
  assert.deepEqual(at('a: "x\nb: 1\n'), [[1, 4]]); // the opening quote, not the end of the file
  assert.deepEqual(at("a: 'it''s\n"), [[1, 4]]);
  assert.deepEqual(at("a: [1, 2\nb: 1\n"), [[1, 4]]); // the unclosed bracket
  assert.deepEqual(at("a: {x: [1 }\n"), [[1, 11]]); // the bracket that closes the wrong thing
  assert.deepEqual(at("a:\n  b: 1\n c: 2\n"), [[3, 2]]); // the badly indented key, not column 1
  assert.deepEqual(at("a:\n  b: 1\n    c: 2\n"), [[3, 5]]); // the over-indented line
  assert.deepEqual(at("a: 1\n---\nb: 2\n"), [[2, 1]]);
});
