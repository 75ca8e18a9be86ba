// Content-addressed artifact store inside the workspace: artifacts/<sha[0:2]>/<sha>/<name>.
// A file is hashed, copied to a temp name beside its final place, then renamed, so a crash never
// leaves a half-written artifact under a valid hash. Directories hash their sorted manifest.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { cp, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import type { ArtifactRef } from "../../contract/artifacts.ts";
import { inWorkspace } from "./workspace.ts";

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(p)));
    else if (entry.isFile()) out.push(p);
  }
  return out.sort();
}

/** sha256 and total size of a file or a directory (hash of `relpath\0filehash\n` lines, sorted). */
export async function hashPath(path: string): Promise<{ sha256: string; size: number; isDir: boolean }> {
  const st = await stat(path);
  if (!st.isDirectory()) return { sha256: await sha256File(path), size: st.size, isDir: false };
  const manifest = createHash("sha256");
  let size = 0;
  for (const file of await listFiles(path)) {
    const rel = relative(path, file).split(sep).join("/");
    manifest.update(`${rel}\0${await sha256File(file)}\n`);
    size += (await stat(file)).size;
  }
  return { sha256: manifest.digest("hex"), size, isDir: true };
}

/** Moves (or copies) a file or directory into the store; returns its reference. Idempotent. */
export async function putArtifact(
  root: string,
  src: string,
  kind: string,
  opts: { name?: string; move?: boolean; meta?: ArtifactRef["meta"] } = {},
): Promise<ArtifactRef> {
  const { sha256, size } = await hashPath(src);
  const name = opts.name ?? basename(src);
  const uri = ["artifacts", sha256.slice(0, 2), sha256, name].join("/");
  const dest = inWorkspace(root, uri);
  const exists = await stat(dest).then(() => true, () => false);
  if (!exists) {
    await mkdir(join(dest, ".."), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`;
    if (opts.move) await rename(src, tmp).catch(() => cp(src, tmp, { recursive: true }));
    else await cp(src, tmp, { recursive: true });
    await rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
      // another worker stored the same content first: same bytes, keep theirs
      await rm(tmp, { recursive: true, force: true });
      if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
    });
  } else if (opts.move) {
    await rm(src, { recursive: true, force: true });
  }
  return { sha256, uri, kind, size, ...(opts.meta ? { meta: opts.meta } : {}) };
}

/** Absolute path of an artifact. */
export function artifactPath(root: string, ref: ArtifactRef): string {
  return inWorkspace(root, ref.uri);
}

/** True when the artifact is present and its content still matches its hash. */
export async function verifyArtifact(root: string, ref: ArtifactRef): Promise<boolean> {
  try {
    return (await hashPath(artifactPath(root, ref))).sha256 === ref.sha256;
  } catch {
    return false;
  }
}
