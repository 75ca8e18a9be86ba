// The bucket backend of the artifact store (MMADA_STORE=s3://bucket/prefix). The bucket holds the
// truth under the same names as the local layout: `artifacts/xx/<sha>/<name>` (a file's bytes, or a
// directory's manifest, written after its files, whose hash is the directory's), `checkpoints/<key>/`
// (mirrored after each checkpoint) and `logs/<run>/<step>.log`. Objects under a content hash are
// written once. This machine's MMADA_HOME keeps copies of what its steps read and wrote: a cache
// with a size limit (least recently used first), shared safely by the workers of one machine: a step
// holds a lease on its inputs while it runs, and eviction (under a lock) skips what is leased and
// what was used in the last minutes (an output being uploaded).
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileSafe } from "../../contract/ids.ts";
import type { ArtifactRef } from "../../contract/step-io.ts";
import { type ArtifactStore, sizeOf, type StoredEntry } from "./artifact-store.ts";
import { artifactPath, hashPath, type ManifestEntry, manifestHash, type PutOptions, storeArtifact, type HashedPath } from "./artifacts.ts";
import type { Bucket, ObjectInfo } from "./bucket.ts";
import { StoreError } from "./artifact-store.ts";
import { inWorkspace, processAlive, withFileLock } from "./workspace.ts";

/** The default size limit of a machine's local copies (MMADA_CACHE_SIZE overrides: 500M, 20G, ...). */
const DEFAULT_CACHE_BYTES = 20 * 2 ** 30;
const LEASE = ".lease-";
/** Copies used this recently stay, whatever the limit (an output between its store and its upload). */
const EVICT_GRACE_MS = 10 * 60_000;
/** A lease of a process on another host (a cache on shared storage) counts this long. */
const FOREIGN_LEASE_MS = 24 * 3600_000;
/** How many times a download that does not match its hash is tried before the object is judged bad. */
const DOWNLOAD_TRIES = 2;

interface Manifest {
  files: ManifestEntry[];
}

/** A size as people write it (500M, 20G, 1.5GiB, 1000000); undefined when none is given. */
export function parseSize(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) throw new StoreError(`MMADA_CACHE_SIZE='${text}' is not a size (e.g. 500M, 20G)`, false, "BadSize");
  return Math.round(Number(m[1]) * 1024 ** "_kmgt".indexOf((m[2] || "_").toLowerCase()));
}

export function bucketStore(root: string, bucket: Bucket, opts: { cacheBytes?: number; evictGraceMs?: number } = {}): ArtifactStore {
  const limit = opts.cacheBytes ?? DEFAULT_CACHE_BYTES;
  const grace = opts.evictGraceMs ?? EVICT_GRACE_MS;
  const lockFile = join(root, "artifacts", ".cache.lock");
  const locked = async <T>(fn: () => Promise<T>) => {
    await mkdir(dirname(lockFile), { recursive: true });
    return withFileLock(lockFile, { timeoutMs: 120_000, staleMs: 10 * 60_000, what: "artifact cache" }, fn);
  };
  const shaDir = (ref: { uri: string }) => dirname(inWorkspace(root, ref.uri));

  /** Uploads an artifact stored locally, unless the bucket has it already. */
  async function upload(ref: ArtifactRef, hashed: HashedPath): Promise<void> {
    const have = await bucket.head(ref.uri);
    if (have?.sha256 === ref.sha256) return;
    const local = artifactPath(root, ref);
    if (!hashed.isDir) return bucket.upload(ref.uri, local, ref.sha256);
    const files = hashed.files ?? (await hashPath(local)).files!;
    for (const f of files) {
      const name = `${ref.uri}/${f.path}`;
      if ((await bucket.head(name))?.sha256 !== f.sha256) await bucket.upload(name, join(local, f.path), f.sha256);
    }
    // the manifest last: an artifact whose manifest is present is complete
    await bucket.putSmall(ref.uri, JSON.stringify({ files } satisfies Manifest), { sha256: ref.sha256, manifest: "1" });
  }

  /** Downloads one artifact into its local place, verified. An object that fails its hash twice is
   *  bad: named in the error, removed from the bucket with its directory's manifest (so the cache
   *  decision sees the artifact gone, and resuming the run stores it again). */
  async function download(ref: ArtifactRef, tries = DOWNLOAD_TRIES): Promise<void> {
    try {
      await downloadOnce(ref);
    } catch (err) {
      if (!(err instanceof StoreError && err.code === "BadObject")) throw err;
      if (tries > 1) return download(ref, tries - 1);
      await bucket.delete([...new Set([err.object ?? ref.uri, ref.uri])]).catch(() => {});
      throw new StoreError(`${err.message}; it was removed from the bucket, so resuming the run stores it again`, false, "BadObject", err.object);
    }
  }

  async function downloadOnce(ref: ArtifactRef): Promise<void> {
    const dest = artifactPath(root, ref);
    await mkdir(dirname(dest), { recursive: true });
    {
      const info = await bucket.head(ref.uri);
      if (!info) throw new StoreError(`${bucket.where(ref.uri)} (${ref.kind}) is missing from the bucket (deleted behind our back?); resume the run to recreate it`, false, "NoSuchKey");
      if (info.meta.manifest !== "1") {
        await bucket.download(ref.uri, dest, ref.sha256);
        return;
      }
      const manifest = JSON.parse((await bucket.getSmall(ref.uri))?.toString("utf8") ?? "{}") as Manifest;
      if (!Array.isArray(manifest.files) || manifestHash(manifest.files) !== ref.sha256) {
        throw new StoreError(`${bucket.where(ref.uri)}: its manifest does not match the directory's content hash ${ref.sha256.slice(0, 12)}…: it was changed or damaged in the bucket and is not used`, false, "BadObject", ref.uri);
      }
      const tmp = `${dest}.part-${process.pid}-${randomBytes(3).toString("hex")}`;
      try {
        for (const f of manifest.files) {
          const file = inWorkspace(root, join(tmp.slice(root.length + 1), f.path));
          await mkdir(dirname(file), { recursive: true });
          await bucket.download(`${ref.uri}/${f.path}`, file, f.sha256);
        }
        await rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err; // another worker was first
        });
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
  }

  /** Leaves least recently used copies until the cache fits its limit; leased ones stay. */
  async function evict(): Promise<void> {
    await locked(async () => {
      const entries = await cacheEntries(root);
      let total = entries.reduce((n, e) => n + e.size, 0);
      const recent = Date.now() - grace;
      for (const e of entries.sort((a, b) => a.used - b.used)) {
        if (total <= limit) break;
        if (e.leased || e.used > recent) continue;
        await rm(e.dir, { recursive: true, force: true });
        total -= e.size;
      }
    });
  }

  /** Mirrors the bucket's copy of a checkpoint folder into the local one (missing or different
   *  files; only plain names inside the folder). A file pruned or rewritten meanwhile is skipped:
   *  the training loop resumes from the newest checkpoint it can load. */
  async function pullFolder(folder: string): Promise<void> {
    await mkdir(inWorkspace(root, folder), { recursive: true });
    for (const o of await bucket.list(`${folder}/`)) {
      const name = o.key.slice(folder.length + 1);
      if (!/^[\w.-]+$/.test(name) || name.startsWith(".")) continue;
      const local = inWorkspace(root, `${folder}/${name}`);
      if ((await stat(local).catch(() => undefined))?.size === o.size && isCheckpointName(o.key)) continue;
      const info = await bucket.head(o.key);
      if (!info) continue;
      await bucket.download(o.key, local, info.sha256).catch((err: unknown) => {
        if (!(err instanceof StoreError && (err.code === "BadObject" || err.code === "NoSuchKey"))) throw err;
      });
    }
  }

  /** Downloads a log (workspace-relative) when the bucket's copy is longer than this machine's: logs
   *  only grow, so a shorter one is older and never replaces a longer one. */
  async function pullLog(logFile: string): Promise<boolean> {
    const info = await bucket.head(logFile);
    if (!info) return false;
    const path = inWorkspace(root, logFile);
    if (((await stat(path).catch(() => undefined))?.size ?? -1) >= info.size) return true;
    await mkdir(dirname(path), { recursive: true });
    await bucket.download(logFile, path, info.sha256);
    return true;
  }

  return {
    url: bucket.url,
    root,

    async put(src: string, kind: string, opts: PutOptions = {}) {
      // a copy just stored counts as just used: eviction leaves it while it uploads
      const { ref, hashed } = await storeArtifact(root, src, kind, opts);
      await touch(shaDir(ref));
      await upload(ref, hashed);
      await evict();
      return ref;
    },

    async fetch(refs) {
      const leases: string[] = [];
      const release = async () => {
        for (const l of leases) await rm(l, { force: true });
      };
      try {
        // leased under the lock: eviction never removes what a step is about to read
        await locked(async () => {
          for (const ref of refs) {
            const dir = shaDir(ref);
            await mkdir(dir, { recursive: true });
            const lease = join(dir, `${LEASE}${fileSafe(hostname())}-${process.pid}-${randomBytes(3).toString("hex")}`);
            await writeFile(lease, "");
            leases.push(lease);
          }
        });
        let added = false;
        for (const ref of refs) {
          const present = await stat(artifactPath(root, ref)).then(() => true, () => false);
          if (!present) (await download(ref), (added = true));
          await touch(shaDir(ref));
        }
        // only what was downloaded can push the copies past their limit
        if (added) await evict();
      } catch (err) {
        await release();
        throw err;
      }
      return { release };
    },

    pathOf: (ref) => artifactPath(root, ref),

    async has(ref) {
      return (await bucket.head(ref.uri))?.sha256 === ref.sha256;
    },

    async pullStep(checkpointDir, logFile) {
      await pullFolder(checkpointDir);
      await pullLog(logFile);
    },

    async pushCheckpoints(checkpointDir, file, hash) {
      const name = relativeName(root, file);
      if ((await bucket.head(name))?.sha256 !== hash.sha256) await bucket.upload(name, file, hash.sha256);
      const names = (await readdir(inWorkspace(root, checkpointDir)).catch(() => [] as string[])).filter((n) => /^[\w.-]+$/.test(n) && !n.startsWith(".") && !/\.(tmp|part)/.test(n));
      const local = new Set(names.map((n) => `${checkpointDir}/${n}`));
      const remote = await bucket.list(`${checkpointDir}/`);
      // the small files beside the checkpoints (their scores) change with each one
      for (const n of local) {
        if (n === name || (isCheckpointName(n) && remote.some((o) => o.key === n))) continue;
        const path = inWorkspace(root, n);
        await bucket.upload(n, path, (await hashPath(path)).sha256);
      }
      // checkpoints older than this one that the folder no longer has were pruned; a newer one in the
      // bucket is another attempt's, and stays
      const step = checkpointStep(name);
      const pruned = remote.filter((o) => isCheckpointName(o.key) && !local.has(o.key) && checkpointStep(o.key) < step).map((o) => o.key);
      if (pruned.length > 0) await bucket.delete(pruned);
    },

    async pushLog(logFile) {
      const path = inWorkspace(root, logFile);
      if (!(await stat(path).then((s) => s.isFile(), () => false))) return;
      await bucket.upload(logFile, path, (await hashPath(path)).sha256);
    },

    async dropLocalCheckpoints(checkpointDir) {
      await rm(inWorkspace(root, checkpointDir), { recursive: true, force: true });
    },

    fetchLog: (logFile) => pullLog(logFile),

    async entries() {
      // grouped by artifact (`artifacts/xx/<sha>/<name>`: a file's object, or a directory's manifest
      // and files, whose content is its files) and by checkpoint folder
      const group = (objects: ObjectInfo[], depth: number) => {
        const out = new Map<string, StoredEntry & { own: number; members: number }>();
        for (const o of objects) {
          const uri = o.key.split("/").slice(0, depth).join("/");
          const e = out.get(uri) ?? { uri, size: 0, modified: new Date(0), own: 0, members: 0 };
          if (o.key === uri) e.own = o.size;
          else (e.members += o.size), (e.size += 1);
          if (o.modified && o.modified > e.modified) e.modified = o.modified;
          out.set(uri, e);
        }
        return [...out.values()].map(({ uri, modified, own, members, size: files }) => ({ uri, modified, size: files > 0 ? members : own }));
      };
      return [...group(await bucket.list("artifacts/"), 4), ...group(await bucket.list("checkpoints/"), 2)];
    },

    async remove(uris) {
      for (const uri of uris) {
        const keys = (await bucket.list(uri)).map((o) => o.key).filter((k) => k === uri || k.startsWith(`${uri}/`));
        await bucket.delete(keys);
        await rm(inWorkspace(root, uri), { recursive: true, force: true });
      }
    },

    close: () => bucket.close(),
  };
}

function isCheckpointName(key: string): boolean {
  return /\/step-\d+\.ckpt$/.test(key);
}

function checkpointStep(key: string): number {
  return Number(/step-(\d+)\.ckpt$/.exec(key)?.[1] ?? Infinity);
}

function relativeName(root: string, file: string): string {
  return file.slice(root.length + 1).split("\\").join("/");
}

async function touch(dir: string): Promise<void> {
  const now = new Date();
  await utimes(dir, now, now).catch(() => {});
}

/** The local copies (one folder per content hash), their size, when last used, and whether a live
 *  process holds a lease on them. */
async function cacheEntries(root: string): Promise<{ dir: string; size: number; used: number; leased: boolean }[]> {
  const out: { dir: string; size: number; used: number; leased: boolean }[] = [];
  const artifacts = join(root, "artifacts");
  for (const shard of await readdir(artifacts).catch(() => [] as string[])) {
    if (shard.startsWith(".")) continue;
    for (const sha of await readdir(join(artifacts, shard)).catch(() => [] as string[])) {
      const dir = join(artifacts, shard, sha);
      const names = await readdir(dir).catch(() => [] as string[]);
      const leases = await Promise.all(names.filter((n) => n.startsWith(LEASE)).map((n) => leaseHeld(join(dir, n))));
      const leased = leases.some(Boolean);
      const st = await stat(dir).catch(() => undefined);
      if (!st) continue;
      out.push({ dir, size: (await sizeOf(dir).catch(() => ({ size: 0 }))).size, used: st.mtimeMs, leased });
    }
  }
  return out;
}

/** A lease (`.lease-<host>-<pid>-<random>`) counts while its process lives; one of another host (a
 *  cache on shared storage), whose process cannot be asked, for a day. */
async function leaseHeld(file: string): Promise<boolean> {
  const parts = file.slice(file.lastIndexOf(LEASE) + LEASE.length).split("-");
  const pid = Number(parts.at(-2));
  if (parts.slice(0, -2).join("-") === fileSafe(hostname())) return processAlive(pid);
  const st = await stat(file).catch(() => undefined);
  return st !== undefined && Date.now() - st.mtimeMs < FOREIGN_LEASE_MS;
}


/** The workspace a bucket prefix belongs to (`workspace.json`, written by its owner). */
export async function bucketOwner(bucket: Bucket): Promise<{ id: string; root: string; host: string } | undefined> {
  const body = await bucket.getSmall("workspace.json");
  return body ? (JSON.parse(body.toString("utf8")) as { id: string; root: string; host: string }) : undefined;
}

/** Records `ws` as the owner of the bucket prefix (a conditional write: of two workspaces claiming
 *  at once, one wins); refuses a prefix another workspace owns. */
export async function claimBucket(bucket: Bucket, ws: { id: string; root: string }, host: string): Promise<void> {
  const claimed = (await bucketOwner(bucket)) ?? ((await bucket.putIfAbsent("workspace.json", `${JSON.stringify({ id: ws.id, root: ws.root, host })}\n`)) ? undefined : await bucketOwner(bucket));
  if (claimed && claimed.id !== ws.id) {
    throw new StoreError(`${bucket.url} belongs to workspace ${claimed.id} (${claimed.host}:${claimed.root}); give this workspace its own prefix (MMADA_STORE=${bucket.url}/<name>)`, false, "OtherWorkspace");
  }
}
