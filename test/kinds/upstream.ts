// The inputs every train test needs, built once per test file through the real step kinds:
// tiny dataset -> train-vq -> tokenize-images.
import type { ArtifactRef, StepResult } from "../../contract/step-io.ts";
import { initBackend } from "../../model/backend.ts";
import { makeContext, TINY_MODEL, TINY_VQ, tinyDataset, type Workspace } from "./helpers.ts";
import { kindRunner } from "../kind-runner.ts";
import { TEST_BACKEND } from "../model/test-backend.ts";

const runTokenizeImages = kindRunner("tokenize-images");
const runTrainVq = kindRunner("train-vq");

export interface Upstream {
  dataset: ArtifactRef;
  vq: ArtifactRef;
  tokens: ArtifactRef;
  vqResult: StepResult;
  tokensResult: StepResult;
}

export async function buildUpstream(ws: Workspace): Promise<Upstream> {
  await initBackend(TEST_BACKEND);
  const dataset = await tinyDataset(ws);
  const vqResult = await runTrainVq(await makeContext(ws, "vq", "train-vq"), { dataset, ...TINY_VQ });
  const vq = vqResult.artifacts.vq!;
  const tokensResult = await runTokenizeImages(await makeContext(ws, "tokens", "tokenize-images"), { dataset, vq });
  return { dataset, vq, tokens: tokensResult.artifacts.tokens!, vqResult, tokensResult };
}

/** A short stage-1 run over every task of the tiny data: 6 steps, checkpoints every 2, all kept. */
export function tinyStage(up: Upstream, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataset: up.dataset,
    tokens: up.tokens,
    stage: "pretrain",
    mix: { t2i: 1, lm: 1, mmu: 1, cot: 1, mmcot: 1 },
    coefficients: { t2i: 1.0, lm: 0.1, mmu: 1.0 },
    steps: 6,
    batch: 5,
    lr: { peak: 3e-3, warmup: 1 },
    checkpointEvery: 2,
    keep: 10,
    logEvery: 1,
    valBatches: 1,
    model: TINY_MODEL,
    ...overrides,
  };
}
