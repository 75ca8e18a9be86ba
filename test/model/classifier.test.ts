// Digit classifier: accuracy on held-out MNIST, reward scores, checkpoint round trip.
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { initBackend } from "../../model/backend.ts";
import {
  accuracy, type Classifier, createClassifier, DEFAULT_CLASSIFIER_CONFIG, loadClassifier, predictProbs, saveClassifier, scoreImages,
  trainClassifier,
} from "../../model/classifier.ts";
import { CheckpointError } from "../../model/checkpoint.ts";
import { Rng } from "../../model/rng.ts";
import { loadMnist, PIXELS } from "./mnist-fixture.ts";
import { TEST_BACKEND } from "./test-backend.ts";

let dir: string;
let clf: Classifier;
const data = loadMnist(200, 50);

before(async () => {
  await initBackend(TEST_BACKEND);
  dir = await mkdtemp(join(tmpdir(), "clf-test-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  if (clf) tf.dispose(Object.values(clf.params));
});

describe("digit classifier", () => {
  it("reaches > 90% accuracy on held-out MNIST after a short training", async () => {
    clf = createClassifier(DEFAULT_CLASSIFIER_CONFIG, new Rng(1));
    const steps = 300;
    const losses: number[] = [];
    const t0 = performance.now();
    await trainClassifier(clf, data.train, { steps, rng: new Rng(2), maxShift: 1, onStep: (i) => void losses.push(i.loss) });
    const msPerStep = (performance.now() - t0) / steps;
    const acc = accuracy(clf, data.test);
    console.log(`classifier: ${msPerStep.toFixed(1)} ms/step, loss ${losses[0]!.toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}, ` +
      `held-out accuracy ${(acc * 100).toFixed(1)}% on ${data.test.n} images (trained on ${data.train.n})`);
    assert.ok(acc > 0.9, `held-out accuracy ${acc}`);
  });

  it("scores images: probability of the prompted class and confidence", () => {
    const x = tf.tensor2d(data.test.images.subarray(0, 20 * PIXELS), [20, PIXELS]);
    const labels = data.test.labels.subarray(0, 20);
    const wrong = Int32Array.from(labels, (l) => (l + 5) % 10);
    const right = scoreImages(clf, x, labels);
    const off = scoreImages(clf, x, wrong);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(mean(right.clip) > 0.7 && mean(off.clip) < 0.1, `clip ${mean(right.clip)} vs ${mean(off.clip)}`);
    for (let i = 0; i < 20; i++) {
      assert.ok(right.confidence[i]! >= right.clip[i]! && right.confidence[i]! <= 1);
      assert.equal(right.predicted[i], off.predicted[i]);
      // margin = p(prompted) - max other: positive exactly when the prompted class wins
      assert.ok(right.margin[i]! >= -1 && right.margin[i]! <= 1);
      assert.equal(right.margin[i]! > 0, right.predicted[i] === labels[i]);
      if (right.predicted[i] === labels[i]) assert.ok(Math.abs(off.margin[i]! - (off.clip[i]! - right.confidence[i]!)) < 1e-6, "prompted wrong: its probability minus the drawn digit's");
    }
    assert.ok(mean(off.margin) < -0.5, `a confident digit prompted as another one has a margin near -1 (${mean(off.margin)})`);
    // a blank canvas is not a digit: less confident than real digits
    const blank = tf.zeros([20, PIXELS]) as tf.Tensor2D;
    const blankScore = scoreImages(clf, blank, labels);
    console.log(`confidence: digits ${mean(right.confidence).toFixed(3)}, blank ${mean(blankScore.confidence).toFixed(3)}`);
    assert.ok(mean(blankScore.confidence) < mean(right.confidence));
    assert.throws(() => scoreImages(clf, x, new Int32Array(3)), /3 prompted classes for 20 images/);
    tf.dispose([x, blank]);
  });

  it("saves and reloads bit-exactly through a verified checkpoint, frozen", async () => {
    const path = join(dir, "clf.ckpt");
    const { sha256 } = await saveClassifier(path, clf, { trainImages: data.train.n });
    assert.match(sha256, /^[0-9a-f]{64}$/);
    const loaded = await loadClassifier(path);
    assert.deepEqual(loaded.config, clf.config);
    assert.ok(Object.values(loaded.params).every((v) => !v.trainable));
    const x = tf.tensor2d(data.test.images.subarray(0, 5 * PIXELS), [5, PIXELS]);
    assert.deepEqual(predictProbs(loaded, x), predictProbs(clf, x));
    tf.dispose([x, ...Object.values(loaded.params)]);
    await assert.rejects(loadClassifier(join(dir, "missing.ckpt")), (e: unknown) => e instanceof CheckpointError && e.code === "NOT_FOUND");
  });
});
