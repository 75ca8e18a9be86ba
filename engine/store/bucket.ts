// One S3-compatible bucket prefix (`s3://bucket/prefix`), the remote half of a workspace's store.
// Endpoint, region and credentials come from the standard AWS environment variables and config
// files (AWS_ENDPOINT_URL[_S3], AWS_REGION, AWS_ACCESS_KEY_ID, AWS_PROFILE, ...), so AWS S3, MinIO,
// Ceph, R2 or GCS's S3 API all work. Large files stream through multipart uploads and streamed
// downloads: a checkpoint is never held whole in memory. Every object we write carries the sha256 of
// its bytes in its metadata; every download is hashed while it is written and renamed into place
// only when it matches.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { Transform, type Readable } from "node:stream";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { type BucketAddress, StoreError } from "./artifact-store.ts";

export { type BucketAddress, StoreError };

/** What we know of one stored object. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** From the object's metadata (absent on objects we did not write). */
  sha256?: string;
  /** Extra metadata we wrote (e.g. `kind: manifest`). */
  meta: Record<string, string>;
  modified?: Date;
}

// The pinned SDK supports this Node; its warning concerns releases we do not install, and would
// otherwise print in every process that opens a bucket.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const PART_BYTES = 8 << 20;
/** Failures of this machine's disk while a download is written. */
const LOCAL_ERRORS = new Set(["ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "EMFILE", "ENOENT", "EISDIR"]);
/** How long one request may take before it is tried again (a slow endpoint), and connecting. */
const REQUEST_TIMEOUT_MS = 60_000;
const CONNECT_TIMEOUT_MS = 5_000;

export class Bucket {
  readonly url: string;
  private readonly client: S3Client;

  constructor(readonly address: BucketAddress, env: NodeJS.ProcessEnv = process.env) {
    this.url = `s3://${address.bucket}${address.prefix ? `/${address.prefix}` : ""}`;
    const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    // keys in the given environment; otherwise the SDK's own chain (profiles, SSO, instance roles)
    const credentials = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
      : undefined;
    this.client = new S3Client({
      ...(credentials ? { credentials } : {}),
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      // a custom endpoint (MinIO, moto, Ceph) rarely cares about the region; AWS itself does
      ...(region ? { region } : endpoint ? { region: "us-east-1" } : {}),
      maxAttempts: 3,
      requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: CONNECT_TIMEOUT_MS },
    });
  }

  /** The full key of a workspace-relative name. */
  key(name: string): string {
    return this.address.prefix ? `${this.address.prefix}/${name}` : name;
  }

  /** `s3://bucket/prefix/name`: how errors and messages name an object. */
  where(name: string): string {
    return `${this.url}/${name}`;
  }

  /** Checks that the bucket exists and these credentials reach it. */
  async check(): Promise<void> {
    await this.call("", () => this.client.send(new HeadBucketCommand({ Bucket: this.address.bucket })));
  }

  async head(name: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.address.bucket, Key: this.key(name) }));
      const meta = r.Metadata ?? {};
      return { key: name, size: r.ContentLength ?? 0, ...(meta.sha256 ? { sha256: meta.sha256 } : {}), meta, ...(r.LastModified ? { modified: r.LastModified } : {}) };
    } catch (err) {
      if (notFound(err)) return undefined;
      throw this.explain(err, name);
    }
  }

  /** Streams a file up (multipart above 8 MB) with its sha256 in the metadata. */
  async upload(name: string, file: string, sha256: string, meta: Record<string, string> = {}): Promise<void> {
    await this.call(name, async () => {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.address.bucket, Key: this.key(name), Body: createReadStream(file), Metadata: { ...meta, sha256 } },
        partSize: PART_BYTES,
        queueSize: 2,
        leavePartsOnError: false,
      });
      await upload.done();
    });
  }

  /** Writes a small object from memory (a manifest, the workspace record). Its metadata's sha256 is
   *  that of `body` unless `meta` names another (a manifest carries its directory's hash). */
  async putSmall(name: string, body: string | Buffer, meta: Record<string, string> = {}): Promise<void> {
    const sha256 = createHash("sha256").update(body).digest("hex");
    await this.call(name, () => this.client.send(new PutObjectCommand({ Bucket: this.address.bucket, Key: this.key(name), Body: body, Metadata: { sha256, ...meta } })));
  }

  /** Reads a small object whole; undefined when it does not exist. */
  async getSmall(name: string): Promise<Buffer | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.address.bucket, Key: this.key(name) }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (err) {
      if (notFound(err)) return undefined;
      throw this.explain(err, name);
    }
  }

  /**
   * Streams an object into `dest` (through a temporary file beside it, renamed at the end) and
   * returns the sha256 of what it wrote. With `expect`, a different hash (the object changed or
   * was damaged behind our back) leaves nothing at `dest` and throws.
   */
  async download(name: string, dest: string, expect?: string): Promise<string> {
    const tmp = `${dest}.part-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      const r = await this.call(name, () => this.client.send(new GetObjectCommand({ Bucket: this.address.bucket, Key: this.key(name) })));
      const hash = createHash("sha256");
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(r.Body as Readable, hashing, createWriteStream(tmp));
      const got = hash.digest("hex");
      if (expect !== undefined && got !== expect) {
        throw new StoreError(`${this.where(name)} does not match its content hash (expected ${expect.slice(0, 12)}…, got ${got.slice(0, 12)}…): it was changed or damaged in the bucket and is not used`, false, "BadObject", name);
      }
      await rename(tmp, dest);
      return got;
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof StoreError) throw err;
      // the local disk (a full cache, a read-only folder) is not the store's fault: said as such
      if (LOCAL_ERRORS.has((err as NodeJS.ErrnoException).code ?? "")) throw err;
      throw this.explain(err, name);
    }
  }

  /** Every object under `prefix` (workspace-relative), paginated. */
  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const strip = this.address.prefix ? this.address.prefix.length + 1 : 0;
    let token: string | undefined;
    do {
      const r = await this.call(prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.address.bucket, Prefix: this.key(prefix), ContinuationToken: token })),
      );
      for (const o of r.Contents ?? []) out.push({ key: o.Key!.slice(strip), size: o.Size ?? 0, meta: {}, ...(o.LastModified ? { modified: o.LastModified } : {}) });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(names: string[]): Promise<void> {
    for (let i = 0; i < names.length; i += 1000) {
      const batch = names.slice(i, i + 1000);
      const r = await this.call(batch[0]!, () =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.address.bucket, Delete: { Objects: batch.map((n) => ({ Key: this.key(n) })), Quiet: true } })),
      );
      const failed = r.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new StoreError(`${failed.length} of ${batch.length} objects were not deleted, e.g. ${this.url}/${first.Key}: ${first.Code} ${first.Message ?? ""}`.trim(), false, first.Code ?? "DeleteFailed");
      }
    }
  }

  /** Writes `body` only if no object has the name yet; false when one had (conditional write). */
  async putIfAbsent(name: string, body: string): Promise<boolean> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.address.bucket, Key: this.key(name), Body: body, IfNoneMatch: "*" }));
      return true;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === "PreconditionFailed" || e.$metadata?.httpStatusCode === 412) return false;
      throw this.explain(err, name);
    }
  }

  close(): void {
    this.client.destroy();
  }

  private async call<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      // this machine's disk (a full cache, a file gone from under an upload) is not the store's fault
      if (LOCAL_ERRORS.has((err as NodeJS.ErrnoException).code ?? "") && !(err as { $metadata?: unknown }).$metadata) throw err;
      throw this.explain(err, name);
    }
  }

  /** One line for any failure of the SDK or the network, naming the object and what to do. */
  explain(err: unknown, name: string): StoreError {
    if (err instanceof StoreError) return err;
    const what = name ? this.where(name) : this.url;
    const e = err as S3ServiceException & { code?: string; $metadata?: { httpStatusCode?: number } };
    const code = e.name ?? e.code ?? "Error";
    const status = e.$metadata?.httpStatusCode;
    if (code === "NoSuchBucket" || (status === 404 && name === "")) {
      return new StoreError(`bucket '${this.address.bucket}' does not exist at the configured endpoint (MMADA_STORE=${this.url}); create it or fix MMADA_STORE`, false, "NoSuchBucket");
    }
    if (["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken", "CredentialsProviderError"].includes(code) || status === 403) {
      return new StoreError(`${what}: the credentials were refused (${code}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE`, false, "Credentials");
    }
    if (code === "NoSuchKey" || status === 404) {
      return new StoreError(`${what} is missing from the bucket (deleted behind our back?); resume the run to recreate it`, false, "NoSuchKey");
    }
    const net = e.code ?? (e as { cause?: { code?: string } }).cause?.code;
    if (["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE"].includes(net ?? "") || code === "TimeoutError" || code === "RequestTimeout" || (status !== undefined && status >= 500)) {
      return new StoreError(`${what}: the object store did not answer (${net ?? code}); check that the endpoint is up (AWS_ENDPOINT_URL) and try again`, true, "Unreachable");
    }
    if (code === "PermanentRedirect" || code === "AuthorizationHeaderMalformed" || status === 301) {
      return new StoreError(`${what}: the bucket is in another region than AWS_REGION=${process.env.AWS_REGION ?? "(unset)"}; set the bucket's region`, false, "Region");
    }
    if (/region/i.test(e.message ?? "")) {
      return new StoreError(`${what}: no region configured; set AWS_REGION (any value for MinIO-like servers)`, false, "Config");
    }
    // the SDK has already retried what it knows to be transient
    return new StoreError(`${what}: ${code}: ${e.message ?? String(err)}`, false, code);
  }
}

function notFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404;
}
