// bin/mmada.js runs the built CLI (dist/) only while it is at least as new as every source folder it
// watches: a source folder it does not watch would let an edited checkout run stale code (the MMaDA
// library's move to mmada/ once did). Every top-level folder of TypeScript the CLI can reach is watched.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";

/** Folders of code the CLI never imports: tests, benchmarks, install scripts. */
const NOT_THE_CLI = ["test", "bench", "scripts", "node_modules", "dist"];

it("bin/mmada.js watches every top-level source folder for a stale build", () => {
  const watched = JSON.parse(/const SOURCES = (\[[^\]]*\]);/.exec(readFileSync("bin/mmada.js", "utf8"))![1]!) as string[];
  const hasTs = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? e.name !== "node_modules" && hasTs(join(dir, e.name)) : e.name.endsWith(".ts")));
  const sourceFolders = readdirSync(".", { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith(".") && !NOT_THE_CLI.includes(e.name) && hasTs(e.name))
    .map((e) => e.name);
  assert.deepEqual(sourceFolders.filter((d) => !watched.includes(d)), []);
  for (const d of watched) assert.ok(existsSync(d), `bin/mmada.js watches ${d}/, which does not exist`);
});
