// Reading files of the workspace on behalf of a viewer (the UI's file route, the exported report):
// only regular files inside the workspace's output folders, judged after every symlink is resolved,
// so neither `..` in a path nor a symlink planted inside the workspace reaches anything outside it.
import { readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";

/** Top-level folders of the workspace whose files viewers may read (artifacts, step logs). */
export const READABLE_FOLDERS: readonly string[] = ["artifacts", "logs"];

export type EntryKind = "file" | "dir";

/**
 * The real absolute path of `rel` (workspace-relative, e.g. an artifact uri) when it is an entry of
 * that kind inside one of READABLE_FOLDERS; undefined for anything else (missing, outside, escaping).
 */
export function workspaceEntry(root: string, rel: string, kind: EntryKind = "file"): string | undefined {
  if (rel.length === 0 || rel.includes("\0") || isAbsolute(rel)) return undefined;
  let realRoot: string;
  let real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(resolve(realRoot, rel));
  } catch {
    return undefined; // missing, or a dangling symlink
  }
  const inside = relative(realRoot, real);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) return undefined;
  if (!READABLE_FOLDERS.includes(inside.split(sep)[0]!)) return undefined;
  try {
    const stat = statSync(real);
    return (kind === "file" ? stat.isFile() : stat.isDirectory()) ? real : undefined;
  } catch {
    return undefined;
  }
}

/** Parsed JSON of a readable workspace file; undefined when it is not one or not JSON. */
export function readWorkspaceJson(root: string, rel: string): unknown {
  const file = workspaceEntry(root, rel);
  if (file === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}
