// The house's one-way imports, read from the code: every folder imports only the folders below it,
// type-only imports included; there is no folder-level cycle; workflows/ and contract/ import no
// Node built-in; contract/ imports no package at all; model/ imports nothing of ours.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";
import ts from "typescript";

/** Folder -> the project folders it may import from (everything not listed is forbidden). */
const MAY_IMPORT: Record<string, string[]> = {
  contract: [],
  model: [],
  pipelines: ["contract", "schemas"],
  activities: ["contract", "model"],
  workflows: ["contract"],
  runs: ["contract"],
  results: ["contract", "runs"],
  ui: ["contract", "runs", "results"],
  engine: ["contract", "pipelines", "workflows", "activities", "runs", "model"],
  cli: ["contract", "engine", "pipelines", "workflows", "activities", "runs", "model", "results", "ui"],
};
/** Folders whose code runs in the workflow sandbox or must stay pure: no Node built-ins. */
const NO_NODE = ["contract", "workflows"];
const NO_PACKAGES = ["contract"];
const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), "..", ".."));
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

interface Import {
  from: string;
  spec: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === "node_modules" ? [] : sourceFiles(p);
    return /\.(ts|js|mjs)$/.test(name) ? [p] : [];
  });
}

function importsOf(folder: string): Import[] {
  return sourceFiles(join(ROOT, folder)).flatMap((file) => {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    return info.importedFiles.map((f) => ({ from: relative(ROOT, file), spec: f.fileName }));
  });
}

function targetFolder(imp: Import): string | undefined {
  if (!imp.spec.startsWith(".")) return undefined;
  return normalize(join(dirname(imp.from), imp.spec)).split(/[\\/]/)[0];
}

test("each folder imports only the folders below it (type-only imports included)", () => {
  const violations: string[] = [];
  for (const [folder, allowed] of Object.entries(MAY_IMPORT)) {
    for (const imp of importsOf(folder)) {
      const target = targetFolder(imp);
      if (target && target !== folder && !allowed.includes(target)) violations.push(`${imp.from} imports ${imp.spec} (${folder}/ may import ${allowed.join(", ") || "nothing of ours"})`);
    }
  }
  assert.deepEqual(violations, []);
});

test("no folder-level import cycle", () => {
  const edges = new Map<string, Set<string>>();
  for (const folder of Object.keys(MAY_IMPORT)) {
    edges.set(folder, new Set(importsOf(folder).map(targetFolder).filter((t): t is string => !!t && t !== folder && t in MAY_IMPORT)));
  }
  const cycles: string[] = [];
  const visit = (node: string, path: string[]) => {
    for (const next of edges.get(node) ?? []) {
      if (path.includes(next)) cycles.push([...path.slice(path.indexOf(next)), next].join(" -> "));
      else visit(next, [...path, next]);
    }
  };
  for (const folder of edges.keys()) visit(folder, [folder]);
  assert.deepEqual(cycles, []);
});

test("contract/ and workflows/ import no Node built-in; contract/ imports no package", () => {
  const violations: string[] = [];
  for (const folder of NO_NODE) {
    for (const imp of importsOf(folder)) {
      if (NODE_BUILTINS.has(imp.spec)) violations.push(`${imp.from} imports ${imp.spec}`);
      if (NO_PACKAGES.includes(folder) && !imp.spec.startsWith(".")) violations.push(`${imp.from} imports the package ${imp.spec}`);
    }
  }
  assert.deepEqual(violations, []);
});
