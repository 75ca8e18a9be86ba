#!/usr/bin/env node
// The mmada command: the built CLI (dist/, written by `npm install` / `npm run build`) when it is
// at least as new as every source file, else the TypeScript sources through tsx (development,
// or a checkout whose build failed). MMADA_DEV=1 always takes the sources.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SOURCES = ["cli", "contract", "engine", "pipelines", "workflows", "activities", "mmada", "runs", "model", "results", "ui", "schemas"];

/** True when dist/ was built from this checkout after its sources last changed. */
function builtIsCurrent() {
  const stamp = join(ROOT, "dist", "build.json");
  if (!existsSync(stamp)) return false;
  try {
    if (JSON.parse(readFileSync(stamp, "utf8")).root !== ROOT.replace(/\/$/, "")) return false;
  } catch {
    return false;
  }
  const builtAt = statSync(stamp).mtimeMs;
  const newer = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return e.name !== "build" && e.name !== "node_modules" && newer(p);
      return /\.(ts|json)$/.test(e.name) && statSync(p).mtimeMs > builtAt;
    });
  return !SOURCES.some((d) => existsSync(join(ROOT, d)) && newer(join(ROOT, d))) && statSync(join(ROOT, "package-lock.json")).mtimeMs <= builtAt;
}

if (!process.env.MMADA_DEV && builtIsCurrent()) {
  await import("../dist/main.js");
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../cli/main.ts");
}
