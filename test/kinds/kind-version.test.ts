// Cache keys notice code and defaults: a kind's version is a hash of the sources it reaches, the
// plan holds every default, and `mmada plan` says which of the two changed.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fixedOutputs, type StepKindInfo } from "../../contract/step-kind.ts";
import { kindVersion, stepKinds } from "../../engine/kinds.ts";
import { hashFiles, sourceClosure } from "../../engine/project.ts";
import { cacheKey, explainChange } from "../../engine/store/cache-key.ts";
import { compileText } from "../../pipelines/index.ts";

test("a source closure follows relative imports (static, re-exports, dynamic) and its hash changes with any file in it", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mmada-closure-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "entry.ts"), 'import { b } from "./b.ts";\nexport * from "./c.ts";\nconst d = () => import("./d.ts");\n');
  writeFileSync(join(dir, "b.ts"), 'import "node:fs";\nexport const b = 1;\n');
  writeFileSync(join(dir, "c.ts"), "export const c = 1;\n");
  writeFileSync(join(dir, "d.ts"), "export const d = 1;\n");
  writeFileSync(join(dir, "unrelated.ts"), "export const u = 1;\n");
  const files = sourceClosure([join(dir, "entry.ts")]);
  assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), ["b.ts", "c.ts", "d.ts", "entry.ts"]);
  const before = hashFiles(files);
  writeFileSync(join(dir, "unrelated.ts"), "export const u = 2;\n");
  assert.equal(hashFiles(sourceClosure([join(dir, "entry.ts")])), before, "a file outside the closure does not count");
  writeFileSync(join(dir, "d.ts"), "export const d = 2;\n");
  assert.notEqual(hashFiles(sourceClosure([join(dir, "entry.ts")])), before, "a changed dependency changes the version");
});

test("every kind's version is derived from its code: stable, and different per kind", () => {
  const kinds = stepKinds();
  for (const [name, kind] of Object.entries(kinds)) {
    assert.match(kind.version, /^[0-9a-f]{16}$/);
    assert.equal(kind.version, kindVersion(name));
  }
  assert.notEqual(kinds["train"]!.version, kinds["command"]!.version);
});

/** A one-field kind whose `size` defaults to `size`. */
function sizedKind(size: number, version: string): StepKindInfo {
  return {
    name: "sized",
    version,
    description: "test kind",
    schema: { type: "object", additionalProperties: false, properties: { size: { type: "integer", default: size } } },
    inputs: {},
    outputs: fixedOutputs({ out: "file" }),
  };
}

const SPEC = "name: p\nsteps:\n  a:\n    uses: sized\n";
const keyOf = (kind: StepKindInfo) => {
  const r = compileText(SPEC, "p.yaml", { kinds: { sized: kind } });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("; "));
  const step = r.plan.steps[0]!;
  return cacheKey(step, step.with);
};

test("a changed schema default changes the step's cache key, and the plan says which value", () => {
  const a = keyOf(sizedKind(3, "v1"));
  const b = keyOf(sizedKind(4, "v1"));
  assert.notEqual(a.key, b.key);
  assert.deepEqual(explainChange(a.components, b.components), ["with.size: 3 -> 4"]);
});

test("changed kind code changes the step's cache key, and the plan names the kind", () => {
  const a = keyOf(sizedKind(3, "aaaaaaaaaaaaaaaa"));
  const b = keyOf(sizedKind(3, "bbbbbbbbbbbbbbbb"));
  assert.notEqual(a.key, b.key);
  assert.deepEqual(explainChange(a.components, b.components), ["code of sized changed (version aaaaaaaa -> bbbbbbbb)"]);
});

test("a long value that changed near its end is shown around the change", () => {
  const components = (run: string) => ({ kind: "shell", kindVersion: "v", with: { run } });
  const before = components("python train.py --data data/train --epochs 10 --lr 0.001 --seed 1");
  const after = components("python train.py --data data/train --epochs 10 --lr 0.002 --seed 1");
  const [line] = explainChange(before, after);
  assert.match(line!, /^with\.run: \.\.\..*--lr 0\.001.* -> \.\.\..*--lr 0\.002/);
});
