// Specification of the MaskGIT image sampler with classifier-free guidance (docs/mmada.md §5, §7).
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../model/backend.ts";
import { imageTokenCount, makeConfig } from "../../model/config.ts";
import { layoutContext, t2iLayout } from "../../model/layouts.ts";
import { Rng } from "../../model/rng.ts";
import { annealedTemperature, cfgCombine, type ImageSampleOptions, maskLength, sampleImage } from "../../model/sample-image.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { createModel, disposeModel, logitsFn } from "../../model/transformer.ts";
import type { LogitsFn } from "../../model/ops.ts";
import { imageTokenId, MASK_ID } from "../../model/vocab.ts";
import { TEST_BACKEND } from "./test-backend.ts";

// Unified vocabulary of the stand-in: text ids 0..9, image codes 10..15, MASK 16.
const TEXT_VOCAB = 10;
const CODEBOOK = 6;
const MASK = TEXT_VOCAB + CODEBOOK;
const VOCAB = MASK + 1;
const PAD = 0;
const CAPTION = 7; // the caption token the stand-in reacts to
const FAVOURED_CODE = 3;
const SOI = 8;
const EOI = 9;
const PREFIX = 4; // text positions before <|soi|>
/** Text ids get this logit, far above any image code: a sampler that does not slice the image range draws text. */
const TEXT_LOGIT = 20;

/** t2i rows: [PAD.. CAPTION] <|soi|> MASK*N <|eoi|>; the uncond prefix has no caption. */
function t2iRows(batch: number, n: number): { rows: Int32Array; uncond: Int32Array; length: number; imageStart: number } {
  const length = PREFIX + n + 2;
  const cond = [PAD, PAD, PAD, CAPTION, SOI, ...new Array<number>(n).fill(MASK), EOI];
  const rows = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) rows.set(cond, b * length);
  return { rows, uncond: Int32Array.from([PAD, PAD, PAD, PAD, SOI]), length, imageStart: PREFIX + 1 };
}

/**
 * Stand-in model: text ids get TEXT_LOGIT; image codes get a per-position table, plus `captionBias`
 * on FAVOURED_CODE when the row holds CAPTION, plus a term from how many image tokens are known.
 */
function standIn(seed: number, length: number, captionBias = 0): LogitsFn {
  const rng = new Rng(seed);
  const table = tf.tensor2d(rng.fill(length * VOCAB, () => rng.normal()), [length, VOCAB]);
  const textBoost = tf.tensor1d(Array.from({ length: VOCAB }, (_, v) => (v < TEXT_VOCAB ? TEXT_LOGIT : 0)));
  const favoured = tf.tensor1d(Array.from({ length: VOCAB }, (_, v) => (v === FAVOURED_CODE + TEXT_VOCAB ? 1 : 0)));
  return (tokens) =>
    tf.tidy(() => {
      const hasCaption = tf.cast(tf.any(tf.equal(tokens, CAPTION), 1), "float32") as tf.Tensor1D; // [B]
      const known = tf.mean(tf.cast(tf.notEqual(tokens, MASK), "float32"), 1) as tf.Tensor1D; // [B]
      const rowTerm = tf.add(tf.outerProduct(hasCaption, tf.mul(favoured, captionBias) as tf.Tensor1D), tf.outerProduct(known, favoured)); // [B, V]
      return tf.add(tf.add(tf.expandDims(table, 0), tf.expandDims(rowTerm, 1)), textBoost) as tf.Tensor3D; // [B, L, V]
    });
}

function options(n: number, imageStart: number, extra: Partial<ImageSampleOptions> = {}): ImageSampleOptions {
  return { maskId: MASK, imageStart, numImageTokens: n, codeOffset: TEXT_VOCAB, codebookSize: CODEBOOK, steps: 6, rng: new Rng(1), ...extra };
}

before(async () => {
  await initBackend(TEST_BACKEND);
});

describe("maskLength", () => {
  it("follows floor(N cos(pi/2 (k+1)/K)) clamped to [1, unknown-1], 0 at the last step", () => {
    assert.equal(maskLength(16, 0, 4, 16), Math.floor(16 * Math.cos(Math.PI / 8)));
    assert.equal(maskLength(16, 2, 4, 16), Math.floor(16 * Math.cos((3 * Math.PI) / 8)));
    assert.equal(maskLength(16, 3, 4, 16), 0);
    assert.equal(maskLength(16, 0, 4, 5), 4, "at most unknown - 1 stay masked");
    assert.equal(maskLength(100, 8, 10, 50), 15);
    assert.equal(maskLength(4, 2, 4, 3), 1, "at least one stays masked before the last step");
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 30 }), fc.nat(), (n, steps, kRaw) => {
        const k = kRaw % steps;
        const len = maskLength(n, k, steps, n);
        if (k === steps - 1) assert.equal(len, 0);
        else if (n >= 2) assert.ok(len >= 1 && len <= n - 1);
        if (k > 0 && k < steps - 1) assert.ok(len <= maskLength(n, k - 1, steps, n), "non-increasing");
      }),
    );
  });

  it("anneals the Gumbel temperature to zero at the last step, compounding by default like the reference", () => {
    // reference loop: for k in 0..K-1 { ratio = (k+1)/K; temperature *= 1 - ratio }
    const K = 12;
    let t = 2;
    for (let k = 0; k < K; k++) {
      t *= 1 - (k + 1) / K;
      assert.ok(Math.abs(annealedTemperature(2, k, K) - t) < 1e-12, `step ${k}`);
      assert.equal(annealedTemperature(2, k, K), annealedTemperature(2, k, K, "compound"));
    }
    assert.equal(annealedTemperature(2, 0, 4), 1.5);
    assert.equal(annealedTemperature(2, 1, 4), 0.75, "compounded: 2 * 3/4 * 2/4");
    assert.equal(annealedTemperature(2, 3, 4), 0);
  });

  it("keeps the linear schedule (1 - (k+1)/K) as an option, noisier mid-schedule", () => {
    assert.equal(annealedTemperature(2, 1, 4, "linear"), 1);
    assert.equal(annealedTemperature(2, 3, 4, "linear"), 0);
    for (let k = 1; k < 11; k++) assert.ok(annealedTemperature(1, k, 12, "compound") < annealedTemperature(1, k, 12, "linear"));
  });
});

describe("cfgCombine", () => {
  it("is (1+w) cond - w uncond, and cond itself at w = 0", async () => {
    const cond = tf.tensor1d([1, -2, 0.5]);
    const uncond = tf.tensor1d([3, 1, -1]);
    assert.deepEqual(Array.from(await cfgCombine(cond, uncond, 0).data()), [1, -2, 0.5]);
    const guided = Array.from(await cfgCombine(cond, uncond, 2).data());
    [3 - 6, -6 - 2, 1.5 + 2].forEach((v, i) => assert.ok(Math.abs(guided[i]! - v) < 1e-6));
    tf.dispose([cond, uncond]);
  });
});

describe("sampleImage", () => {
  it("draws only image codes, never re-masks, and unmasks on the cosine schedule (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 16 }), fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0, 1.5), fc.nat(),
        async (batch, n, steps, guidance, seed) => {
          const { rows, uncond, length, imageStart } = t2iRows(batch, n);
          const fn = standIn(seed, length);
          const before = tf.memory().numTensors;
          const out = await sampleImage(fn, rows, batch, options(n, imageStart, { steps, guidance, uncondPrefix: uncond, rng: new Rng(seed), trace: true }));
          assert.equal(tf.memory().numTensors, before, "no tensor leaks");
          for (const code of out.codes) assert.ok(code >= 0 && code < CODEBOOK, `code ${code} outside the codebook`);
          const trace = out.trace!;
          trace.forEach((t, k) => {
            for (let b = 0; b < batch; b++) {
              assert.equal(t.unknown[b], k === 0 ? n : trace[k - 1]!.maskLen[b], "unknown count follows the schedule");
              const fed = t.input.subarray(b * length + imageStart, b * length + imageStart + n).filter((id) => id === MASK).length;
              assert.equal(fed, t.unknown[b], "the model sees the current image tokens");
              assert.equal(t.maskLen[b], maskLength(n, k, steps, t.unknown[b]!));
            }
          });
          // Once committed, an image token keeps its value to the end (checked on the cond rows fed to the model).
          const snapshots = [...trace.map((t) => t.input.subarray(0, batch * length)), out.tokens];
          for (let s = 1; s < snapshots.length; s++) {
            for (let i = 0; i < batch * length; i++) {
              if (snapshots[s - 1]![i] !== MASK) assert.equal(snapshots[s]![i], snapshots[s - 1]![i]);
            }
          }
          for (let b = 0; b < batch; b++) {
            for (let i = 0; i < n; i++) assert.equal(out.tokens[b * length + imageStart + i], TEXT_VOCAB + out.codes[b * n + i]!);
            assert.deepEqual(out.tokens.subarray(b * length, b * length + imageStart), rows.subarray(b * length, b * length + imageStart));
            assert.equal(out.tokens[(b + 1) * length - 1], EOI);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("runs cond and uncond in one forward of 2B rows, the uncond rows carrying the CURRENT image tokens", async () => {
    const batch = 2;
    const n = 8;
    const { rows, uncond, length, imageStart } = t2iRows(batch, n);
    const inner = standIn(4, length);
    const calls: Int32Array[] = [];
    const spy: LogitsFn = (tokens) => {
      calls.push(Int32Array.from(tokens.dataSync()));
      return inner(tokens);
    };
    const out = await sampleImage(spy, rows, batch, options(n, imageStart, { guidance: 3.5, uncondPrefix: uncond, trace: true }));
    assert.equal(calls.length, 6, "one forward per step");
    calls.forEach((input, k) => {
      assert.equal(input.length, 2 * batch * length, "2B rows per forward");
      for (let b = 0; b < batch; b++) {
        const condRow = input.subarray(b * length, (b + 1) * length);
        const uncondRow = input.subarray((batch + b) * length, (batch + b + 1) * length);
        assert.deepEqual(uncondRow.subarray(0, imageStart), uncond, "empty-caption prefix");
        assert.deepEqual(uncondRow.subarray(imageStart), condRow.subarray(imageStart), "current image tokens");
        assert.equal(condRow[PREFIX - 1], CAPTION);
        const masked = condRow.subarray(imageStart, imageStart + n).filter((id) => id === MASK).length;
        assert.equal(masked, out.trace![k]!.unknown[b], "step k feeds the tokens committed so far");
      }
    });
  });

  it("with w = 0 needs no uncond pass and samples exactly as without guidance", async () => {
    const { rows, uncond, length, imageStart } = t2iRows(2, 8);
    const inner = standIn(6, length);
    let rowsSeen = 0;
    const spy: LogitsFn = (tokens) => ((rowsSeen = Math.max(rowsSeen, tokens.shape[0])), inner(tokens));
    const a = await sampleImage(spy, rows, 2, options(8, imageStart, { guidance: 0, uncondPrefix: uncond, rng: new Rng(3) }));
    const b = await sampleImage(inner, rows, 2, options(8, imageStart, { rng: new Rng(3) }));
    assert.equal(rowsSeen, 2);
    assert.deepEqual(a.codes, b.codes);
  });

  it("guidance amplifies what the caption asks for", async () => {
    const batch = 8;
    const n = 16;
    const { rows, uncond, length, imageStart } = t2iRows(batch, n);
    const fn = standIn(8, length, 1);
    const share = async (w: number) => {
      const out = await sampleImage(fn, rows, batch, options(n, imageStart, { guidance: w, uncondPrefix: uncond, rng: new Rng(5) }));
      return out.codes.filter((c) => c === FAVOURED_CODE).length / out.codes.length;
    };
    const [plain, guided] = [await share(0), await share(4)];
    assert.ok(guided > plain + 0.2, `favoured-code share ${plain} -> ${guided}`);
  });

  it("is reproducible from the rng seed", async () => {
    const { rows, length, imageStart } = t2iRows(2, 8);
    const fn = standIn(9, length);
    const run = async (seed: number) => (await sampleImage(fn, rows, 2, options(8, imageStart, { rng: new Rng(seed) }))).codes;
    assert.deepEqual(await run(1), await run(1));
    assert.notDeepEqual(await run(1), await run(2));
  });

  it("generates from a core t2i layout with the core transformer, the uncond prefix from the dropped-caption layout", async () => {
    const tokenizer = new CharTokenizer();
    const config = makeConfig({ textVocabSize: tokenizer.vocabSize, codebookSize: 8, gridH: 2, gridW: 2, textLength: 8, dModel: 32, nHeads: 2, nLayers: 1, mlpHidden: 64 });
    const ctx = layoutContext(config, tokenizer);
    const model = createModel(config, new Rng(0));
    const cond = t2iLayout(ctx, "seven", null, { dropCaption: false });
    const uncond = t2iLayout(ctx, "seven", null, { dropCaption: true }).ids.subarray(0, cond.imageStart);
    const n = imageTokenCount(config);
    const out = await sampleImage(logitsFn(model), cond.ids, 1, {
      maskId: MASK_ID, imageStart: cond.imageStart, numImageTokens: n, codeOffset: config.textVocabSize, codebookSize: config.codebookSize,
      steps: 4, guidance: 3.5, uncondPrefix: uncond, rng: new Rng(1),
    });
    out.codes.forEach((code, i) => assert.equal(out.tokens[cond.imageStart + i], imageTokenId(config, code)));
    assert.deepEqual(out.tokens.subarray(0, cond.imageStart), cond.ids.subarray(0, cond.imageStart));
    disposeModel(model);
  });

  it("explains missing guidance inputs", async () => {
    const { rows, length, imageStart } = t2iRows(1, 4);
    await assert.rejects(sampleImage(standIn(1, length), rows, 1, options(4, imageStart, { guidance: 2 })), /guidance > 0 needs uncondPrefix/);
  });
});
