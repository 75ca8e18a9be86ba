// Test fixtures for the MMaDA step kinds: a hand-built StepContext over a temporary workspace
// (store moves into the real content-addressed store, checkpoint calls are collected) and a tiny
// generated dataset written in the prepare-data format (mmada/data/format.ts), so
// these tests depend on neither prepare-data nor MNIST.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DATASET_FORMAT,
  DATASET_FORMAT_VERSION,
  type DatasetManifest,
  type SplitCounts,
  type TaskRecords,
  writeManifest,
  writeSplit,
} from "../../mmada/data/format.ts";
import type { StepContext } from "../../activities/kit/step-context.ts";
import { artifactPath, hashPath, putArtifact } from "../../engine/store/artifacts.ts";
import type { ArtifactRef, StepInput, StepProgress } from "../../contract/step-io.ts";
import { Rng } from "../../model/rng.ts";

export interface TestContext extends StepContext {
  logs: string[];
  progressCalls: Array<StepProgress & { at: number }>;
  checkpoints: Array<{ step: number; file: string }>;
  abort: AbortController;
}

export interface Workspace {
  root: string;
  cleanup(): Promise<void>;
}

/** The StepInput of a one-step test run (no real plan): step `stepId` of kind `uses`. */
export function testStepInput(stepId: string, uses: string, checkpointDir: string, outputs: Record<string, string> = {}): StepInput {
  return {
    workspaceId: "test",
    runId: "test-run",
    executionId: `test-run/${stepId}`,
    step: {
      id: stepId,
      specId: stepId,
      uses,
      kindVersion: "1",
      with: {},
      needs: [],
      queue: "default",
      retry: { maximumAttempts: 1, initialIntervalMs: 1000, backoffCoefficient: 2 },
      timeoutMs: 60_000,
      heartbeatTimeoutMs: 60_000,
      cache: false,
      cores: 1,
      outputs,
    },
    upstream: {},
    checkpointDir,
  };
}

export async function makeWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), "mmada-kinds-"));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A context for step `stepId` of kind `uses`; `checkpointKey` names its checkpoint folder (the
 *  engine keys it by cache key: two contexts with the same key share it, like a retry). */
export async function makeContext(ws: Workspace, stepId: string, uses: string, checkpointKey = stepId): Promise<TestContext> {
  const scratch = join(ws.root, "tmp", `${stepId}-${Math.random().toString(36).slice(2)}`);
  const checkpointDir = join(ws.root, "checkpoints", checkpointKey);
  await mkdir(scratch, { recursive: true });
  await mkdir(checkpointDir, { recursive: true });
  const input = testStepInput(stepId, uses, `checkpoints/${checkpointKey}`);
  const abort = new AbortController();
  const ctx: TestContext = {
    root: ws.root,
    input,
    scratch,
    logs: [],
    progressCalls: [],
    checkpoints: [],
    abort,
    signal: abort.signal,
    progress: (p) => void ctx.progressCalls.push({ ...p, at: Date.now() }),
    store: (path, kind, opts = {}) => putArtifact(ws.root, path, kind, { ...opts, move: true }),
    pathOf: (ref: ArtifactRef) => artifactPath(ws.root, ref),
    hashOf: async (path) => (await hashPath(path)).sha256,
    checkpointDir,
    async checkpoint(step, file) {
      ctx.checkpoints.push({ step, file });
      const { sha256, size } = await hashPath(file);
      return { sha256, size, kind: "checkpoint", uri: file };
    },
    log: (line) => void ctx.logs.push(line),
  };
  return ctx;
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const LM_TEXTS = ["call me ishmael.", "the sea was calm.", "a whale! a whale!", "the ship sailed on.", "some years ago."];

/** Digit c: a bright bar whose row and width depend on c, plus faint noise (easy to tell apart). */
function digitImage(c: number, rng: Rng): Uint8Array {
  const img = new Uint8Array(PIXELS);
  for (let p = 0; p < PIXELS; p++) img[p] = rng.uniform() < 0.05 ? 60 : 0;
  const row = 2 + 2 * c;
  for (let y = row; y < row + 3; y++) for (let x = 4; x < 10 + 1.5 * c; x++) img[y * SIDE + x] = 255;
  return img;
}

export interface TinyDatasetSizes {
  images: { train: number; val: number; test: number };
  records: { train: number; val: number; test: number };
}

export const TINY_SIZES: TinyDatasetSizes = { images: { train: 40, val: 12, test: 12 }, records: { train: 24, val: 8, test: 8 } };

/** Writes a tiny dataset folder and stores it as a `dataset` artifact of the workspace. */
export async function tinyDataset(ws: Workspace, seed = 1, sizes: TinyDatasetSizes = TINY_SIZES): Promise<ArtifactRef> {
  const rng = new Rng(seed);
  const dir = join(ws.root, "tmp", `dataset-${seed}`);
  const counts = {} as DatasetManifest["counts"];
  for (const split of ["train", "val", "test"] as const) {
    const n = sizes.images[split];
    const labels = Array.from({ length: n }, (_, i) => i % NAMES.length);
    const pixels = new Uint8Array(n * PIXELS);
    labels.forEach((c, i) => pixels.set(digitImage(c, rng), i * PIXELS));
    const m = sizes.records[split];
    const img = (i: number) => (i * 7) % n;
    const records: TaskRecords = {
      lm: Array.from({ length: m }, (_, i) => ({ text: LM_TEXTS[i % LM_TEXTS.length]! })),
      cot: Array.from({ length: m }, (_, i) => {
        const a = i % 10;
        const b = (i * 3) % 10;
        return { question: `${a}+${b}=?`, reasoning: `${a}+${b}=${a + b}`, answer: String(a + b) };
      }),
      mmcot: Array.from({ length: m }, (_, i) => ({ image: img(i), question: "digit plus 1?", reasoning: `it is ${labels[img(i)]} ${labels[img(i)]}+1=${labels[img(i)]! + 1}`, answer: String(labels[img(i)]! + 1) })),
      caption: Array.from({ length: m }, (_, i) => ({ image: img(i), caption: `a handwritten ${NAMES[labels[img(i)]!]}` })),
      vqa: Array.from({ length: m }, (_, i) => ({ image: img(i), question: "which digit?", answer: NAMES[labels[img(i)]!]!, kind: "digit" as const })),
      t2i: Array.from({ length: m }, (_, i) => ({ image: img(i), caption: NAMES[labels[img(i)]!]! })),
    };
    counts[split] = (await writeSplit(join(dir, split), { pixels, labels, n }, records)) as SplitCounts;
  }
  const split3 = (x: { train: number; val: number; test: number }) => ({ ...x });
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    version: DATASET_FORMAT_VERSION,
    templatesVersion: 1,
    seed,
    image: { height: SIDE, width: SIDE, dtype: "uint8" },
    requested: {
      digits: split3(sizes.images),
      counts: { lm: split3(sizes.records), cot: split3(sizes.records), mmcot: split3(sizes.records), caption: split3(sizes.records), vqa: split3(sizes.records), t2i: split3(sizes.records) },
    },
    counts,
    sources: { digits: "test: generated bars", lm: "test", cot: "test", captions: "test" },
    arithmetic: { minOps: 1, maxOps: 1, minOperand: 0, maxOperand: 9, operators: ["+"] },
    passageLength: 60,
    maxSampleLength: 64,
    badRecords: { count: 0, first: [] },
  };
  await writeManifest(dir, manifest);
  return putArtifact(ws.root, dir, "dataset", { name: "dataset", move: true });
}

/** The tiny model every train test uses (fast on 2 cores). */
export const TINY_MODEL = { textLength: 40, dModel: 32, nHeads: 2, nLayers: 1, mlpHidden: 64 };
/** The tiny VQ: 2x2 codes per image, 16 codes. */
export const TINY_VQ = { steps: 30, batch: 16, codebookSize: 16, grid: 2, codeDim: 8, hidden: 32, decoderHidden: 64, logEvery: 5 };
