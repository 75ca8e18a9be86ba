// Which backend a workspace's store uses: MMADA_STORE=s3://bucket/prefix for a bucket, otherwise the
// workspace folder. The owner of the run database claims the bucket prefix for its workspace; a
// worker on another machine, with its own MMADA_HOME, serves the workspace that owns the prefix.
// The AWS SDK loads only for a bucket: commands over a local store stay fast.
import { hostname } from "node:os";
import { type ArtifactStore, localStore } from "./artifact-store.ts";
import { parseBucketUrl, StoreError } from "./artifact-store.ts";
import type { Workspace } from "./workspace.ts";

/** The store of `ws` (env: MMADA_STORE, MMADA_CACHE_SIZE and the AWS variables). `role`: the owner
 *  (runs, the database's workers) claims a bucket prefix; a worker takes the workspace id of the
 *  prefix's owner; a reader (status, plan, the UI) only reads. */
export async function openStore(ws: Workspace, role: "owner" | "worker" | "reader", env: NodeJS.ProcessEnv = process.env): Promise<{ ws: Workspace; store: ArtifactStore }> {
  const url = env.MMADA_STORE;
  if (!url || url === "local") return { ws, store: localStore(ws.root) };
  const address = parseBucketUrl(url);
  const [{ Bucket }, { bucketOwner, bucketStore, claimBucket, parseSize }] = await Promise.all([import("./bucket.ts"), import("./bucket-store.ts")]);
  const bucket = new Bucket(address, env);
  try {
    await bucket.check();
    const cacheBytes = parseSize(env.MMADA_CACHE_SIZE);
    const store = bucketStore(ws.root, bucket, cacheBytes === undefined ? {} : { cacheBytes });
    if (role !== "worker") {
      if (role === "owner") await claimBucket(bucket, ws, hostname());
      return { ws, store };
    }
    const owner = await bucketOwner(bucket);
    if (!owner) throw new StoreError(`no workspace owns ${bucket.url} yet; run \`mmada run\` or \`mmada server start\` with this MMADA_STORE on the owner's machine first`, true, "NoOwner");
    return { ws: { ...ws, id: owner.id }, store };
  } catch (err) {
    bucket.close();
    throw err;
  }
}
