// Inputs for the unigrpo and evaluate tests, built directly (no train-vq / train steps, so the
// tests stay fast): a tiny dataset with every task (yes/no questions included), an untrained patch
// VQ with a 2x2 grid and the tokens it makes, an untrained digit classifier, and a tiny model
// checkpoint in the format the train kind writes (mmada/training/checkpoints.ts).
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { DATASET_FORMAT, DATASET_FORMAT_VERSION, type DatasetManifest, type TaskRecords, writeManifest, writeSplit } from "../../mmada/data/format.ts";
import { digitsOf, readDataset } from "../../mmada/data/read.ts";
import { SPLITS } from "../../mmada/data/vocab.ts";
import { MODEL_CHECKPOINT_KIND, saveModelCheckpoint } from "../../mmada/training/checkpoints.ts";
import { type Tokens, TOKENS_FORMAT, TOKENS_FORMAT_VERSION, writeTokens } from "../../mmada/data/tokens.ts";
import { putArtifact } from "../../engine/store/artifacts.ts";
import type { ArtifactRef } from "../../contract/step-io.ts";
import { initBackend } from "../../model/backend.ts";
import { createClassifier, saveClassifier } from "../../model/classifier.ts";
import { makeConfig } from "../../model/config.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { createModel, disposeModel } from "../../model/transformer.ts";
import { createVq, disposeVq, encode, saveVq, type VqConfig } from "../../model/vq.ts";
import type { Workspace } from "./helpers.ts";

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const LM_TEXTS = ["call me ishmael.", "the sea was calm.", "a whale! a whale!", "the ship sailed on."];
const IMAGES = { train: 30, val: 10, test: 20 };
const RECORDS = { train: 16, val: 6, test: 12 };

/** 2x2 grid (patch 14), 16 codes: N = 4 image tokens per digit. */
export const FIXTURE_VQ: VqConfig = { imageSize: SIDE, patchSize: 14, codebookSize: 16, codeDim: 8, hidden: 16, encoder: "patch", decoder: "patch", decoderHidden: 16, beta: 0.25 };
export const FIXTURE_MODEL = { textLength: 40, dModel: 32, nHeads: 2, nLayers: 1, mlpHidden: 64, gridH: 2, gridW: 2, codebookSize: 16 };

export interface Fixture {
  dataset: ArtifactRef;
  tokens: ArtifactRef;
  vq: ArtifactRef;
  classifier: ArtifactRef;
  /** A stage-2-like model checkpoint (kind `checkpoint`). */
  model: ArtifactRef;
}

/** Digit c: a bar whose row and width depend on c, with faint noise. */
function digitImage(c: number, rng: Rng): Uint8Array {
  const img = new Uint8Array(PIXELS);
  for (let p = 0; p < PIXELS; p++) img[p] = rng.uniform() < 0.05 ? 60 : 0;
  for (let y = 2 + 2 * c; y < 5 + 2 * c; y++) for (let x = 4; x < 10 + 1.5 * c; x++) img[y * SIDE + x] = 255;
  return img;
}

function records(n: number, m: number, labels: number[]): TaskRecords {
  const img = (i: number) => (i * 7) % n;
  const d = (i: number) => labels[img(i)]!;
  return {
    lm: Array.from({ length: m }, (_, i) => ({ text: LM_TEXTS[i % LM_TEXTS.length]! })),
    cot: Array.from({ length: m }, (_, i) => {
      const [a, b] = [i % 10, (i * 3) % 10];
      return { question: `${a}+${b}=?`, reasoning: `${a}+${b}=${a + b}`, answer: String(a + b) };
    }),
    mmcot: Array.from({ length: m }, (_, i) => ({ image: img(i), question: "digit plus 1?", reasoning: `it is ${d(i)} ${d(i)}+1=${d(i) + 1}`, answer: String(d(i) + 1) })),
    caption: Array.from({ length: m }, (_, i) => ({ image: img(i), caption: `a handwritten ${NAMES[d(i)]}` })),
    // even: which digit?; odd: yes/no, alternating yes and no (as prepare-data does)
    vqa: Array.from({ length: m }, (_, i) =>
      i % 2 === 0
        ? { image: img(i), question: "which digit?", answer: NAMES[d(i)]!, kind: "digit" as const }
        : { image: img(i), question: `is it a ${i % 4 === 1 ? d(i) : (d(i) + 1) % 10}?`, answer: i % 4 === 1 ? "yes" : "no", kind: "yesno" as const },
    ),
    t2i: Array.from({ length: m }, (_, i) => ({ image: img(i), caption: NAMES[d(i)]! })),
  };
}

async function writeDataset(ws: Workspace): Promise<ArtifactRef> {
  const rng = new Rng(7);
  const dir = join(ws.root, "tmp", "rl-dataset");
  const counts = {} as DatasetManifest["counts"];
  for (const split of SPLITS) {
    const n = IMAGES[split];
    const labels = Array.from({ length: n }, (_, i) => i % NAMES.length);
    const pixels = new Uint8Array(n * PIXELS);
    labels.forEach((c, i) => pixels.set(digitImage(c, rng), i * PIXELS));
    counts[split] = await writeSplit(join(dir, split), { pixels, labels, n }, records(n, RECORDS[split], labels));
  }
  const sizes = { ...RECORDS };
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT, version: DATASET_FORMAT_VERSION, templatesVersion: 1, seed: 7,
    image: { height: SIDE, width: SIDE, dtype: "uint8" },
    requested: { digits: { ...IMAGES }, counts: { lm: sizes, cot: sizes, mmcot: sizes, caption: sizes, vqa: sizes, t2i: sizes } },
    counts,
    sources: { digits: "test: generated bars", lm: "test", cot: "test", captions: "test" },
    arithmetic: { minOps: 1, maxOps: 1, minOperand: 0, maxOperand: 9, operators: ["+"] },
    passageLength: 60, maxSampleLength: 64, badRecords: { count: 0, first: [] },
  };
  await writeManifest(dir, manifest);
  return putArtifact(ws.root, dir, "dataset", { name: "dataset", move: true });
}

/** Every input of unigrpo and evaluate, stored in the workspace. */
export async function makeFixture(ws: Workspace): Promise<Fixture> {
  await initBackend();
  const dataset = await writeDataset(ws);
  const data = await readDataset(join(ws.root, dataset.uri));

  const vqModel = createVq(FIXTURE_VQ, new Rng(3));
  const vqFile = join(ws.root, "tmp", "vq.ckpt");
  await saveVq(vqFile, vqModel);
  const vq = await putArtifact(ws.root, vqFile, "vq", { move: true });
  const codes = {} as Tokens["codes"];
  for (const s of SPLITS) {
    const images = tf.tensor2d(digitsOf(data.splits[s]).images, [data.splits[s].images.n, PIXELS]);
    codes[s] = encode(vqModel, images);
    images.dispose();
  }
  disposeVq(vqModel);
  const tokensDir = join(ws.root, "tmp", "tokens");
  await writeTokens(tokensDir, {
    meta: {
      format: TOKENS_FORMAT, version: TOKENS_FORMAT_VERSION, tokensPerImage: 4, gridH: 2, gridW: 2, codebookSize: FIXTURE_VQ.codebookSize,
      vqSha256: vq.sha256, datasetSha256: dataset.sha256, counts: { train: IMAGES.train, val: IMAGES.val, test: IMAGES.test },
    },
    codes,
  });
  const tokens = await putArtifact(ws.root, tokensDir, "tokens", { name: "tokens", move: true });

  const clf = createClassifier({ inputSize: PIXELS, hidden: [16], numClasses: 10, imageSize: SIDE }, new Rng(4));
  const clfFile = join(ws.root, "tmp", "classifier.ckpt");
  await saveClassifier(clfFile, clf);
  tf.dispose(Object.values(clf.params));
  const classifier = await putArtifact(ws.root, clfFile, "classifier", { move: true });

  const tokenizer = new CharTokenizer();
  const model = createModel(makeConfig({ ...FIXTURE_MODEL, textVocabSize: tokenizer.vocabSize, seed: 5 }), new Rng(5));
  const modelFile = join(ws.root, "tmp", "model.ckpt");
  await saveModelCheckpoint(modelFile, {
    model, step: 10,
    extra: { kind: MODEL_CHECKPOINT_KIND, stage: "cot-sft", tokenizer: tokenizer.toJSON(), vqSha256: vq.sha256, cursor: {}, history: [] },
  });
  disposeModel(model);
  return { dataset, tokens, vq, classifier, model: await putArtifact(ws.root, modelFile, "checkpoint", { move: true }) };
}
