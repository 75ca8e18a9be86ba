// The house's one-way imports, read from the code: every folder imports only the folders below it,
// type-only imports included; there is no import cycle between folders at any depth (sub-folders
// of one folder included); the MMaDA library is entered through its public entry; workflows/ and
// contract/ import no Node built-in; contract/ imports no package at all; model/ imports nothing of ours.
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
  mmada: ["contract", "model"],
  pipelines: ["contract", "schemas"],
  activities: ["contract", "model", "mmada"],
  workflows: ["contract"],
  runs: ["contract"],
  results: ["contract", "runs"],
  ui: ["contract", "runs", "results"],
  engine: ["contract", "pipelines", "workflows", "activities", "runs"],
  cli: ["contract", "engine", "pipelines", "workflows", "activities", "runs", "model", "mmada", "results", "ui"],
  bench: ["contract", "engine", "pipelines", "activities", "runs", "model", "mmada", "results", "cli"],
};
/** The library's public entries, the files directly in mmada/: code outside mmada/ imports it from
 *  these only (spec.ts is the compile-time one, which step kinds' definitions use so that compiling
 *  a spec loads no model; one entry per area keeps a kind's version to the code it really uses). */
const isMmadaEntry = (path: string) => /^mmada\/[^/]+\.ts$/.test(path);
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

test("no import cycle between the sub-folders of any folder", () => {
  // each import between two files adds an edge between the sibling folders that hold them under
  // their deepest common folder: activities/train -> activities/kit, mmada/eval -> mmada/data. The
  // files directly in a folder (its entry points and shared helpers: cli/main.ts and cli/terminal.ts,
  // mmada/eval.ts) are the folder itself, which contains its sub-folders: no sibling of them.
  const edges = new Map<string, Set<string>>();
  const sibling = (parts: string[], depth: number) => (depth >= parts.length - 1 ? undefined : parts.slice(0, depth + 1).join("/"));
  for (const folder of Object.keys(MAY_IMPORT)) {
    for (const imp of importsOf(folder)) {
      if (!imp.spec.startsWith(".")) continue;
      const from = imp.from.split("/");
      const to = normalize(join(dirname(imp.from), imp.spec)).split(/[\\/]/);
      let i = 0;
      while (i < from.length - 1 && i < to.length - 1 && from[i] === to[i]) i++;
      if (i === 0) continue; // between top-level folders: the test above
      const a = sibling(from, i);
      const b = sibling(to, i);
      if (a === undefined || b === undefined || a === b) continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)!.add(b);
    }
  }
  const cycles = new Set<string>();
  const visit = (node: string, path: string[]) => {
    for (const next of edges.get(node) ?? []) {
      if (path.includes(next)) cycles.add([...path.slice(path.indexOf(next)), next].join(" -> "));
      else visit(next, [...path, next]);
    }
  };
  for (const node of edges.keys()) visit(node, [node]);
  assert.deepEqual([...cycles], []);
});

test("code outside mmada/ enters the library through its public entries", () => {
  const violations: string[] = [];
  for (const folder of Object.keys(MAY_IMPORT).filter((f) => f !== "mmada")) {
    for (const imp of importsOf(folder)) {
      if (!imp.spec.startsWith(".")) continue;
      const target = normalize(join(dirname(imp.from), imp.spec));
      if (target.startsWith("mmada/") && !isMmadaEntry(target)) violations.push(`${imp.from} imports ${imp.spec}; import it from the library's entry for that area (mmada/*.ts)`);
    }
  }
  assert.deepEqual(violations, []);
});

test("the worker's code version covers every file a worker process runs", async () => {
  const { sourceClosure, WORKER_CODE } = await import("../../engine/project.ts");
  const entries = ["engine/temporal/worker.ts", "engine/pool/daemon.ts", "workflows/index.ts", "activities/registry.ts"];
  const outside = sourceClosure(entries.map((e) => join(ROOT, e)))
    .map((f) => relative(ROOT, f))
    .filter((f) => !WORKER_CODE.includes(f.split("/")[0]!));
  assert.deepEqual(outside, [], "files a worker runs outside WORKER_CODE: long-lived workers would miss their changes");
});
