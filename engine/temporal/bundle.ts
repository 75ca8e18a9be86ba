// The workflow bundle (webpack, seconds to tens of seconds) is built once per source version and
// cached in the project's .tools/bundles, so every later command, in any workspace, starts its
// worker quickly.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleWorkflowCode } from "@temporalio/worker";
import { PROJECT_ROOT as ROOT } from "../project.ts";
import { hashFiles, sourceClosure } from "../source-hash.ts";

const WORKFLOWS = join(ROOT, "workflows");
/** The bundle is rebuilt when the workflow code, anything it imports, or the locked SDK changes. */
function sourceHash(): string {
  return hashFiles([...sourceClosure([join(WORKFLOWS, "index.ts")]), join(ROOT, "package-lock.json")]);
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
