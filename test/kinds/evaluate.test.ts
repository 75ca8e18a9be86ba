// The evaluate kind on a tiny untrained model: every benchmark of docs/mmada.md §6 yields a metric in
// range, the report and the samples folder (a valid PNG grid, one row per digit class) are stored,
// and the same seed gives the same report.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { PNG } from "pngjs";
import { GRID_FILE, PREDICTIONS_FILE } from "../../activities/evaluate/run.ts";
import { BadInputError } from "../../contract/failures.ts";
import { putArtifact } from "../../engine/store/artifacts.ts";
import type { StepResult } from "../../contract/step-io.ts";
import { makeContext, makeWorkspace, type Workspace } from "./helpers.ts";
import { type Fixture, makeFixture } from "./rl-eval-fixture.ts";
import { kindRunner } from "../kind-runner.ts";

const runEvaluate = kindRunner("evaluate");

const ACCURACIES = ["gsm8k_acc", "vqa_acc", "pope_acc", "caption_acc", "mmcot_acc", "geneval_acc", "clip_score"];
const PER_CLASS = 2;
const DIGIT_CLASSES = 10;
const SIDE = 28;
const GAP = 2;

let ws: Workspace;
let fx: Fixture;

function withFor(seed: number) {
  return {
    checkpoint: fx.model, dataset: fx.dataset, tokens: fx.tokens, classifier: fx.classifier, vq: fx.vq,
    samples: { gsm8k: 4, textNll: 4, vqa: 3, pope: 4, caption: 3, mmcot: 3, genevalPerClass: PER_CLASS },
    seed,
  };
}

async function evaluate(seed: number): Promise<StepResult> {
  const ctx = await makeContext(ws, `eval-${seed}-${Math.random()}`, "evaluate");
  return runEvaluate(ctx, withFor(seed));
}

describe("evaluate", () => {
  let result: StepResult;
  before(async () => {
    ws = await makeWorkspace();
    fx = await makeFixture(ws);
    result = await evaluate(3);
  });
  after(() => ws.cleanup());

  it("reports every benchmark metric, accuracies in [0, 1] and a finite positive NLL", () => {
    const metrics = Object.fromEntries(result.metrics.map((m) => [m.key, m.value]));
    for (const key of ACCURACIES) {
      assert.ok(key in metrics, `missing ${key}`);
      assert.ok(metrics[key]! >= 0 && metrics[key]! <= 1, `${key}=${metrics[key]} outside [0, 1]`);
    }
    // the ImageReward-like score is a margin: the prompted digit's probability minus the best other's
    assert.ok(metrics.imagereward_score! >= -1 && metrics.imagereward_score! <= 1, `imagereward_score=${metrics.imagereward_score}`);
    assert.ok(Number.isFinite(metrics.text_nll) && metrics.text_nll! > 0, `text_nll=${metrics.text_nll}`);
    // an untrained model is near uniform over the vocabulary: NLL close to log(V)
    assert.ok(metrics.text_nll! < 2 * Math.log(200), `text_nll=${metrics.text_nll} is implausibly large`);
  });

  it("stores a report with metrics, counts, config and sample answers", async () => {
    const report = JSON.parse(await readFile(join(ws.root, result.artifacts.report!.uri), "utf8"));
    assert.equal(result.artifacts.report!.kind, "file");
    assert.deepEqual(report.counts, { gsm8k_acc: 4, vqa_acc: 3, pope_acc: 4, caption_acc: 3, mmcot_acc: 3, text_nll: 4, geneval_acc: 20, clip_score: 20, imagereward_score: 20 });
    assert.equal(report.skipped.length, 0);
    assert.equal(report.split, "test");
    assert.deepEqual(report.config.sampler, { genLength: 32, steps: 16, blockLength: 8, temperature: 0, imageSteps: 12, guidance: 3.5, imageTemperature: 1, imageTemperatureSchedule: "compound", genLengths: {} }, "defaults come from the schema");
    assert.equal(report.samples.gsm8k.length, 4);
    assert.equal(typeof report.samples.caption[0].generated, "string");
    assert.match(report.samples.gsm8k[0].question, /=\?$/);
  });

  it("writes a valid PNG grid, one row per digit class, and the classifier's predictions", async () => {
    const dir = join(ws.root, result.artifacts.samples!.uri);
    assert.equal(result.artifacts.samples!.kind, "dir");
    const png = PNG.sync.read(await readFile(join(dir, GRID_FILE)));
    assert.equal(png.width, PER_CLASS * SIDE + (PER_CLASS + 1) * GAP);
    assert.equal(png.height, DIGIT_CLASSES * SIDE + (DIGIT_CLASSES + 1) * GAP);
    const predictions = JSON.parse(await readFile(join(dir, PREDICTIONS_FILE), "utf8"));
    assert.equal(predictions.length, DIGIT_CLASSES * PER_CLASS);
    assert.deepEqual(predictions.slice(0, 3).map((p: { prompted: number }) => p.prompted), [0, 0, 1]);
    for (const p of predictions) assert.ok(p.predicted >= 0 && p.predicted < DIGIT_CLASSES && p.clip >= 0 && p.clip <= 1);
  });

  it("is deterministic by seed, and releases every tensor it made", async () => {
    const tensors = tf.memory().numTensors; // after the first run, so tfjs' lazy caches exist already
    const again = await evaluate(3);
    assert.equal(tf.memory().numTensors, tensors);
    const values = (r: StepResult) => r.metrics.filter((m) => m.key !== "eval_seconds").map((m) => [m.key, m.value]);
    assert.deepEqual(values(again), values(result));
    assert.equal(again.artifacts.samples!.sha256, result.artifacts.samples!.sha256);
  });

  it("rejects a truncated checkpoint with a BadInputError naming the field and the file", async () => {
    const bytes = await readFile(join(ws.root, fx.model.uri));
    const file = join(ws.root, "tmp", "truncated.ckpt");
    await writeFile(file, bytes.subarray(0, bytes.length >> 1));
    const truncated = await putArtifact(ws.root, file, "checkpoint", { move: true });
    const ctx = await makeContext(ws, "eval-bad", "evaluate");
    await assert.rejects(runEvaluate(ctx, { ...withFor(3), checkpoint: truncated }), (err: Error) => {
      assert.ok(err instanceof BadInputError, err.message);
      assert.match(err.message, /with\.checkpoint \(truncated\.ckpt\).*TRUNCATED/);
      return true;
    });
  });

  it("rejects a VQ other than the one that made the tokens", async () => {
    const ctx = await makeContext(ws, "eval-vq", "evaluate");
    await assert.rejects(runEvaluate(ctx, { ...withFor(3), vq: { ...fx.vq, sha256: "f".repeat(64) } }), /with\.vq is ffffffffffff but with\.tokens were made by VQ/);
  });
});
