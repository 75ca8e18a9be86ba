// Checkpoint files: bit-exact round trip, self-verification, config check, and exact resume.
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { initBackend } from "../../model/backend.ts";
import { assignParams, CheckpointError, loadCheckpoint, saveCheckpoint } from "../../model/checkpoint.ts";
import { addMlpParams, mlpForward } from "../../model/dense.ts";
import { AdamW } from "../../model/optim.ts";
import { Rng } from "../../model/rng.ts";
import { cosineWithWarmup } from "../../model/schedule.ts";
import { runSteps } from "./run-steps.ts";
import { makeConfig, type ModelConfig, seqLength } from "../../model/config.ts";
import { createModel, disposeModel, forward, type MMaDA } from "../../model/transformer.ts";
import type { Params } from "../../model/ops.ts";
import { MASK_ID, NUM_SPECIAL_TOKENS, vocabSize } from "../../model/vocab.ts";
import { TEST_BACKEND } from "./test-backend.ts";

let dir: string;
before(async () => {
  await initBackend(TEST_BACKEND);
  dir = await mkdtemp(join(tmpdir(), "ckpt-test-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface TinyConfig {
  sizes: number[];
  classes: number;
}
const CONFIG: TinyConfig = { sizes: [8, 16, 4], classes: 4 };

function tinyModel(seed: number): Params {
  const params: Params = {};
  addMlpParams(params, new Rng(seed), "mlp", CONFIG.sizes);
  return params;
}

/** A loss that consumes the rng (random batch + random input dropout), so resume must restore it. */
function lossFor(params: Params) {
  return (step: number, rng: Rng) => {
    const b = 8;
    const x = rng.fill(b * 8, () => (rng.uniform() < 0.2 ? 0 : rng.normal()));
    const labels = Array.from({ length: b }, (_, i) => (i + step) % CONFIG.classes);
    const logp = tf.logSoftmax(mlpForward(params, "mlp", tf.tensor2d(x, [b, 8])));
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(labels, "int32"), CONFIG.classes)), 1))) as tf.Scalar;
  };
}

const disposeAll = (p: Record<string, tf.Tensor>) => tf.dispose(Object.values(p));

describe("checkpoint file", () => {
  it("round-trips params, optimizer moments, step, rng and extras bit-exactly", async () => {
    const params = tinyModel(1);
    const opt = new AdamW(params);
    const rng = new Rng(42);
    await runSteps({ params, lossFn: lossFor(params), steps: 3, lr: () => 0.01, optimizer: opt, rng });
    const path = join(dir, "round.ckpt");
    const saved = await saveCheckpoint(path, { config: CONFIG, params, optimizer: opt, step: 3, rng, extra: { note: "hi" } });
    assert.equal(saved.size, (await stat(path)).size);
    const loaded = await loadCheckpoint<TinyConfig>(path, { expectConfig: CONFIG });
    assert.deepEqual(loaded.config, CONFIG);
    assert.equal(loaded.step, 3);
    assert.deepEqual(loaded.rngState, rng.state());
    assert.deepEqual(loaded.extra, { note: "hi" });
    for (const [k, v] of Object.entries(params)) assert.deepEqual(loaded.tensors[k]!.dataSync(), v.dataSync(), k);
    const state = opt.getState();
    assert.deepEqual(loaded.optimizerState?.meta, state.meta);
    assert.deepEqual(Object.keys(loaded.optimizerState!.slots).sort(), Object.keys(state.slots).sort());
    for (const [k, v] of Object.entries(state.slots)) assert.deepEqual(loaded.optimizerState!.slots[k]!.dataSync(), v.dataSync(), k);
    // same state, same bytes: content hashes are stable
    const again = await saveCheckpoint(join(dir, "round2.ckpt"), { config: CONFIG, params, optimizer: state, step: 3, rng, extra: { note: "hi" } });
    assert.equal(again.sha256, saved.sha256);
    // the hash save returns is the file's, computed in the same pass as its trailer
    assert.equal(saved.sha256, createHash("sha256").update(await readFile(path)).digest("hex"));
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith(".tmp")), []);
    disposeAll(state.slots);
    disposeAll(loaded.tensors);
    disposeAll(loaded.optimizerState!.slots);
    opt.dispose();
    disposeAll(params);
  });

  async function damaged(name: string, edit: (b: Buffer) => Buffer): Promise<string> {
    const params = tinyModel(2);
    const path = join(dir, name);
    await saveCheckpoint(path, { config: CONFIG, params, step: 0 });
    await writeFile(path, edit(await readFile(path)));
    disposeAll(params);
    return path;
  }

  const refuses = (code: string, pattern: RegExp) => (err: unknown) => {
    assert.ok(err instanceof CheckpointError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  };

  it("refuses a truncated file", async () => {
    const path = await damaged("trunc.ckpt", (b) => b.subarray(0, b.length - 100));
    await assert.rejects(loadCheckpoint(path), refuses("TRUNCATED", /trunc\.ckpt.*header describes/));
    const tiny = await damaged("tiny.ckpt", (b) => b.subarray(0, 5));
    await assert.rejects(loadCheckpoint(tiny), refuses("TRUNCATED", /only 5 bytes/));
  });

  it("refuses a flipped byte in the tensor data, the header or the magic", async () => {
    const data = await damaged("flip.ckpt", (b) => { b[b.length - 40]! ^= 0x01; return b; });
    await assert.rejects(loadCheckpoint(data), refuses("CORRUPT", /sha256 mismatch.*resume from an earlier checkpoint/));
    const header = await damaged("flip-header.ckpt", (b) => { b[20] = b[20] === 0x61 ? 0x62 : 0x61; return b; });
    await assert.rejects(loadCheckpoint(header), (err: unknown) => err instanceof CheckpointError && err.code === "CORRUPT");
    const magic = await damaged("magic.ckpt", (b) => { b[0] = 0x58; return b; });
    await assert.rejects(loadCheckpoint(magic), refuses("CORRUPT", /bad magic/));
  });

  it("refuses a different config, naming the differing field", async () => {
    const params = tinyModel(3);
    const path = join(dir, "cfg.ckpt");
    await saveCheckpoint(path, { config: CONFIG, params, step: 0 });
    await assert.rejects(loadCheckpoint(path, { expectConfig: { ...CONFIG, classes: 5 } }),
      refuses("CONFIG_MISMATCH", /config\.classes: checkpoint has 4, expected 5/));
    const wrong = tinyModel(4);
    delete wrong["mlp.b1"];
    const loaded = await loadCheckpoint(path);
    assert.throws(() => assignParams(wrong, loaded.tensors, path), refuses("CONFIG_MISMATCH", /unknown tensors mlp\.b1/));
    disposeAll(loaded.tensors);
    disposeAll(params);
    disposeAll(wrong);
  });

  it("reports a missing file as NOT_FOUND", async () => {
    await assert.rejects(loadCheckpoint(join(dir, "nope.ckpt")), refuses("NOT_FOUND", /does not exist/));
  });
});

describe("resume", () => {
  it("continues the same loss trajectory as an uninterrupted run", async () => {
    const total = 10;
    const half = total / 2;
    const lr = cosineWithWarmup({ peakLr: 0.05, warmupSteps: 2, totalSteps: total });

    const straightParams = tinyModel(7);
    const straightOpt = new AdamW(straightParams);
    const straight: number[] = [];
    await runSteps({ params: straightParams, lossFn: lossFor(straightParams), steps: total, lr, optimizer: straightOpt,
      rng: new Rng(99), onStep: (i) => void straight.push(i.loss) });

    // first half, saving through the loop's checkpoint callback
    const path = join(dir, "resume.ckpt");
    const firstParams = tinyModel(7);
    const firstOpt = new AdamW(firstParams);
    const firstRng = new Rng(99);
    const resumed: number[] = [];
    await runSteps({ params: firstParams, lossFn: lossFor(firstParams), steps: half, lr, optimizer: firstOpt, rng: firstRng,
      onStep: (i) => void resumed.push(i.loss),
      onEnd: async (s) => void (await saveCheckpoint(path, { config: CONFIG, params: firstParams, optimizer: firstOpt, step: s, rng: firstRng })) });
    firstOpt.dispose();
    disposeAll(firstParams);

    // second half from nothing but the file: different init seed, fresh optimizer and rng
    const ckpt = await loadCheckpoint<TinyConfig>(path, { expectConfig: CONFIG });
    const params = tinyModel(12345);
    assignParams(params, ckpt.tensors, path);
    const opt = new AdamW(params);
    opt.setState(ckpt.optimizerState!);
    disposeAll(ckpt.tensors);
    disposeAll(ckpt.optimizerState!.slots);
    await runSteps({ params, lossFn: lossFor(params), steps: total, startStep: ckpt.step, lr, optimizer: opt,
      rng: new Rng(ckpt.rngState!), onStep: (i) => void resumed.push(i.loss) });

    assert.equal(ckpt.step, half);
    assert.deepEqual(resumed, straight);
    for (const k of Object.keys(params)) assert.deepEqual(params[k]!.dataSync(), straightParams[k]!.dataSync(), k);
    opt.dispose();
    straightOpt.dispose();
    disposeAll(params);
    disposeAll(straightParams);
  });

  it("resumes the MMaDA transformer exactly (masked-token loss, dropout on)", async () => {
    const config = makeConfig({ dModel: 32, nHeads: 2, nLayers: 1, mlpHidden: 64, textLength: 8, dropout: 0.1 });
    const total = 6;
    const lr = cosineWithWarmup({ peakLr: 3e-3, warmupSteps: 1, totalSteps: total });
    const run = async (model: MMaDA, opt: AdamW, rng: Rng, startStep: number, steps: number, onCheckpoint?: (s: number) => Promise<void>) => {
      const losses: number[] = [];
      await runSteps({ params: model.params, lossFn: maskedTokenLoss(model), steps, startStep, lr, optimizer: opt, rng,
        onStep: (i) => void losses.push(i.loss), onEnd: onCheckpoint });
      return losses;
    };
    const a = createModel(config, new Rng(1));
    const optA = new AdamW(a.params);
    const straight = await run(a, optA, new Rng(5), 0, total);

    const path = join(dir, "mmada.ckpt");
    const b = createModel(config, new Rng(1));
    const optB = new AdamW(b.params);
    const rngB = new Rng(5);
    const first = await run(b, optB, rngB, 0, total / 2, async (s) => {
      await saveCheckpoint(path, { config, params: b.params, optimizer: optB, step: s, rng: rngB });
    });
    const ckpt = await loadCheckpoint<ModelConfig>(path, { expectConfig: config });
    const c = createModel(ckpt.config, new Rng(777));
    assignParams(c.params, ckpt.tensors, path);
    const optC = new AdamW(c.params);
    optC.setState(ckpt.optimizerState!);
    disposeAll(ckpt.tensors);
    disposeAll(ckpt.optimizerState!.slots);
    const second = await run(c, optC, new Rng(ckpt.rngState!), ckpt.step, total);
    assert.deepEqual([...first, ...second], straight);
    for (const [o, m] of [[optA, a], [optB, b], [optC, c]] as const) {
      o.dispose();
      disposeModel(m);
    }
  });
});

/** LLaDA-style loss on random token rows: mask each position with prob 0.5 (rng), CE at masked ones. */
function maskedTokenLoss(model: MMaDA) {
  const L = seqLength(model.config);
  const V = vocabSize(model.config);
  return (_step: number, rng: Rng) => {
    const b = 2;
    const clean = Int32Array.from({ length: b * L }, () => NUM_SPECIAL_TOKENS + rng.int(V - NUM_SPECIAL_TOKENS));
    const masked = Float32Array.from(clean, () => (rng.uniform() < 0.5 ? 1 : 0));
    const input = Int32Array.from(clean, (t, i) => (masked[i] ? MASK_ID : t));
    const logits = forward(model, tf.tensor2d(input, [b, L], "int32"), { training: true, rng }); // [b, L, V]
    const logp = tf.logSoftmax(tf.reshape(logits, [b * L, V])); // [b*L, V]
    const ce = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(clean, "int32"), V)), 1)); // [b*L]
    const m = tf.tensor1d(masked);
    return tf.div(tf.sum(tf.mul(ce, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  };
}
