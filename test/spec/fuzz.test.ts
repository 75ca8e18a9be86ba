// Random damage to the example specs (deterministic: a fixed seed) must never make the compiler
// throw, and every error must have a position inside the file. The examples start with a comment
// line, so while that line is intact an error at 1:1 is a problem that was not located.
import { testKinds } from "./test-kinds.ts";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { compileText, formatError } from "../../pipelines/index.ts";
import type { CompileResult } from "../../pipelines/index.ts";
import { decodeSpec } from "../../pipelines/decode.ts";

const SEED = 20240611;
const CASES = 400;
const EXAMPLES = readdirSync("pipelines/examples").filter((f) => f.endsWith(".yaml")).map((f) => `pipelines/examples/${f}`);
const SOURCES = [...EXAMPLES, "pipelines/mmada-smoke.yaml"].map((f) => readFileSync(f, "utf8"));

/** Things that break YAML or the spec in interesting ways, inserted anywhere. */
const TOKENS = ['"', "'", "[", "]", "{", "}", ": ", "- ", "&a ", "*a", "*nope", "!foo ", "<<: ", "\t", "#", "|", ">", "%", "@", "`",
  "\n", "  ", "${{", "}}", "---\n", "? ", "\\", "\u0000", "\u00e9", "\r\n", "\ufeff", ",", "~"];
/** Values that replace a `key: value`'s value. */
const VALUES = ["*a", "&a [*a]", ".inf", ".nan", "0s", "0.0001ms", "99999999999h", "[", '"abc', "'abc", "{a: 1", "[a, b}",
  "!!binary aGk=", "!!set {a}", "!!omap [a: 1]", "~", "[".repeat(80) + "]".repeat(80), "1e999", "{<<: *a}", "{? [a]: 1}",
  "|\n  text", "'it''s'", "&a x", "!!int x"];
const KEYS = ["? [a]", "~", "__proto__", "constructor", "Uses", "uses_", "<<", "*a", "[a]", '""', "1", "heartbeat_timeout"];

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
    const lines = text.split("\n");
    const i = Math.floor(rnd() * lines.length);
    const line = lines[i] ?? "";
    const kv = /^(\s*(?:- )?)([^:#\s][^:#]*):(\s+)(.*)$/.exec(line);
    const op = Math.floor(rnd() * 10);
    if (op === 0) lines.splice(i, 1);
    else if (op === 1) lines.splice(i, 0, line);
    else if (op === 2) lines[i] = " ".repeat(1 + Math.floor(rnd() * 3)) + line;
    else if (op === 3) lines[i] = line.replace(/^ {1,3}/, "");
    else if (op === 4 && kv) lines[i] = `${kv[1]}${pick(KEYS)}:${kv[3]}${kv[4]}`;
    else if (op === 5 && kv) lines[i] = `${kv[1]}${kv[2]}:${kv[3]}${pick(VALUES)}`;
    else {
      const at = Math.floor(rnd() * (text.length + 1));
      text = op === 6 ? text.slice(0, at) + text.slice(at + 1 + Math.floor(rnd() * 3)) : text.slice(0, at) + pick(TOKENS) + text.slice(at);
      continue;
    }
    text = lines.join("\n");
  }
  return text;
}

/** As loadAndCompile does it, from bytes; a Latin-1 byte now and then. */
function compileBytes(text: string, rnd: () => number): CompileResult {
  let bytes = new TextEncoder().encode(text);
  if (rnd() < 0.05) {
    const at = Math.floor(rnd() * bytes.length);
    bytes = Uint8Array.from([...bytes.subarray(0, at), 0xe9, ...bytes.subarray(at)]);
  }
  const { text: decoded, errors } = decodeSpec(bytes, "f.yaml");
  return decoded === undefined ? { ok: false, errors } : compileText(decoded, "f.yaml", { kinds: testKinds });
}

test(`fuzz: ${CASES} damaged example specs never throw, and every error is located`, () => {
  const rnd = random(SEED);
  for (let k = 0; k < CASES; k++) {
    const source = SOURCES[Math.floor(rnd() * SOURCES.length)] as string;
    const text = mutate(source, rnd);
    let r: CompileResult;
    try {
      r = compileBytes(text, rnd);
    } catch (err) {
      assert.fail(`case ${k} threw ${(err as Error).stack}\n--- spec:\n${text}`);
    }
    if (r.ok) continue;
    const lines = text.split("\n").length;
    const firstLineIntact = text.startsWith(`${source.split("\n")[0]}\n`);
    for (const e of r.errors) {
      if (e.file !== "f.yaml") continue;
      const shown = `case ${k}: ${formatError(e)}\n--- spec:\n${text}`;
      assert.ok(e.line !== undefined && e.col !== undefined && e.line >= 1 && e.col >= 1 && e.line <= lines, shown);
      assert.ok(!(firstLineIntact && e.line === 1 && e.col === 1), `unlocated: ${shown}`);
    }
  }
});
