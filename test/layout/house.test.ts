// The house's rules that are not about imports: every test file runs in some `npm test` layer;
// every project path that docs, comments and published schemas name exists; small files are
// entry points, not fragments; a folder of many files has a README that maps it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), "..", ".."));
const SKIP = new Set(["node_modules", "dist", ".git", ".tools", ".venv", "test-artifacts"]);
/** The project's own folders: a path in a doc or a comment that starts with one of them is a claim
 *  about this repository. */
const TOP = ["activities", "bench", "bin", "cli", "contract", "docs", "engine", "mmada", "model", "pipelines", "results", "runs", "schemas", "scripts", "test", "ui", "workflows"];
/** Source files under 30 lines that are entry points (a process, a bundle, a config, a library's
 *  public entry), not fragments. */
const SMALL_ENTRIES = new Set(["workflows/index.ts", "drizzle.config.ts"]);
/** ... and so are the commands (one each, bundled as its own chunk) and the MMaDA library's entries. */
const isSmallEntry = (f: string) => SMALL_ENTRIES.has(f) || /^cli\/commands\/[^/]+\.ts$/.test(f) || /^mmada\/[^/]+\.ts$/.test(f);
const MIN_LINES = 30;
const MAX_FILES_WITHOUT_README = 15;

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    if (SKIP.has(name) || name.startsWith(".mmada")) return [];
    const rel = dir ? `${dir}/${name}` : name;
    return statSync(join(ROOT, rel)).isDirectory() ? walk(rel) : [rel];
  });
}
/** The repository's files: in a git checkout what git tracks or would add (a developer's ignored
 *  scratch folders are not the house), else every file outside the tools' folders. */
function repositoryFiles(): string[] {
  try {
    const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return listed.split("\n").filter((f) => f && existsSync(join(ROOT, f)) && !f.split("/").some((part) => SKIP.has(part)));
  } catch {
    return walk("");
  }
}
const FILES = repositoryFiles();

function globRegex(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
}

test("every test file runs in some npm test layer", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const runners = [...Object.entries(pkg.scripts).filter(([k]) => k.startsWith("test")).map(([, v]) => v), readFileSync(join(ROOT, "scripts/test-backends.sh"), "utf8")];
  const globs = runners.flatMap((r) => r.match(/test\/\S+\.test\.ts/g) ?? []).map(globRegex);
  const orphans = FILES.filter((f) => f.startsWith("test/") && f.endsWith(".test.ts") && !globs.some((g) => g.test(f)));
  assert.deepEqual(orphans, [], "add these to a test:* script in package.json");
});

/** Text where a project path may be named: markdown, comments of sources, schema descriptions. */
function namingText(file: string): string {
  const text = readFileSync(join(ROOT, file), "utf8");
  if (/\.(ts|mjs|js)$/.test(file)) return (text.match(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g) ?? []).join("\n");
  return text;
}

test("every project path named in docs, comments and schemas exists", () => {
  const sources = FILES.filter(
    (f) => /\.(md|ts|mjs|json|yaml|sh|py)$/.test(f) && !f.startsWith("test/spec/corpus/") && !f.startsWith("test/workflow/histories/") && f !== "package-lock.json" && !f.startsWith("runs/migrations/"),
  );
  const missing: string[] = [];
  const PATH = /(?<![\w./<>$@=-])((?:\.\.?\/)?(?:[A-Za-z0-9_.-]+\/)+[A-Za-z0-9_.-]+\.(?:ts|md|json|yaml|sh|py|mjs|js|cc|h))\b/g;
  for (const file of sources) {
    for (const m of namingText(file).matchAll(PATH)) {
      const p = m[1]!;
      const top = p.split("/")[0]!;
      if (!p.startsWith("./") && !p.startsWith("../") && !TOP.includes(top)) continue;
      // relative to the repository, to the file, or to a folder above the file (`kit/x.ts` in activities/)
      const bases = ["", dirname(file)];
      for (let d = dirname(file); d !== "." && d !== ""; d = dirname(d)) bases.push(d);
      if (!bases.some((b) => existsSync(join(ROOT, b, p)))) missing.push(`${file}: ${p}`);
    }
  }
  assert.deepEqual([...new Set(missing)], []);
});

/** Files a run writes into a workspace or an artifact, which READMEs name but no checkout holds. */
const RUNTIME_FILES = new Set(["meta.json", "manifest.json", "server.json", "pool.json", "workspace.json", "scores.json", "report.json", "predictions.json"]);

test("every file a folder's README names by itself (`name.ts`) exists: in that folder, or in the project", () => {
  const missing: string[] = [];
  const anywhere = new Set(FILES.map((f) => f.slice(f.lastIndexOf("/") + 1)));
  for (const readme of FILES.filter((f) => f.endsWith("/README.md") && !f.startsWith("test/spec/corpus/"))) {
    for (const m of readFileSync(join(ROOT, readme), "utf8").matchAll(/`([A-Za-z0-9_.-]+\.(?:ts|md|json|yaml|sh|py|mjs|cc|h))`/g)) {
      if (!anywhere.has(m[1]!) && !RUNTIME_FILES.has(m[1]!)) missing.push(`${readme}: ${m[1]}`);
    }
  }
  assert.deepEqual([...new Set(missing)], []);
});

test("source files under 30 lines are entry points, not fragments", () => {
  const small = FILES.filter((f) => /\.(ts|mjs)$/.test(f) && !f.startsWith("test/") && !isSmallEntry(f))
    .filter((f) => readFileSync(join(ROOT, f), "utf8").split("\n").length - 1 < MIN_LINES);
  assert.deepEqual(small, [], "merge them into the module they serve, or list a real entry point in SMALL_ENTRIES");
});

test("a folder of more than 15 files has a README that maps it", () => {
  const byFolder = new Map<string, string[]>();
  for (const f of FILES.filter((x) => !x.startsWith("test/"))) byFolder.set(dirname(f), [...(byFolder.get(dirname(f)) ?? []), f]);
  const unmapped = [...byFolder.entries()].filter(([dir, fs]) => fs.length > MAX_FILES_WITHOUT_README && !fs.includes(`${dir}/README.md`)).map(([dir]) => relative(".", dir));
  assert.deepEqual(unmapped, []);
});
