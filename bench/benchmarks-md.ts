// BENCHMARKS.md is written by the benchmarks themselves: each owns one `## <title>` section and
// replaces it (or appends it) with what it just measured, leaving every other section as it was.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCHMARKS_MD = join(resolve(fileURLToPath(new URL("..", import.meta.url))), "BENCHMARKS.md");

/** Replaces the section `## <title>` of BENCHMARKS.md by `body` (appended when there is none). */
export function writeSection(title: string, body: string, file = BENCHMARKS_MD): void {
  const doc = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const section = `## ${title}\n\n${body.trim()}\n`;
  const start = doc.search(new RegExp(`^## ${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`, "m"));
  if (start < 0) return writeFileSync(file, `${doc.trimEnd()}\n\n${section}`);
  const next = doc.slice(start + 1).search(/^## /m);
  writeFileSync(file, `${doc.slice(0, start)}${section}${next < 0 ? "" : `\n${doc.slice(start + 1 + next)}`}`);
}
