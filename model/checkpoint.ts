// One self-verifying checkpoint file per save (docs/mmada.md §3: weights + optimizer + step + RNG +
// config, where the reference saved weights only). Layout, all integers little-endian:
//   MAGIC (8 bytes) | header length H (u32) | header JSON (H bytes, utf-8) | zero pad to 8 bytes
//   | tensor data (each tensor's raw LE bytes at header.tensors[i].offset, 8-byte aligned)
//   | sha256 of every byte before it (32 bytes)
// The header carries the config, step, rng state, optimizer meta, the tensor index and user extras.
// Files are written atomically (temp file in the same directory, fsync, rename), so a crash leaves
// either the old checkpoint or the new one, never half of one. Saving the same state twice gives
// byte-identical files (no timestamps), so content hashes are stable.
import * as tf from "@tensorflow/tfjs-core";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { endianness } from "node:os";
import { basename, dirname, join } from "node:path";
import type { OptimizerMeta, OptimizerState } from "./optim.ts";
import type { Rng, RngState } from "./rng.ts";

const MAGIC = Buffer.from("MMADACK1", "ascii");
const FORMAT_VERSION = 1;
const PREFIX_BYTES = MAGIC.length + 4; // magic + header length
const HASH_BYTES = 32;
const ALIGN = 8;
const LITTLE_ENDIAN_HOST = endianness() === "LE";

export type CheckpointErrorCode = "CORRUPT" | "TRUNCATED" | "CONFIG_MISMATCH" | "NOT_FOUND";

export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
  constructor(
    readonly code: CheckpointErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

type TensorDtype = "float32" | "int32";
const DTYPES: readonly TensorDtype[] = ["float32", "int32"];
const BYTES_PER_ELEMENT = 4;

export interface TensorEntry {
  name: string;
  /** "param" tensors come back in `tensors`, "optim" ones in `optimizerState.slots`. */
  group: "param" | "optim";
  shape: number[];
  dtype: TensorDtype;
  /** Byte offset from the start of the data section. */
  offset: number;
  byteLength: number;
}

export interface CheckpointHeader<C = unknown> {
  format: number;
  config: C;
  step: number;
  rng: RngState | null;
  optimizer: OptimizerMeta | null;
  tensors: TensorEntry[];
  dataBytes: number;
  extra: Record<string, unknown>;
}

export interface SaveInput<C> {
  config: C;
  params: Record<string, tf.Tensor>;
  optimizer?: { getState(): OptimizerState } | OptimizerState;
  step: number;
  rng?: Rng | RngState;
  extra?: Record<string, unknown>;
}

export interface LoadedCheckpoint<C> {
  config: C;
  /** Parameter tensors by name; the caller owns them (dispose, or use assignParams). */
  tensors: Record<string, tf.Tensor>;
  optimizerState: OptimizerState | undefined;
  step: number;
  rngState: RngState | undefined;
  extra: Record<string, unknown>;
}

/** Write a checkpoint atomically; returns the sha256 of the whole file (what an artifact store
 *  records) and its size in bytes. */
export async function saveCheckpoint<C>(path: string, input: SaveInput<C>): Promise<{ sha256: string; size: number }> {
  const optState = input.optimizer === undefined ? undefined
    : "getState" in input.optimizer ? input.optimizer.getState() : input.optimizer;
  const ownsOptState = input.optimizer !== undefined && "getState" in input.optimizer;
  try {
    const groups: Array<["param" | "optim", Record<string, tf.Tensor>]> = [["param", input.params]];
    if (optState) groups.push(["optim", optState.slots]);
    const entries: TensorEntry[] = [];
    const chunks: Buffer[] = [];
    let offset = 0;
    for (const [group, tensors] of groups) {
      for (const [name, t] of Object.entries(tensors)) {
        const dtype = t.dtype as TensorDtype;
        if (!DTYPES.includes(dtype)) {
          throw new Error(`saveCheckpoint: tensor "${name}" has dtype ${t.dtype}; only ${DTYPES.join(", ")} are stored`);
        }
        const bytes = toLittleEndian(await t.data());
        entries.push({ name, group, shape: [...t.shape], dtype, offset, byteLength: bytes.length });
        chunks.push(bytes);
        const pad = padTo(bytes.length);
        if (pad > 0) chunks.push(Buffer.alloc(pad));
        offset += bytes.length + pad;
      }
    }
    const rng = input.rng === undefined ? null : Array.isArray(input.rng) ? input.rng : (input.rng as Rng).state();
    const header: CheckpointHeader<C> = {
      format: FORMAT_VERSION, config: input.config, step: input.step, rng: rng as RngState | null,
      optimizer: optState?.meta ?? null, tensors: entries, dataBytes: offset, extra: input.extra ?? {},
    };
    const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
    const lengthField = Buffer.alloc(4);
    lengthField.writeUInt32LE(headerBytes.length, 0);
    const headPad = Buffer.alloc(padTo(PREFIX_BYTES + headerBytes.length));
    const body = Buffer.concat([MAGIC, lengthField, headerBytes, headPad, ...chunks]);
    // one pass over the bytes: the body's hash is the trailer, and the file's hash continues from a
    // copy of the same state with the trailer appended
    const bodyHash = createHash("sha256").update(body);
    const fileHash = bodyHash.copy();
    const trailer = bodyHash.digest();
    const file = Buffer.concat([body, trailer]);
    await writeAtomic(path, file);
    return { sha256: fileHash.update(trailer).digest("hex"), size: file.length };
  } finally {
    if (ownsOptState && optState) tf.dispose(Object.values(optState.slots));
  }
}

/** Read and verify a checkpoint (magic, size, sha256, optionally the config). */
export async function loadCheckpoint<C = unknown>(
  path: string,
  opts: { expectConfig?: C } = {},
): Promise<LoadedCheckpoint<C>> {
  const { header, data } = await readVerified<C>(path);
  if (opts.expectConfig !== undefined) {
    const diffs = configDiff(opts.expectConfig, header.config);
    if (diffs.length > 0) {
      throw new CheckpointError("CONFIG_MISMATCH", path,
        `checkpoint was written for a different config (${diffs.slice(0, 5).join("; ")}); ` +
          `use the config it was trained with, or start from a fresh initialisation`);
    }
  }
  const tensors: Record<string, tf.Tensor> = {};
  const slots: Record<string, tf.Tensor> = {};
  for (const e of header.tensors) {
    const raw = fromLittleEndian(data.subarray(e.offset, e.offset + e.byteLength));
    const values = e.dtype === "float32"
      ? new Float32Array(raw.buffer, raw.byteOffset, e.byteLength / BYTES_PER_ELEMENT)
      : new Int32Array(raw.buffer, raw.byteOffset, e.byteLength / BYTES_PER_ELEMENT);
    (e.group === "param" ? tensors : slots)[e.name] = tf.tensor(values, e.shape, e.dtype);
  }
  return {
    config: header.config,
    tensors,
    optimizerState: header.optimizer ? { meta: header.optimizer, slots } : undefined,
    step: header.step,
    rngState: header.rng ?? undefined,
    extra: header.extra,
  };
}

/** Copy loaded tensors into existing variables; every variable needs a tensor of the same shape. */
export function assignParams(params: Record<string, tf.Variable>, tensors: Record<string, tf.Tensor>, path = "checkpoint"): void {
  const problems: string[] = [];
  for (const [name, v] of Object.entries(params)) {
    const t = tensors[name];
    if (!t) problems.push(`missing "${name}"`);
    else if (!tf.util.arraysEqual(t.shape, v.shape)) problems.push(`"${name}" is [${t.shape}], model has [${v.shape}]`);
  }
  const unknown = Object.keys(tensors).filter((k) => !(k in params));
  if (unknown.length > 0) problems.push(`unknown tensors ${unknown.slice(0, 5).join(", ")}`);
  if (problems.length > 0) {
    throw new CheckpointError("CONFIG_MISMATCH", path,
      `parameters do not match the model (${problems.slice(0, 5).join("; ")}); build the model from the checkpoint's config`);
  }
  for (const [name, v] of Object.entries(params)) v.assign(tensors[name]!);
}

async function readVerified<C>(path: string): Promise<{ header: CheckpointHeader<C>; data: Buffer }> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CheckpointError("NOT_FOUND", path, "checkpoint file does not exist; check the path or the run's artifacts");
    }
    throw err;
  }
  const again = "the file is damaged: delete it and resume from an earlier checkpoint (or retrain)";
  if (file.length < MAGIC.length || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    if (file.length < MAGIC.length && MAGIC.subarray(0, file.length).equals(file)) {
      throw new CheckpointError("TRUNCATED", path, `file is only ${file.length} bytes; ${again}`);
    }
    throw new CheckpointError("CORRUPT", path, `not a checkpoint (bad magic, expected "${MAGIC.toString("ascii")}"); ${again}`);
  }
  if (file.length < PREFIX_BYTES + HASH_BYTES) {
    throw new CheckpointError("TRUNCATED", path, `file is only ${file.length} bytes; ${again}`);
  }
  const headerLen = file.readUInt32LE(MAGIC.length);
  const dataStart = PREFIX_BYTES + headerLen + padTo(PREFIX_BYTES + headerLen);
  if (file.length < dataStart + HASH_BYTES) {
    throw new CheckpointError("TRUNCATED", path, `file ends inside the header (${file.length} bytes); ${again}`);
  }
  let header: CheckpointHeader<C>;
  try {
    header = JSON.parse(file.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLen).toString("utf8")) as CheckpointHeader<C>;
  } catch {
    throw new CheckpointError("CORRUPT", path, `header is not valid JSON; ${again}`);
  }
  if (header.format !== FORMAT_VERSION) {
    throw new CheckpointError("CORRUPT", path, `unsupported checkpoint format ${header.format} (this code reads ${FORMAT_VERSION})`);
  }
  const expected = dataStart + header.dataBytes + HASH_BYTES;
  if (file.length < expected) {
    throw new CheckpointError("TRUNCATED", path, `file has ${file.length} bytes but the header describes ${expected}; ${again}`);
  }
  if (file.length > expected) {
    throw new CheckpointError("CORRUPT", path, `file has ${file.length - expected} unexpected trailing bytes; ${again}`);
  }
  const bodyEnd = file.length - HASH_BYTES;
  const actual = createHash("sha256").update(file.subarray(0, bodyEnd)).digest();
  if (!actual.equals(file.subarray(bodyEnd))) {
    throw new CheckpointError("CORRUPT", path, `sha256 mismatch (content changed after it was written); ${again}`);
  }
  const data = file.subarray(dataStart, bodyEnd);
  for (const e of header.tensors) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (!DTYPES.includes(e.dtype) || e.byteLength !== count * BYTES_PER_ELEMENT || e.offset % ALIGN !== 0 ||
      e.offset + e.byteLength > data.length) {
      throw new CheckpointError("CORRUPT", path, `tensor index entry "${e.name}" is inconsistent; ${again}`);
    }
  }
  return { header, data };
}

async function writeAtomic(path: string, bytes: Buffer): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  // Persist the rename itself; some filesystems refuse fsync on directories, which is harmless.
  try {
    const dh = await open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* best effort */
  }
}

function padTo(n: number): number {
  return (ALIGN - (n % ALIGN)) % ALIGN;
}

/** Typed-array bytes in little-endian order (a copy only on big-endian hosts). */
function toLittleEndian(values: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): Buffer {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return LITTLE_ENDIAN_HOST ? Buffer.from(bytes) : Buffer.from(bytes).swap32();
}

/** Bytes from the file as host-order words in a fresh, unpooled (so 4-byte aligned) buffer. */
function fromLittleEndian(bytes: Buffer): Buffer {
  const copy = Buffer.alloc(bytes.length);
  bytes.copy(copy);
  return LITTLE_ENDIAN_HOST ? copy : copy.swap32();
}

/** Dotted paths where two JSON values differ ("a.b: checkpoint 64, expected 128"). */
export function configDiff(expected: unknown, actual: unknown, at = "config"): string[] {
  if (typeof expected !== "object" || expected === null || typeof actual !== "object" || actual === null) {
    return Object.is(expected, actual) || JSON.stringify(expected) === JSON.stringify(actual) ? []
      : [`${at}: checkpoint has ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`];
  }
  if (Array.isArray(expected) !== Array.isArray(actual)) {
    return [`${at}: checkpoint has ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`];
  }
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  const out: string[] = [];
  for (const k of keys) {
    out.push(...configDiff((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], `${at}.${k}`));
  }
  return out;
}
