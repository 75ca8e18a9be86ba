// Specification of the semi-autoregressive text sampler (docs/mmada.md §5, §7).
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../model/backend.ts";
import { makeConfig } from "../../model/config.ts";
import { chatLayout, layoutContext } from "../../model/layouts.ts";
import { Rng } from "../../model/rng.ts";
import { numTransferTokens, sampleText, type TextSampleResult } from "../../model/sample-text.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { createModel, disposeModel, logitsFn } from "../../model/transformer.ts";
import type { LogitsFn } from "../../model/ops.ts";
import { MASK_ID } from "../../model/vocab.ts";
import { TEST_BACKEND } from "./test-backend.ts";

const VOCAB = 12;
const MASK = VOCAB - 1;
const PROMPT_ID = 3;

/**
 * A context-dependent stand-in model: logits[b, l] = table[l] + mean one-hot(row b) @ mix, so
 * confidences change as tokens are committed. Returns the fn and a JS reference of its logits.
 */
function standIn(seed: number, length: number): { fn: LogitsFn; reference: (row: Int32Array) => Float32Array; dispose: () => void } {
  const rng = new Rng(seed);
  const tableData = rng.fill(length * VOCAB, () => 2 * rng.normal());
  const mixData = rng.fill(VOCAB * VOCAB, () => 3 * rng.normal());
  const table = tf.tensor2d(tableData, [length, VOCAB]);
  const mix = tf.tensor2d(mixData, [VOCAB, VOCAB]);
  const fn: LogitsFn = (tokens) =>
    tf.tidy(() => {
      const context = tf.matMul(tf.mean(tf.oneHot(tokens, VOCAB), 1), mix); // [B, V]
      return tf.add(tf.expandDims(table, 0), tf.expandDims(context, 1)) as tf.Tensor3D; // [B, L, V]
    });
  const reference = (row: Int32Array): Float32Array => {
    const out = new Float32Array(length * VOCAB); // [L, V]
    for (let l = 0; l < length; l++) {
      for (let v = 0; v < VOCAB; v++) {
        let ctx = 0;
        for (const id of row) ctx += mixData[id * VOCAB + v]! / length;
        out[l * VOCAB + v] = tableData[l * VOCAB + v]! + ctx;
      }
    }
    return out;
  };
  return { fn, reference, dispose: () => tf.dispose([table, mix]) };
}

/** Rows with a prompt of PROMPT_ID up to each start and MASK after it. */
function promptRows(starts: number[], length: number): Int32Array {
  const rows = new Int32Array(starts.length * length);
  starts.forEach((s, b) => rows.fill(PROMPT_ID, b * length, b * length + s).fill(MASK, b * length + s, (b + 1) * length));
  return rows;
}

before(async () => {
  await initBackend(TEST_BACKEND);
});

describe("numTransferTokens", () => {
  it("splits the count evenly, remainder to the earliest steps", () => {
    assert.deepEqual(numTransferTokens(10, 4), [3, 3, 2, 2]);
    assert.deepEqual(numTransferTokens(3, 5), [1, 1, 1, 0, 0]);
    fc.assert(
      fc.property(fc.nat(200), fc.integer({ min: 1, max: 40 }), (count, steps) => {
        const k = numTransferTokens(count, steps);
        assert.equal(k.length, steps);
        assert.equal(k.reduce((a, b) => a + b, 0), count);
        assert.ok(k.every((v, i) => i === 0 || v <= k[i - 1]!), "non-increasing");
        assert.ok(Math.max(...k) - Math.min(...k) <= 1, "linear: counts differ by at most one");
      }),
    );
  });
});

describe("sampleText", () => {
  it("fills only the current block, never re-masks, and follows the schedule (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          batch: fc.integer({ min: 1, max: 3 }),
          length: fc.integer({ min: 6, max: 20 }),
          blockLength: fc.integer({ min: 1, max: 6 }),
          stepsPerBlock: fc.integer({ min: 1, max: 4 }),
          temperature: fc.constantFrom(0, 1),
          seed: fc.nat(),
          startFrac: fc.array(fc.double({ min: 0, max: 0.9, noNaN: true }), { minLength: 3, maxLength: 3 }),
          genLength: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
        }),
        async (c) => {
          const starts = c.startFrac.slice(0, c.batch).map((f) => Math.floor(f * c.length));
          const ends = starts.map((s) => Math.min(c.length, s + (c.genLength ?? c.length - s)));
          const blocks = Math.ceil(Math.max(...ends.map((e, b) => e - starts[b]!)) / c.blockLength);
          const model = standIn(c.seed, c.length);
          const input = promptRows(starts, c.length);
          const before = tf.memory().numTensors;
          const out = await sampleText(model.fn, input, c.batch, {
            maskId: MASK,
            genStart: starts,
            genLength: c.genLength,
            steps: blocks * c.stepsPerBlock,
            blockLength: c.blockLength,
            temperature: c.temperature,
            rng: new Rng(c.seed),
            trace: true,
          });
          assert.equal(tf.memory().numTensors, before, "no tensor leaks");
          model.dispose();
          checkTrace(out, input, starts, ends, c.stepsPerBlock);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("commits x0 = argmax and the k most confident by noise-free probability (temperature 0)", async () => {
    const length = 14;
    const model = standIn(7, length);
    const input = promptRows([4, 2], length);
    const out = await sampleText(model.fn, input, 2, { maskId: MASK, genStart: [4, 2], steps: 6, blockLength: 4, trace: true });
    let previous = input;
    for (const step of out.trace!) {
      step.candidates.forEach((cands, b) => {
        const logits = model.reference(previous.subarray(b * length, (b + 1) * length));
        for (const cand of cands) {
          const row = Array.from(logits.subarray(cand.pos * VOCAB, (cand.pos + 1) * VOCAB));
          const allowed = row.map((v, id) => (id === MASK ? -Infinity : v));
          const argmax = allowed.indexOf(Math.max(...allowed));
          assert.equal(cand.id, argmax, "x0 is the plain argmax at temperature 0");
          const z = allowed.reduce((a, v) => a + Math.exp(v), 0);
          assert.ok(Math.abs(cand.confidence - Math.exp(allowed[argmax]!) / z) < 1e-4, "confidence = softmax prob of x0");
        }
        const chosen = new Set(step.committed[b]);
        const minChosen = Math.min(...cands.filter((c) => chosen.has(c.pos)).map((c) => c.confidence));
        for (const cand of cands) if (!chosen.has(cand.pos)) assert.ok(cand.confidence <= minChosen, "low confidence stays masked");
      });
      previous = step.tokens;
    }
    model.dispose();
  });

  it("uses noise-free confidences even with large Gumbel noise", async () => {
    const length = 10;
    const model = standIn(3, length);
    const input = promptRows([2], length);
    const out = await sampleText(model.fn, input, 1, {
      maskId: MASK, genStart: 2, steps: 8, blockLength: 8, temperature: 50, rng: new Rng(11), trace: true,
    });
    let previous = input;
    for (const step of out.trace!) {
      const logits = model.reference(previous);
      for (const cand of step.candidates[0]!) {
        const row = Array.from(logits.subarray(cand.pos * VOCAB, (cand.pos + 1) * VOCAB)).map((v, id) => (id === MASK ? -Infinity : v));
        const z = row.reduce((a, v) => a + Math.exp(v), 0);
        assert.ok(Math.abs(cand.confidence - Math.exp(row[cand.id]!) / z) < 1e-4);
      }
      previous = step.tokens;
    }
    model.dispose();
  });

  it("is deterministic at temperature 0 and reproducible from the rng seed otherwise", async () => {
    const length = 12;
    const model = standIn(5, length);
    const input = promptRows([3, 5], length);
    const opts = { maskId: MASK, genStart: [3, 5], steps: 6, blockLength: 4 };
    const a = await sampleText(model.fn, input, 2, opts);
    const b = await sampleText(model.fn, input, 2, { ...opts, rng: new Rng(1) });
    assert.deepEqual(a.tokens, b.tokens);
    const noisy = (seed: number) => sampleText(model.fn, input, 2, { ...opts, temperature: 2, rng: new Rng(seed) });
    assert.deepEqual((await noisy(9)).tokens, (await noisy(9)).tokens);
    const draws = await Promise.all([1, 2, 3, 4].map(async (s) => (await noisy(s)).tokens.join(",")));
    assert.ok(new Set(draws).size > 1, "different seeds give different samples");
    model.dispose();
  });

  it("restricts candidates to the vocabulary range", async () => {
    const length = 12;
    const model = standIn(2, length);
    const out = await sampleText(model.fn, promptRows([2], length), 1, {
      maskId: MASK, genStart: 2, steps: 10, blockLength: 10, temperature: 1, rng: new Rng(4), vocabRange: { start: 5, end: 8 },
    });
    for (const id of out.tokens.subarray(2)) assert.ok(id >= 5 && id < 8, `id ${id} outside [5, 8)`);
    model.dispose();
  });

  it("answers a chat prompt of the core layouts with the core transformer, in text ids only", async () => {
    const tokenizer = new CharTokenizer();
    const config = makeConfig({ textVocabSize: tokenizer.vocabSize, codebookSize: 8, gridH: 2, gridW: 2, textLength: 16, dModel: 32, nHeads: 2, nLayers: 1, mlpHidden: 64 });
    const model = createModel(config, new Rng(0));
    const prompts = [chatLayout(layoutContext(config, tokenizer), "1+2=", null), chatLayout(layoutContext(config, tokenizer), "7*6=", null)];
    const length = prompts[0]!.ids.length;
    const rows = Int32Array.from(prompts.flatMap((p) => Array.from(p.ids)));
    const out = await sampleText(logitsFn(model), rows, 2, {
      maskId: MASK_ID, genStart: prompts.map((p) => p.answerStart), steps: 8, blockLength: 4, temperature: 1, rng: new Rng(2),
      vocabRange: { start: 0, end: config.textVocabSize },
    });
    prompts.forEach((p, b) => {
      const row = out.tokens.subarray(b * length, (b + 1) * length);
      assert.deepEqual(row.subarray(0, p.answerStart), p.ids.subarray(0, p.answerStart), "prompt untouched");
      for (const id of row.subarray(p.answerStart)) assert.ok(id !== MASK_ID && id < config.textVocabSize, `answer id ${id}`);
    });
    disposeModel(model);
  });

  it("explains a step count that does not divide over the blocks", async () => {
    const model = standIn(1, 10);
    await assert.rejects(
      sampleText(model.fn, promptRows([2], 10), 1, { maskId: MASK, genStart: 2, steps: 3, blockLength: 4 }),
      /steps=3 must be a multiple of the number of blocks \(2/,
    );
    model.dispose();
  });
});

/** The invariants of docs/mmada.md §5 checked on a trace. */
function checkTrace(out: TextSampleResult, input: Int32Array, starts: number[], ends: number[], stepsPerBlock: number): void {
  const { length, batch } = out;
  let previous = input;
  let blockMasked: number[] = [];
  for (const step of out.trace!) {
    if (step.step === 0) {
      blockMasked = step.blockRange.map(([lo, hi], b) => {
        let n = 0;
        for (let p = lo; p < hi; p++) if (previous[b * length + p] === MASK) n++;
        return n;
      });
    }
    for (let b = 0; b < batch; b++) {
      const [lo, hi] = step.blockRange[b]!;
      assert.equal(step.committed[b]!.length, numTransferTokens(blockMasked[b]!, stepsPerBlock)[step.step], "schedule");
      for (let p = 0; p < length; p++) {
        const was = previous[b * length + p]!;
        const now = step.tokens[b * length + p]!;
        if (was !== MASK) assert.equal(now, was, "committed or prompt tokens never change");
        if (now !== was) assert.ok(p >= lo && p < hi, `position ${p} filled outside block [${lo}, ${hi})`);
      }
    }
    previous = step.tokens;
  }
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < length; p++) {
      const inRegion = p >= starts[b]! && p < ends[b]!;
      const id = out.tokens[b * length + p]!;
      if (inRegion) assert.notEqual(id, MASK, "the whole region is generated");
      else assert.equal(id, input[b * length + p], "outside the region nothing changes");
    }
  }
}
