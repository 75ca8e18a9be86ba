// The two masking rules and the loss weights they produce (docs/mmada.md §2), as properties.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { makeConfig } from "../../model/config.ts";
import { chatLayout, type Layout, layoutContext, lmLayout, mmuLayout, ROLE_ANSWER, ROLE_PROMPT, t2iLayout } from "../../model/layouts.ts";
import { lladaMaskProb, maskBatch, maskgitCount, maskgitRatio } from "../../model/masking.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { MASK_ID } from "../../model/vocab.ts";

const tok = new CharTokenizer();
const config = makeConfig({ textVocabSize: tok.vocabSize, textLength: 24, gridH: 3, gridW: 3, codebookSize: 16 });
const ctx = layoutContext(config, tok);
const N = 9;
const EPS = config.maskEps;

/** A random mixed batch: 1-3 rows of each task. */
const batchArb = fc
  .record({
    seed: fc.integer(),
    counts: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
  })
  .filter(({ counts }) => counts.some((c) => c > 0))
  .map(({ seed, counts }) => {
    const rng = new Rng(seed);
    const img = () => Array.from({ length: N }, () => rng.int(config.codebookSize));
    const rows: Layout[] = [];
    for (let i = 0; i < counts[0]; i++) rows.push(t2iLayout(ctx, "a seven", img(), { rng }));
    for (let i = 0; i < counts[1]; i++) rows.push(lmLayout(ctx, "Call me Ishmael.".slice(0, 1 + rng.int(16))));
    for (let i = 0; i < counts[2]; i++) rows.push(mmuLayout(ctx, img(), "digit?", "seven".slice(0, 1 + rng.int(5))));
    for (let i = 0; i < counts[3]; i++) rows.push(chatLayout(ctx, "3*2?", "<think>3*2=6</think>6"));
    return { rows, seed };
  });

describe("masking schedules", () => {
  it("MaskGIT masks max(1, round(N cos(pi/2 u))) tokens, N at u=0, decreasing in u", () => {
    assert.equal(maskgitCount(N, 0), N);
    assert.equal(maskgitCount(N, 0.999999), 1);
    for (let u = 0; u < 1; u += 0.01) assert.ok(maskgitCount(N, u) >= maskgitCount(N, u + 0.01));
    assert.equal(maskgitRatio(0.5), Math.cos(Math.PI / 4));
  });
  it("LLaDA p = (1 - eps) t + eps stays in [eps, 1]", () => {
    assert.equal(lladaMaskProb(0, EPS), EPS);
    assert.equal(lladaMaskProb(1, EPS), 1);
  });
});

describe("maskBatch", () => {
  it("never masks the prompt (t2i caption, mmu image + question, chat question)", () => {
    fc.assert(
      fc.property(batchArb, ({ rows, seed }) => {
        const m = maskBatch(rows, new Rng(seed + 1), EPS);
        rows.forEach((row, b) => {
          for (let i = 0; i < m.length; i++) {
            const k = b * m.length + i;
            if (row.roles[i] === ROLE_PROMPT) assert.equal(m.masked[k], 0, `${row.task} prompt position ${i} masked`);
            assert.equal(m.inputIds[k], m.masked[k] ? MASK_ID : row.ids[i]);
            assert.equal(m.labels[k], row.ids[i]);
            assert.equal(m.weights[k]! > 0, m.masked[k] === 1);
          }
        });
      }),
    );
  });

  it("masks exactly max(1, round(N cos(pi/2 u))) image tokens of a t2i row", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const row = t2iLayout(ctx, "a seven", Array(N).fill(3), { dropCaption: false });
        const m = maskBatch([row], new Rng(seed), EPS);
        const u = new Rng(seed).uniform(); // maskBatch's first draw for this row
        const masked = m.masked.reduce((a, b) => a + b, 0);
        assert.equal(masked, Math.max(1, Math.round(N * Math.cos((Math.PI / 2) * u))));
        assert.ok(masked >= 1 && masked <= N);
      }),
    );
  });

  for (const chatSlice of ["lm", "own"] as const) {
  it(`weights carry each task's normalisation; answer_len includes the EOS padding (chat rows in the ${chatSlice} slice)`, () => {
    fc.assert(
      fc.property(batchArb, ({ rows, seed }) => {
        const m = maskBatch(rows, new Rng(seed), EPS, chatSlice === "lm" ? {} : { chatSlice });
        assert.equal(m.chatSlice, chatSlice, "the reference's lm slice is the default");
        const L = m.length;
        const count = (t: string) => m.tasks.filter((x) => x === t).length;
        // the reference's slices: [t2i | lm (+ chat) | mmu]; "own" gives chat rows a mean of their own
        const rowsOf = (t: string) => (chatSlice === "lm" && (t === "lm" || t === "chat") ? count("lm") + count("chat") : count(t));
        let t2iSum = 0;
        rows.forEach((row, b) => {
          const p = m.maskProb[b]!;
          const answerLen = row.roles.filter((r) => r === ROLE_ANSWER).length;
          if (row.task === "mmu" || row.task === "chat") assert.equal(answerLen, L - row.answerStart, "answer runs to the row end (EOS padding)");
          for (let i = 0; i < L; i++) {
            const w = m.weights[b * L + i]!;
            if (!m.masked[b * L + i]) continue;
            if (row.task === "t2i") t2iSum += w;
            else if (row.task === "lm") assertClose(w, 1 / (p * rowsOf("lm") * L));
            else assertClose(w, 1 / (p * answerLen * rowsOf(row.task)));
          }
        });
        if (rowsOf("t2i") > 0) assertClose(t2iSum, 1);
      }),
    );
  });
  }

  it("masks text answers at rate p on average", () => {
    const rows = Array.from({ length: 400 }, () => chatLayout(ctx, "q", "an answer"));
    const m = maskBatch(rows, new Rng(3), EPS);
    let masked = 0;
    let expected = 0;
    rows.forEach((row, b) => {
      const answer = m.length - row.answerStart;
      for (let i = row.answerStart; i < m.length; i++) masked += m.masked[b * m.length + i]!;
      expected += m.maskProb[b]! * answer;
    });
    assert.ok(Math.abs(masked / expected - 1) < 0.05, `masked ${masked} vs expected ${expected}`);
  });

  it("rejects rows of different lengths", () => {
    const other = layoutContext(makeConfig({ textVocabSize: tok.vocabSize, textLength: 30, gridH: 3, gridW: 3, codebookSize: 16 }), tok);
    assert.throws(() => maskBatch([lmLayout(ctx, "a"), lmLayout(other, "b")], new Rng(1), EPS), /every task must use the same L/);
  });
});

function assertClose(a: number, b: number, rel = 1e-5): void {
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)), `${a} != ${b}`);
}
