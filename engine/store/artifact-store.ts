// The workspace's store of artifacts, checkpoints and step logs, behind one small interface with two
// backends: the local folder (the default: MMADA_HOME holds everything) and an S3-compatible bucket
// (MMADA_STORE=s3://bucket/prefix: the bucket holds everything, and each machine keeps copies of
// what its steps read in its own MMADA_HOME, a cache with a size limit). Every path a caller gets is
// a local path inside the workspace; with a bucket, `fetch` makes it present first.
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ArtifactRef } from "../../contract/step-io.ts";
import { artifactPath, type PutOptions, putArtifact, verifyArtifact } from "./artifacts.ts";
import { inWorkspace } from "./workspace.ts";

/** Where a workspace's objects live. */
export interface BucketAddress {
  bucket: string;
  /** Key prefix, without a trailing slash ("" for the bucket's root). */
  prefix: string;
}

/** A failure of the object store, in one line that names the object and what to do. `retryable`:
 *  whether trying again later can help (an endpoint down or slow) or not (no bucket, bad keys). */
export class StoreError extends Error {
  /** `object`: the bucket-relative name of the object at fault, when one is. */
  constructor(message: string, readonly retryable: boolean, readonly code: string, readonly object?: string) {
    super(message);
    this.name = "StoreError";
  }
}

/** Parses `s3://bucket[/prefix]`; a located error for anything else. */
export function parseBucketUrl(url: string): BucketAddress {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new StoreError(`MMADA_STORE='${url}' is not an s3://bucket[/prefix] address (bucket names: 3-63 lowercase letters, digits, dots, dashes)`, false, "BadStoreUrl");
  return { bucket: m[1]!, prefix: (m[2] ?? "").replace(/\/+$/, "") };
}

/** One thing the store holds, as `mmada gc` sees it: an artifact (`artifacts/xx/<sha>/<name>`) or a
 *  checkpoint folder (`checkpoints/<key>`). */
export interface StoredEntry {
  uri: string;
  size: number;
  modified: Date;
}

export interface ArtifactStore {
  /** "local", or the bucket's `s3://bucket/prefix`: each step's task carries it, and a worker of
   *  another store refuses the step. */
  readonly url: string;
  /** The workspace folder on this machine (with a bucket: the cache of local copies). */
  readonly root: string;
  /** Moves (a step's output) or copies (a project file) `src` into the store. */
  put(src: string, kind: string, opts?: PutOptions): Promise<ArtifactRef>;
  /** Makes the artifacts present on this machine (fetched and verified when remote) and keeps them
   *  there until `release` is called. */
  fetch(refs: ArtifactRef[]): Promise<{ release(): Promise<void> }>;
  /** The local path of an artifact (present after `fetch`). */
  pathOf(ref: ArtifactRef): string;
  /** Present with its content intact (the cache decision asks before reusing an output). */
  has(ref: ArtifactRef): Promise<boolean>;
  /** Before a step runs: its checkpoint folder and log as the store holds them. */
  pullStep(checkpointDir: string, logFile: string): Promise<void>;
  /** After a checkpoint was written (and old ones pruned) in `checkpointDir`: the store mirrors the
   *  folder; `hash` is the new checkpoint's, which its writer computed. */
  pushCheckpoints(checkpointDir: string, file: string, hash: { sha256: string; size: number }): Promise<void>;
  /** The step log (workspace-relative), as it is now. */
  pushLog(logFile: string): Promise<void>;
  /** After a step succeeded: this machine's copy of its checkpoint folder is not needed any more
   *  (with a bucket, which keeps the folder; the folder backend keeps it where it is). */
  dropLocalCheckpoints(checkpointDir: string): Promise<void>;
  /** Makes a log (workspace-relative) present locally as the store has it; false when it has none. */
  fetchLog(logFile: string): Promise<boolean>;
  /** Everything stored, for `mmada gc`; `remove` deletes some of it. */
  entries(): Promise<StoredEntry[]>;
  remove(uris: string[]): Promise<void>;
  close(): void;
}

/** The default backend: the workspace folder itself. */
export function localStore(root: string): ArtifactStore {
  return {
    url: "local",
    root,
    put: (src, kind, opts) => putArtifact(root, src, kind, opts),
    fetch: async () => ({ release: async () => {} }),
    pathOf: (ref) => artifactPath(root, ref),
    has: (ref) => verifyArtifact(root, ref),
    pullStep: async () => {},
    pushCheckpoints: async () => {},
    pushLog: async () => {},
    dropLocalCheckpoints: async () => {},
    fetchLog: async (logFile) => (await stat(inWorkspace(root, logFile)).catch(() => undefined))?.isFile() ?? false,
    entries: () => localEntries(root),
    remove: async (uris) => {
      for (const uri of uris) await rm(inWorkspace(root, uri), { recursive: true, force: true });
    },
    close: () => {},
  };
}

/** The artifacts (`artifacts/xx/<sha>/<name>`) and checkpoint folders of a workspace folder. */
export async function localEntries(root: string): Promise<StoredEntry[]> {
  const out: StoredEntry[] = [];
  const ls = (dir: string) => readdir(dir, { withFileTypes: true }).catch(() => []);
  const artifacts = join(root, "artifacts");
  for (const shard of await ls(artifacts)) {
    for (const sha of await ls(join(artifacts, shard.name))) {
      for (const name of await ls(join(artifacts, shard.name, sha.name))) {
        if (name.name.startsWith(".")) continue; // a cache's lease and use markers
        const uri = `artifacts/${shard.name}/${sha.name}/${name.name}`;
        out.push({ uri, ...(await sizeOf(join(root, uri))) });
      }
    }
  }
  for (const dir of await ls(join(root, "checkpoints"))) {
    if (dir.isDirectory()) out.push({ uri: `checkpoints/${dir.name}`, ...(await sizeOf(join(root, "checkpoints", dir.name))) });
  }
  return out;
}

/** Total size and newest modification time of a file or folder. */
export async function sizeOf(path: string): Promise<{ size: number; modified: Date }> {
  const st = await stat(path);
  if (!st.isDirectory()) return { size: st.size, modified: st.mtime };
  let size = 0;
  let modified = st.mtime;
  for (const e of await readdir(path)) {
    const sub = await sizeOf(join(path, e));
    size += sub.size;
    if (sub.modified > modified) modified = sub.modified;
  }
  return { size, modified };
}
