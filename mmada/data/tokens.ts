// The `tokens` artifact (written by tokenize-images, read by train/unigrpo/evaluate): every
// split's digits as VQ codes, so training never runs the VQ encoder. A directory:
//   meta.json         { format, version, tokensPerImage N, gridH, gridW, codebookSize, vqSha256,
//                       datasetSha256, counts: { train, val, test } }
//   <split>.i32       Int32 little-endian [n, N], row-major (image i's codes at i*N .. i*N+N-1)
// Codes are VQ codes 0..K-1, not vocabulary ids (model/vocab.ts imageTokenId maps them).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { endianness } from "node:os";
import { join } from "node:path";
import { BadInputError } from "../../contract/failures.ts";
import { type Split, SPLITS } from "./vocab.ts";
import type { Dataset } from "./read.ts";

export const TOKENS_FORMAT = "mmada-tokens";
export const TOKENS_FORMAT_VERSION = 1;
export const TOKENS_META_FILE = "meta.json";
const BYTES_PER_CODE = 4;
const LITTLE_ENDIAN_HOST = endianness() === "LE";

export interface TokensMeta {
  format: typeof TOKENS_FORMAT;
  version: typeof TOKENS_FORMAT_VERSION;
  tokensPerImage: number;
  gridH: number;
  gridW: number;
  codebookSize: number;
  /** Content hash of the VQ checkpoint that made the codes (decode generated images with it). */
  vqSha256: string;
  datasetSha256: string;
  counts: { [s in Split]: number };
}

export interface Tokens {
  meta: TokensMeta;
  /** Per split: [n * N] codes. */
  codes: { [s in Split]: Int32Array };
}

export function codesFile(split: Split): string {
  return `${split}.i32`;
}

/** Image i's N codes (a view, no copy). */
export function imageCodes(tokens: Tokens, split: Split, i: number): Int32Array {
  const n = tokens.meta.tokensPerImage;
  return tokens.codes[split].subarray(i * n, (i + 1) * n);
}

export async function writeTokens(dir: string, tokens: Tokens): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const s of SPLITS) {
    const codes = tokens.codes[s];
    const bytes = Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength);
    await writeFile(join(dir, codesFile(s)), LITTLE_ENDIAN_HOST ? bytes : Buffer.from(bytes).swap32());
  }
  // fixed key order, no timestamps: the same codes give the same artifact hash
  await writeFile(join(dir, TOKENS_META_FILE), `${JSON.stringify(tokens.meta, null, 2)}\n`);
}

export async function readTokens(dir: string): Promise<Tokens> {
  const metaPath = join(dir, TOKENS_META_FILE);
  const text = await readFile(metaPath, "utf8").catch(() => {
    throw new BadInputError(`tokens: ${metaPath} is missing; is this the 'tokens' output of a tokenize-images step?`);
  });
  const meta = JSON.parse(text) as TokensMeta;
  if (meta.format !== TOKENS_FORMAT || meta.version !== TOKENS_FORMAT_VERSION) {
    throw new BadInputError(`tokens: ${metaPath} has format ${meta.format} v${meta.version}, this code reads ${TOKENS_FORMAT} v${TOKENS_FORMAT_VERSION}; re-run tokenize-images`);
  }
  const codes = {} as { [s in Split]: Int32Array };
  for (const s of SPLITS) {
    const path = join(dir, codesFile(s));
    const raw = await readFile(path);
    const expected = meta.counts[s] * meta.tokensPerImage * BYTES_PER_CODE;
    if (raw.length !== expected) {
      throw new BadInputError(`tokens: ${path} has ${raw.length} bytes, meta.json describes ${expected} (${meta.counts[s]} images x ${meta.tokensPerImage} codes); the artifact is damaged, re-run tokenize-images`);
    }
    const copy = Buffer.alloc(raw.length); // unpooled, so 4-byte aligned
    raw.copy(copy);
    if (!LITTLE_ENDIAN_HOST) copy.swap32();
    codes[s] = new Int32Array(copy.buffer, copy.byteOffset, copy.length / BYTES_PER_CODE);
    const bad = codes[s].findIndex((c) => c < 0 || c >= meta.codebookSize);
    if (bad >= 0) {
      throw new BadInputError(`tokens: ${path} holds code ${codes[s][bad]} at position ${bad}, outside the codebook 0..${meta.codebookSize - 1}; re-run tokenize-images`);
    }
  }
  return { meta, codes };
}

/** The tokens must encode this dataset's images: same image count per split (and the same dataset
 *  hash when both are known). */
export function checkTokensMatch(tokens: Tokens, dataset: Dataset, stepId: string, datasetSha?: string): void {
  const problems = SPLITS.filter((s) => tokens.meta.counts[s] !== dataset.manifest.counts[s].digits).map(
    (s) => `${s}: ${tokens.meta.counts[s]} coded images, the dataset has ${dataset.manifest.counts[s].digits}`,
  );
  if (datasetSha && tokens.meta.datasetSha256 && datasetSha !== tokens.meta.datasetSha256) {
    problems.push(`tokens were made from dataset ${tokens.meta.datasetSha256.slice(0, 12)}, this is ${datasetSha.slice(0, 12)}`);
  }
  if (problems.length > 0) {
    throw new BadInputError(`step '${stepId}': with.tokens does not belong to with.dataset (${problems.join("; ")}); tokenize this dataset's images with tokenize-images`);
  }
}
