// The workspace (MMADA_HOME, default ./.mmada): run database, artifact store, checkpoints, the
// embedded Temporal server's state, cached workflow bundles. Every path an activity touches is
// resolved here and must stay inside the workspace.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { StepFailure } from "../../contract/failures.ts";

export interface Workspace {
  root: string;
  /** Stable random id of this workspace; names its database task queue. */
  id: string;
  dbFile: string;
}

export class PathEscapeError extends StepFailure {
  constructor(readonly path: string, readonly root: string) {
    super("PathEscape", `path '${path}' resolves outside the workspace ${root}; use a path inside it`);
  }
}

export function workspaceRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MMADA_HOME ?? ".mmada");
}

export function openWorkspace(root = workspaceRoot()): Workspace {
  mkdirSync(root, { recursive: true });
  const idFile = join(root, "workspace.json");
  if (!existsSync(idFile)) {
    writeFileSync(idFile, JSON.stringify({ id: randomBytes(6).toString("hex") }) + "\n", { flag: "wx" });
  }
  const { id } = JSON.parse(readFileSync(idFile, "utf8")) as { id: string };
  return { root, id, dbFile: join(root, "runs.db") };
}

/** Absolute path of a workspace-relative path; refuses anything that escapes the workspace. */
export function inWorkspace(root: string, rel: string): string {
  const abs = resolve(root, rel);
  const back = relative(root, abs);
  if (back.startsWith("..") || isAbsolute(back)) throw new PathEscapeError(rel, root);
  return abs;
}
