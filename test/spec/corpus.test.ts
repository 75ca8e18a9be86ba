// Data-driven spec errors: every corpus/<name>.yaml is an invalid spec and corpus/<name>.expected.json
// lists the errors it must produce, with exact codes and positions (and the "did you mean" hint
// where one is expected). Adding a case = adding those two files.
import { load } from "./helpers.ts";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { formatError} from "../../pipelines/index.ts";
import type { SpecError } from "../../pipelines/index.ts";
import { testKinds } from "./test-kinds.ts";

interface Expected {
  code: string;
  line?: number;
  col?: number;
  hint?: string;
}

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), "corpus");
const MIN_CASES = 30;
const specs = readdirSync(CORPUS).filter((f) => f.endsWith(".yaml")).sort();

test(`corpus has at least ${MIN_CASES} invalid specs, each with expected errors`, () => {
  assert.ok(specs.length >= MIN_CASES, `only ${specs.length} specs in ${CORPUS}`);
  for (const f of specs) assert.ok(existsSync(join(CORPUS, f.replace(/\.yaml$/, ".expected.json"))), `${f} has no .expected.json`);
});

for (const f of specs) {
  test(`corpus: ${f}`, () => {
    const expected = JSON.parse(readFileSync(join(CORPUS, f.replace(/\.yaml$/, ".expected.json")), "utf8")) as Expected[];
    // cwd = the corpus folder, so input files named in a spec are looked up next to it.
    const r = load(f, { cwd: CORPUS, kinds: testKinds });
    assert.equal(r.ok, false, `${f} compiled, but it should fail`);
    if (r.ok) return;
    const shown = r.errors.map(formatError).join("\n");
    for (const e of expected) {
      const hit: SpecError | undefined = r.errors.find((a) => a.code === e.code && a.line === e.line && a.col === e.col);
      assert.ok(hit, `${f}: expected ${e.code} at ${e.line}:${e.col}, got:\n${shown}`);
      if (e.hint !== undefined) assert.equal(hit.hint, e.hint, `${f}: hint of ${e.code} at ${e.line}:${e.col}`);
      assert.equal(hit.file, f);
      assert.ok(hit.message.length > 0);
    }
    const codes = new Set(expected.map((e) => e.code));
    const unexpected = r.errors.filter((a) => !codes.has(a.code));
    assert.deepEqual(unexpected.map(formatError), [], `${f}: unexpected error codes`);
    assert.equal(r.errors.length, expected.length, `${f}: expected ${expected.length} errors, got:\n${shown}`);
  });
}
