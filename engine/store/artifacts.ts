// Content-addressed artifact store inside the workspace: artifacts/<sha[0:2]>/<sha>/<name>.
// A file is hashed, copied to a temp name beside its final place, then renamed, so a crash never
// leaves a half-written artifact under a valid hash. Directories hash their sorted manifest.
//
// What may enter: a step's outputs are moved in from its own scratch folder and must be plain files
// and folders there (a symlink, or a path that resolves elsewhere, is refused: the store never moves
// or deletes anything outside the workspace); project input files are copied in, and what they
// resolve to (realpath, symlinks inside folders included) must stay inside the allowed roots.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { cp, lstat, mkdir, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import type { ArtifactRef } from "../../contract/step-io.ts";
import { StepFailure } from "../../contract/failures.ts";
import { inWorkspace } from "./workspace.ts";

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    const st = entry.isSymbolicLink() ? await stat(p) : undefined; // checked by the caller (putArtifact)
    if (entry.isDirectory() || st?.isDirectory()) out.push(...(await listFiles(p)));
    else if (entry.isFile() || st?.isFile()) out.push(p);
  }
  return out.sort();
}

/** One file of a directory artifact: its path inside the directory ("/"-separated) and content. */
export interface ManifestEntry {
  path: string;
  sha256: string;
  size: number;
}

/** What hashing a file or directory finds; `files` for a directory, sorted by path. */
export interface HashedPath {
  sha256: string;
  size: number;
  isDir: boolean;
  files?: ManifestEntry[];
}

/** The hash of a directory: of its manifest's `path\0sha256\n` lines, sorted by path. Computable
 *  from the manifest alone, so a remote copy's manifest is checked before its files are fetched. */
export function manifestHash(files: ManifestEntry[]): string {
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.path}\0${f.sha256}\n`);
  return h.digest("hex");
}

/** sha256 and total size of a file or a directory (with its manifest). */
export async function hashPath(path: string): Promise<HashedPath> {
  const st = await stat(path);
  if (!st.isDirectory()) return { sha256: await sha256File(path), size: st.size, isDir: false };
  const files: ManifestEntry[] = [];
  for (const file of await listFiles(path)) {
    files.push({ path: relative(path, file).split(sep).join("/"), sha256: await sha256File(file), size: (await stat(file)).size });
  }
  return { sha256: manifestHash(files), size: files.reduce((n, f) => n + f.size, 0), isDir: true, files };
}

export interface PutOptions {
  name?: string;
  /** Move the source in (a step's own output) instead of copying it (a project file). */
  move?: boolean;
  meta?: ArtifactRef["meta"];
  /** Folders the source (and everything under it, symlinks resolved) must stay inside. */
  within?: string[];
  /** The content hash of a file source, when its writer computed it while writing (a checkpoint):
   *  then its bytes are not read again. */
  hash?: { sha256: string; size: number };
}

/** Moves (or copies) a file or directory into the store; returns its reference. Idempotent. */
export async function putArtifact(root: string, src: string, kind: string, opts: PutOptions = {}): Promise<ArtifactRef> {
  return (await storeArtifact(root, src, kind, opts)).ref;
}

/** putArtifact, with what hashing found (a directory's manifest: a remote copy is made of it). */
export async function storeArtifact(root: string, src: string, kind: string, opts: PutOptions = {}): Promise<{ ref: ArtifactRef; hashed: HashedPath }> {
  await checkSource(src, opts);
  const hashed: HashedPath = opts.hash && (await stat(src)).isFile() ? { ...opts.hash, isDir: false } : await hashPath(src);
  const { sha256, size } = hashed;
  const name = opts.name ?? basename(src);
  const uri = ["artifacts", sha256.slice(0, 2), sha256, name].join("/");
  const dest = inWorkspace(root, uri);
  const exists = await stat(dest).then(() => true, () => false);
  if (!exists) {
    await mkdir(join(dest, ".."), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`;
    try {
      if (opts.move) await rename(src, tmp).catch(() => cp(src, tmp, { recursive: true }));
      else await cp(src, tmp, { recursive: true, dereference: true });
    } catch (err) {
      // a copy cut short (a full disk) leaves no half-written temp file behind
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    await rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
      // another worker stored the same content first: same bytes, keep theirs
      await rm(tmp, { recursive: true, force: true });
      if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
    });
  } else if (opts.move) {
    await rm(src, { recursive: true, force: true });
  }
  return { ref: { sha256, uri, kind, size, ...(opts.meta ? { meta: opts.meta } : {}) }, hashed };
}

/** Refuses a source the store must not take: symlinked outputs, anything resolving outside `within`. */
export async function checkSource(src: string, opts: PutOptions): Promise<void> {
  const roots = await Promise.all((opts.within ?? []).map((r) => realpath(r).catch(() => r)));
  const inside = (p: string) => roots.length === 0 || roots.some((r) => p === r || p.startsWith(r + sep));
  const visit = async (p: string): Promise<void> => {
    const st = await lstat(p);
    if (st.isSymbolicLink()) {
      if (opts.move) throw new StepFailure("PathEscape", `'${p}' is a symbolic link; a step's outputs must be the files and folders it wrote under $MMADA_OUT`);
      const target = await realpath(p);
      if (!inside(target)) throw new StepFailure("PathEscape", `'${p}' resolves to '${target}', outside ${opts.within!.join(" and ")}; inputs must stay inside the project or the workspace`);
      const tst = await stat(target);
      if (tst.isDirectory()) await Promise.all((await readdir(target)).map((e) => visit(join(target, e))));
      return;
    }
    if (st.isDirectory()) await Promise.all((await readdir(p)).map((e) => visit(join(p, e))));
  };
  const real = await realpath(src);
  if (!inside(real)) {
    throw new StepFailure("PathEscape", `'${src}' resolves to '${real}', outside ${opts.within!.join(" and ")}` + (opts.move ? "; a step's outputs must be written under $MMADA_OUT" : "; inputs must stay inside the project or the workspace"));
  }
  await visit(src);
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
