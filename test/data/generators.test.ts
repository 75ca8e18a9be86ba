// The generators on their own: arithmetic chain-of-thought is correct and fits the length budget,
// every template sample fits, text normalisation keeps only tokenizer characters, splits are
// disjoint. Property tests (fast-check) cover the seeds and settings a user can pick.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { drawProblem, generateCot, solve } from "../../mmada/data/arithmetic.ts";
import { generateCaptions, generateMmcot, generateVqa, vqaAnswerText } from "../../mmada/data/image-tasks.ts";
import type { ArithmeticOptions, Operator } from "../../mmada/data/arithmetic.ts";
import { type PrepareDataWith, schema } from "../../activities/prepare-data/kind.ts";
import { withDefaults } from "../../pipelines/index.ts";
import { rngFor } from "../../mmada/data/random.ts";
import { splitPool } from "../../mmada/data/sources.ts";
import { DIGIT_NAMES, formatCotAnswer, sampleTokens } from "../../mmada/data/templates.ts";
import { MIN_PASSAGE_CHARS, normaliseText, toPassages } from "../../mmada/data/text.ts";
import { BadInputError } from "../../contract/failures.ts";
import { DEFAULT_CHARSET } from "../../model/text-tokenizer.ts";

const BUDGET = 64;
const DEFAULTS = withDefaults<PrepareDataWith>(schema, {});

/** Independent check of a question: products first, then + and - left to right. */
function evaluate(question: string): number {
  const expr = question.replace(/=\?$/, "");
  return expr
    .split(/(?=[+-])/)
    .map((term) => {
      const sign = term.startsWith("-") ? -1 : 1;
      const product = term.replace(/^[+-]/, "").split("*").reduce((p, f) => p * Number(f), 1);
      return sign * product;
    })
    .reduce((a, b) => a + b, 0);
}

test("solve works products first, then left to right, one step per operator", () => {
  assert.deepEqual(solve([3, 4, 2], ["+", "*"]), { question: "3+4*2=?", reasoning: "4*2=8 3+8=11", answer: "11" });
  assert.deepEqual(solve([9, 2, 3], ["-", "+"]), { question: "9-2+3=?", reasoning: "9-2=7 7+3=10", answer: "10" });
  assert.equal(solve([2, 5], ["-"]), undefined, "a negative result is redrawn");
});

test("generated problems are correct and every reasoning step checks out", () => {
  const arb = fc.record({
    seed: fc.nat(),
    maxOps: fc.integer({ min: 1, max: 3 }),
    maxOperand: fc.integer({ min: 1, max: 99 }),
    operators: fc.subarray<Operator>(["+", "-", "*"], { minLength: 1 }),
  });
  fc.assert(
    fc.property(arb, ({ seed, maxOps, maxOperand, operators }) => {
      const a: ArithmeticOptions = { minOps: 1, maxOps, minOperand: 0, maxOperand, operators };
      const rng = rngFor(seed, "test");
      for (let i = 0; i < 20; i++) {
        const r = drawProblem(rng, a);
        if (!r) continue;
        assert.equal(Number(r.answer), evaluate(r.question), r.question);
        const steps = r.reasoning.split(" ");
        assert.equal(steps.length, r.question.match(/[+*-]/g)!.length);
        for (const s of steps) {
          const [, x, op, y, z] = s.match(/^(\d+)([+*-])(\d+)=(\d+)$/)!;
          const v = op === "+" ? Number(x) + Number(y) : op === "-" ? Number(x) - Number(y) : Number(x) * Number(y);
          assert.equal(v, Number(z), s);
        }
        assert.equal(steps.at(-1)!.split("=")[1], r.answer);
      }
    }),
    { numRuns: 60 },
  );
});

test("every generated CoT and QA sample fits in 64 tokens at default settings", () => {
  const cot = generateCot(1, DEFAULTS.arithmetic, { train: 400, val: 50, test: 50 }, BUDGET);
  for (const r of [...cot.train, ...cot.val, ...cot.test]) assert.ok(sampleTokens(r.question, formatCotAnswer(r.reasoning, r.answer)) <= BUDGET, r.question);
  const labels = Array.from({ length: 40 }, (_, i) => i % 10);
  const o = { operands: [0, 999] as [number, number], maxSampleLength: BUDGET };
  for (const r of generateMmcot(1, "train", labels, 400, o)) assert.ok(sampleTokens(r.question, formatCotAnswer(r.reasoning, r.answer)) <= BUDGET, r.question);
  for (const yesno of ["answer", "identify"] as const) {
    for (const r of generateVqa(1, "train", labels, 400, { ...o, yesno })) assert.ok(sampleTokens(r.question, vqaAnswerText(r)) <= BUDGET, r.question);
  }
  for (const task of ["caption", "t2i"] as const) {
    for (const r of generateCaptions(1, "train", task, labels, 200, o)) assert.ok(sampleTokens("", r.caption) <= BUDGET, r.caption);
  }
});

/** The digit a yes/no question asks about ("is it a 7?", "is this a seven?"). */
function askedDigit(question: string): number {
  const numeral = question.match(/\d/);
  return numeral ? Number(numeral[0]) : DIGIT_NAMES.findIndex((name) => question.includes(` ${name}?`));
}

test("mmcot reasoning names the image's digit; vqa yes/no answers are balanced and correct", () => {
  const labels = [3, 7, 1, 0, 9, 4];
  const o = { operands: [1, 9] as [number, number], maxSampleLength: BUDGET };
  for (const r of generateMmcot(5, "test", labels, 60, o)) assert.ok(r.reasoning.startsWith(`it is ${labels[r.image]} `), JSON.stringify(r));
  const vqa = generateVqa(5, "test", labels, 101, o);
  const yesno = vqa.filter((r) => r.kind === "yesno");
  assert.equal(vqa.filter((r) => r.kind === "digit").length, 51);
  assert.equal(yesno.filter((r) => r.answer === "yes").length, 25);
  assert.equal(yesno.filter((r) => r.answer === "no").length, 25);
  for (const r of yesno) {
    assert.equal(r.answer === "yes", askedDigit(r.question) === labels[r.image], JSON.stringify(r));
  }
});

test("identify-then-answer yes/no asks the same questions and names the image's digit before the answer", () => {
  const labels = [3, 7, 1, 0, 9, 4];
  const o = { operands: [1, 9] as [number, number], maxSampleLength: BUDGET };
  const plain = generateVqa(5, "test", labels, 101, o);
  const identify = generateVqa(5, "test", labels, 101, { ...o, yesno: "identify" });
  assert.deepEqual(
    identify.map(({ reasoning: _, ...r }) => r),
    plain,
    "same images, questions, kinds and yes/no answers: the format draws nothing",
  );
  for (const r of identify) {
    if (r.kind === "digit") assert.equal(vqaAnswerText(r), r.answer, "digit questions keep their plain answer");
    else assert.equal(vqaAnswerText(r), `<think>it is ${labels[r.image]}</think> ${r.answer}`);
  }
  assert.ok(plain.every((r) => r.reasoning === undefined && vqaAnswerText(r) === r.answer));
  // the reasoning counts against the budget: a budget the plain answers fit is too small for it
  const tight = Math.max(...plain.map((r) => sampleTokens(r.question, r.answer)));
  assert.doesNotThrow(() => generateVqa(5, "test", labels, 101, { ...o, maxSampleLength: tight }));
  assert.throws(() => generateVqa(5, "test", labels, 101, { ...o, maxSampleLength: tight, yesno: "identify" }), /over maxSampleLength/);
});

test("held-out cot questions never appear in train; too small a problem space says what to change", () => {
  const tiny: ArithmeticOptions = { minOps: 1, maxOps: 1, minOperand: 0, maxOperand: 3, operators: ["+", "*"] };
  const cot = generateCot(2, tiny, { train: 100, val: 5, test: 10 }, BUDGET);
  const heldOut = new Set([...cot.val, ...cot.test].map((r) => r.question));
  assert.equal(heldOut.size, 15, "val and test questions are distinct");
  for (const r of cot.train) assert.ok(!heldOut.has(r.question), r.question);
  // 0..3 with + and * has 32 problems: 40 held-out ones cannot exist
  assert.throws(() => generateCot(2, tiny, { train: 1, val: 20, test: 20 }, BUDGET), (e: Error) => e instanceof BadInputError && /lower counts\.cot\.val\/test/.test(e.message));
  const long: ArithmeticOptions = { minOps: 4, maxOps: 4, minOperand: 900, maxOperand: 999, operators: ["*"] };
  assert.throws(() => generateCot(2, long, { train: 1, val: 0, test: 0 }, BUDGET), /exceed maxSampleLength 64/);
});

test("normalised text uses only tokenizer characters and never spells a special token", () => {
  const known = new Set(DEFAULT_CHARSET);
  const s = normaliseText("Call me Ishmael—\n\tSOME years <think>[iPAD] Œuvre café “quoted” ‘x’ ηο");
  assert.equal(s, "call me ishmael- some years think(ipad) oeuvre cafe \"quoted\" 'x'");
  for (const c of s) assert.ok(known.has(c), c);
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (raw) => {
      const t = normaliseText(raw);
      for (const c of t) assert.ok(known.has(c) && !"\n<>[]".includes(c), JSON.stringify(c));
    }),
  );
});

test("passages break at spaces, keep the words in order, respect the length, drop short tails", () => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-z]{1,15}$/), { maxLength: 80 }), fc.integer({ min: 16, max: 80 }), (words, max) => {
      const passages = toPassages(words.join(" "), max);
      let at = 0;
      for (const p of passages) {
        assert.ok(p.length <= max && p.length >= MIN_PASSAGE_CHARS, p);
        // each passage is a contiguous run of the words, later than the previous one
        const run = p.split(" ");
        while (at < words.length && words.slice(at, at + run.length).join(" ") !== p) at++;
        assert.ok(at < words.length, `passage ${JSON.stringify(p)} is not a run of the words in order`);
        at += run.length;
      }
    }),
  );
  assert.deepEqual(toPassages("aaaa bbbb cccc dddd eeee ffff gggg hhhh", 20), ["aaaa bbbb cccc dddd", "eeee ffff gggg hhhh"]);
  assert.deepEqual(toPassages("aaaa bbbb cccc dddd eeee", 20), ["aaaa bbbb cccc dddd"], "a 4-char tail is dropped");
});

test("splitPool: disjoint, held-out sizes honoured, train clamped, too-small pools refused", () => {
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 2, max: 300 }), fc.nat(100), fc.nat(100), fc.nat(300), (seed, n, val, test, train) => {
      fc.pre(val + test < n);
      const cut = splitPool(rngFor(seed, "p"), n, { train, val, test }, { pool: "pool", fields: "f" });
      const all = [...cut.indices.train, ...cut.indices.val, ...cut.indices.test];
      assert.equal(new Set(all).size, all.length);
      assert.equal(cut.indices.val.length, val);
      assert.equal(cut.indices.test.length, test);
      assert.equal(cut.indices.train.length, Math.min(train, n - val - test));
      assert.equal(cut.trainClamped, train > n - val - test);
    }),
  );
  assert.throws(() => splitPool(rngFor(0, "p"), 10, { train: 1, val: 5, test: 5 }, { pool: "with.cot", fields: "counts.cot.val/test" }), /with\.cot has 10 items.*lower counts\.cot\.val\/test/);
});
