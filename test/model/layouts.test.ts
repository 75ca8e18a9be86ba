// Sequence layouts (docs/mmada.md §1) and the character tokenizer they use.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { makeConfig, seqLength } from "../../model/config.ts";
import {
  CAPTION_DROP_PROB,
  chatLayout,
  type Layout,
  layoutContext,
  lmLayout,
  mmuLayout,
  ROLE_ANSWER,
  ROLE_IMAGE,
  ROLE_PROMPT,
  t2iLayout,
} from "../../model/layouts.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { ASSISTANT_ID, BOS_ID, END_THINK_ID, EOI_ID, EOS_ID, IPAD_ID, MASK_ID, MMU_ID, SOI_ID, T2I_ID, THINK_ID, UNK_ID, USER_ID } from "../../model/vocab.ts";

const tok = new CharTokenizer();
const config = makeConfig({ textVocabSize: tok.vocabSize, textLength: 24, gridH: 2, gridW: 3, codebookSize: 10 });
const ctx = layoutContext(config, tok);
const T = config.textLength;
const N = 6;
const L = seqLength(config);
const codes = [0, 1, 2, 9, 8, 7];
const img = codes.map((c) => config.textVocabSize + c);

const rolesOf = (l: Layout, role: number) => [...l.roles].flatMap((r, i) => (r === role ? [i] : []));

describe("tokenizer", () => {
  it("round-trips text and parses special tokens as single ids", () => {
    const s = "<think>3+4=7 7*2=14</think>14";
    const ids = tok.encode(s);
    assert.equal(ids[0], THINK_ID);
    assert.equal(ids.filter((i) => i === END_THINK_ID).length, 1);
    assert.equal(ids.length, 2 + "3+4=7 7*2=14".length + "14".length);
    assert.equal(tok.decode(ids), s);
  });
  it("maps unknown characters to UNK and survives toJSON/fromJSON", () => {
    assert.deepEqual(tok.encode("a\u00e9b"), [tok.encode("a")[0], UNK_ID, tok.encode("b")[0]]);
    const back = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    assert.equal(back.vocabSize, tok.vocabSize);
    assert.deepEqual(back.encode("Call me Ishmael.\n"), tok.encode("Call me Ishmael.\n"));
    assert.throws(() => CharTokenizer.fromJSON({ kind: "bpe" }), /kind: "char"/);
  });
});

describe("layouts", () => {
  it("t2i: [iPAD].. <|t2i|> BOS caption EOS <|soi|> img <|eoi|>, caption is prompt", () => {
    const l = t2iLayout(ctx, "a 7", codes, { dropCaption: false });
    const cap = tok.encode("a 7");
    const pads = T - 2 - cap.length;
    assert.deepEqual([...l.ids], [...Array(pads).fill(IPAD_ID), T2I_ID, BOS_ID, ...cap, EOS_ID, SOI_ID, ...img, EOI_ID]);
    assert.equal(l.imageStart, T + 2);
    assert.deepEqual(rolesOf(l, ROLE_IMAGE), [...Array(N).keys()].map((i) => T + 2 + i));
    assert.equal(rolesOf(l, ROLE_ANSWER).length, 0);
  });

  it("t2i: a dropped caption leaves an empty BOS EOS", () => {
    const l = t2iLayout(ctx, "a 7", codes, { dropCaption: true });
    assert.deepEqual([...l.ids.slice(T - 2, T + 2)], [T2I_ID, BOS_ID, EOS_ID, SOI_ID]);
    assert.ok(l.ids.slice(0, T - 2).every((x) => x === IPAD_ID));
  });

  it("t2i: the rng drops the caption with probability ~0.1", () => {
    const rng = new Rng(7);
    const draws = 4000;
    let dropped = 0;
    for (let i = 0; i < draws; i++) if (t2iLayout(ctx, "a 7", codes, { rng }).ids[T - 1] === BOS_ID) dropped++;
    const tolerance = 4 * Math.sqrt((CAPTION_DROP_PROB * (1 - CAPTION_DROP_PROB)) / draws); // 4 sigma
    assert.ok(Math.abs(dropped / draws - CAPTION_DROP_PROB) < tolerance, `drop rate ${dropped / draws}`);
  });

  it("mmu: prompt up to <assistant>, answer includes the EOS padding", () => {
    const l = mmuLayout(ctx, codes, "digit?", "7");
    const q = tok.encode("digit?");
    const head = [MMU_ID, SOI_ID, ...img, EOI_ID, BOS_ID, USER_ID, ...q, ASSISTANT_ID];
    assert.deepEqual([...l.ids.slice(0, head.length)], head);
    assert.equal(l.answerStart, head.length);
    assert.equal(l.ids[head.length], tok.encode("7")[0]);
    assert.ok(l.ids.slice(head.length + 1).every((x) => x === EOS_ID));
    assert.deepEqual(rolesOf(l, ROLE_ANSWER), [...Array(L - head.length).keys()].map((i) => head.length + i));
    assert.equal(l.imageStart, 2);
    assert.equal(rolesOf(l, ROLE_IMAGE).length, 0, "mmu image tokens are prompt, never masked");
  });

  it("chat: BOS <user> q <assistant> is prompt; answer keeps <think> as single ids", () => {
    const l = chatLayout(ctx, "3*2?", "<think>3*2=6</think>6");
    const head = [BOS_ID, USER_ID, ...tok.encode("3*2?"), ASSISTANT_ID];
    assert.deepEqual([...l.ids.slice(0, head.length)], head);
    assert.equal(l.ids[head.length], THINK_ID);
    assert.equal(rolesOf(l, ROLE_PROMPT).length, head.length);
  });

  it("lm: BOS text EOS.. with every position maskable", () => {
    const l = lmLayout(ctx, "Call me Ishmael.");
    assert.equal(l.ids[0], BOS_ID);
    assert.equal(rolesOf(l, ROLE_ANSWER).length, L);
    assert.equal(l.ids[L - 1], EOS_ID);
  });

  it("null answers and images become MASK (sampler prompts)", () => {
    const chat = chatLayout(ctx, "3*2?", null);
    assert.ok(chat.ids.slice(chat.answerStart).every((x) => x === MASK_ID));
    const t2i = t2iLayout(ctx, "a 7", null, { dropCaption: false });
    assert.ok(t2i.ids.slice(t2i.imageStart, t2i.imageStart + N).every((x) => x === MASK_ID));
  });

  it("every task has length L = T + N + 3 for any text that fits", () => {
    const text = (max: number) => fc.string({ maxLength: max, unit: fc.constantFrom(..."abc 0123+=*?.") });
    fc.assert(
      fc.property(text(T - 2), text(8), text(8), text(L - 2), (cap, q, a, lm) => {
        for (const l of [t2iLayout(ctx, cap, codes, { dropCaption: false }), mmuLayout(ctx, codes, q, a), chatLayout(ctx, q, a), lmLayout(ctx, lm)]) {
          assert.equal(l.ids.length, L);
          assert.equal(l.roles.length, L);
        }
      }),
    );
  });

  it("says what does not fit and what to do", () => {
    assert.throws(() => t2iLayout(ctx, "x".repeat(T), codes, { dropCaption: false }), /caption .* is 24 tokens .*T=24.*raise model.textLength/);
    assert.throws(() => mmuLayout(ctx, codes, "x".repeat(T), "y"), /mmu layout: question .*shorten them or raise model.textLength/);
    assert.throws(() => lmLayout(ctx, "x".repeat(L)), /lm layout: .*split the text/);
    assert.throws(() => mmuLayout(ctx, [1, 2], "q", "a"), /2 codes but the model expects N=6/);
    assert.throws(() => t2iLayout(ctx, "a", [0, 1, 2, 3, 4, 10], { dropCaption: false }), /image code 10 is outside the codebook/);
  });
});
