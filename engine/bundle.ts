// The workflow bundle (webpack, seconds to tens of seconds) is built once per source version and
// cached in the project's .tools/bundles, so every later command, in any workspace, starts its
// worker quickly.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWorkflowCode } from "@temporalio/worker";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WORKFLOWS = join(ROOT, "workflows");
/** Files the workflow bundle includes besides workflows/ (type-only imports erase, but be safe). */
const ALSO = ["pipelines/plan.ts", "activities/types.ts", "package-lock.json"];

function sourceHash(): string {
  const h = createHash("sha256");
  const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".ts")).sort().map((f) => join(WORKFLOWS, f));
  for (const f of [...files, ...ALSO.map((p) => join(ROOT, p))]) {
    if (existsSync(f)) h.update(f).update(readFileSync(f));
  }
  return h.digest("hex").slice(0, 16);
}

export async function workflowBundle(): Promise<{ code: string }> {
  const dir = join(ROOT, ".tools", "bundles");
  const file = join(dir, `workflows-${sourceHash()}.js`);
  if (existsSync(file)) return { code: readFileSync(file, "utf8") };
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(WORKFLOWS, "index.ts"),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
  });
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file);
  return { code };
}
