// Specification of the UniGRPO rewards (docs/mmada.md §4): answer 2.0 + format 0.5 for reasoning,
// 0.1 * CLIP-like for captions, 0.1 * CLIP-like + 0.1 * ImageReward-like for text-to-image.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  captionCorrect,
  captionReward,
  digitsNamed,
  equations,
  normalizeAnswer,
  parseReasoning,
  reasoningCorrect,
  reasoningReward,
  stepReward,
  t2iReward,
  untilEos,
} from "../../mmada/eval/rewards.ts";
import { scoreText } from "../../mmada/eval/scoring.ts";
import type { TextPrompt } from "../../mmada/eval/prompts.ts";

describe("reasoning reward", () => {
  it("gives 2.5 for the right answer in the right format", () => {
    assert.equal(reasoningReward("<think>4*2=8 3+8=11</think> 11", "11"), 2.5);
  });

  it("gives 0.5 for the right format with a wrong answer", () => {
    assert.equal(reasoningReward("<think>4*2=8 3+8=11</think> 12", "11"), 0.5);
  });

  it("gives 2.0 for the right answer after </think> without the opening <think>", () => {
    assert.equal(reasoningReward("4*2=8</think> 11", "11"), 2.0);
  });

  it("gives 0 without </think> even when the answer appears", () => {
    assert.equal(reasoningReward("<think>3+8=11 11", "11"), 0);
    assert.equal(parseReasoning("11").answer, null);
  });

  it("rejects the format with a repeated </think> or an empty answer", () => {
    assert.equal(parseReasoning("<think>a</think>b</think> 11").formatOk, false);
    assert.equal(parseReasoning("<think>a</think>  ").formatOk, false);
    assert.equal(parseReasoning("<think><think>a</think> 1").formatOk, false);
  });

  it("compares answers after trimming and lower-casing", () => {
    assert.ok(reasoningCorrect("<think>it is 4 4%2=0</think>  Even ", "even"));
    assert.equal(normalizeAnswer("  a \n b "), "a b");
  });

  it("is always one of 0, 0.5, 2, 2.5", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (text, expected) => {
        assert.ok([0, 0.5, 2, 2.5].includes(reasoningReward(text, expected)));
      }),
    );
  });
});

describe("step reward (an option; off in the paper)", () => {
  it("reads the equations of a reasoning text in order", () => {
    assert.deepEqual(equations("5-3=2 2+7=9"), ["5-3=2", "2+7=9"]);
    assert.deepEqual(equations("it is 2 2*2=4"), ["2*2=4"]);
    assert.deepEqual(equations("2-3=-1 -1*4=-4"), ["2-3=-1", "-1*4=-4"]);
    assert.deepEqual(equations("it is 7 7%2=1"), ["7%2=1"]);
  });

  it("credits the share of the reference's steps written inside <think>", () => {
    assert.equal(stepReward("<think>5-3=2 2+7=8</think> 8", "5-3=2 2+7=9", 1), 0.5);
    assert.equal(stepReward("<think>5-3=2 2+7=9</think> 9", "5-3=2 2+7=9", 1.5), 1.5);
    assert.equal(stepReward("5-3=2 2+7=9 9", "5-3=2 2+7=9", 1), 0, "no <think> part, no steps");
  });

  it("is not earned by writing true steps the reference does not take", () => {
    assert.equal(stepReward("<think>1+1=2 2+2=4 0*0=0</think> 9", "5-3=2 2+7=9", 1), 0);
  });

  it("counts the first result written for each step: hedging earns nothing", () => {
    assert.equal(stepReward("<think>5-3=1 5-3=2 2+7=9</think> 9", "5-3=2 2+7=9", 1), 0.5);
    assert.equal(stepReward("<think>5-3=2 5-3=1</think> 2", "5-3=2", 1), 1);
  });

  it("adds to a scored reasoning response's reward only when weighted; correctness is the answer's", () => {
    const prompt = { task: "cot", question: "5-3+7=?", expected: "9", reasoning: "5-3=2 2+7=9", label: -1 } as TextPrompt; // scoring reads no layout
    const response = "<think>5-3=2 2+7=8</think> 8";
    assert.deepEqual(scoreText(prompt, response), { text: response, correct: false, reward: 0.5 });
    assert.deepEqual(scoreText(prompt, response, 1), { text: response, correct: false, reward: 1.0 });
  });

  it("adds nothing at weight 0 or without reference steps", () => {
    assert.equal(stepReward("<think>5-3=2</think> 2", "5-3=2", 0), 0);
    assert.equal(stepReward("<think>5-3=2</think> 2", "", 1), 0);
  });
});

describe("digit questions", () => {
  it("score the plain answer by exact match, and a yes/no answered after its reasoning by the final answer", () => {
    const plain = { task: "vqa", question: "is it a 3?", expected: "no", label: 8, vqaKind: "yesno" } as TextPrompt; // scoring reads no layout
    assert.deepEqual(scoreText(plain, " No "), { text: " No ", correct: true, reward: 2 });
    assert.equal(scoreText(plain, "<think>it is 8</think> no").correct, false, "the plain format is not parsed");
    const identify = { ...plain, reasoning: "it is 8" };
    assert.deepEqual(scoreText(identify, "<think>it is 8</think> no"), { text: "<think>it is 8</think> no", correct: true, reward: 2 });
    assert.equal(scoreText(identify, "<think>it is 3</think> yes").correct, false);
    assert.equal(scoreText(identify, "no").correct, false, "an answer without </think> is not read");
    assert.equal(scoreText(identify, "<think>it is 5</think> no").correct, true, "the answer is scored, not the reading");
  });
});

describe("caption reward", () => {
  it("finds digit words and numerals, not digits inside numbers", () => {
    assert.deepEqual(digitsNamed("a handwritten seven"), [7]);
    assert.deepEqual(digitsNamed("a picture of a 3"), [3]);
    assert.deepEqual(digitsNamed("seventeen or 17"), []);
    assert.deepEqual(digitsNamed("one, two and one"), [1, 2]);
  });

  it("is 0.1 for a caption naming only the right digit, else 0", () => {
    assert.equal(captionReward("the digit seven", 7), 0.1);
    assert.equal(captionReward("the digit seven", 1), 0);
    assert.equal(captionReward("a seven or a one", 7), 0);
    assert.equal(captionCorrect("", 0), false);
  });
});

describe("text-to-image reward", () => {
  /** The reward of an image the classifier reads as `probs` when digit `prompted` was asked for. */
  const rewardOf = (probs: number[], prompted: number) => {
    const other = Math.max(...probs.filter((_, k) => k !== prompted));
    return t2iReward(probs[prompted]!, probs[prompted]! - other);
  };
  const confident = (digit: number, p = 0.98) => Array.from({ length: 10 }, (_, k) => (k === digit ? p : (1 - p) / 9));

  it("is 0.1 * clip + 0.1 * (clip minus the best other class)", () => {
    assert.ok(Math.abs(t2iReward(0.8, 0.7) - 0.15) < 1e-12);
    assert.equal(t2iReward(0, 0), 0);
    assert.ok(Math.abs(rewardOf(confident(7), 7) - 0.1 * (0.98 + 0.98 - 0.02 / 9)) < 1e-12);
  });

  it("cannot be earned by drawing a confident digit other than the prompted one", () => {
    const uniform = Array<number>(10).fill(0.1);
    for (let prompted = 0; prompted < 10; prompted++) {
      const right = rewardOf(confident(prompted), prompted);
      const unsure = rewardOf(uniform, prompted);
      for (let drawn = 0; drawn < 10; drawn++) {
        if (drawn === prompted) continue;
        const wrong = rewardOf(confident(drawn), prompted);
        assert.ok(wrong < 0, `a confident ${drawn} for a prompted ${prompted} is penalised (${wrong})`);
        assert.ok(wrong < unsure && unsure < right, `wrong ${wrong} < unsure ${unsure} < right ${right}`);
      }
    }
  });

  it("ranks any image by how clearly it is the prompted digit", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: Math.fround(0.001), max: 1, noNaN: true }), { minLength: 10, maxLength: 10 }), fc.nat(9), (raw, prompted) => {
        const sum = raw.reduce((a, x) => a + x, 0);
        const probs = raw.map((x) => x / sum);
        const r = rewardOf(probs, prompted);
        const wins = probs[prompted]! >= Math.max(...probs);
        // the margin term is positive only when the prompted digit is the classifier's reading
        if (!wins) assert.ok(r < 0.1 * probs[prompted]! + 1e-12);
        assert.ok(r >= -0.1 - 1e-12 && r <= 0.2 + 1e-12);
      }),
    );
  });

  it("rejects values outside their ranges", () => {
    assert.throws(() => t2iReward(Number.NaN, 0.5), /clipProb=NaN/);
    assert.throws(() => t2iReward(0.5, 1.5), /margin=1.5/);
    assert.throws(() => t2iReward(0.5, -1.5), /margin=-1.5/);
  });
});

describe("untilEos", () => {
  it("cuts the response at its first EOS", () => {
    assert.deepEqual(untilEos([5, 6, 2, 7, 2], 2), [5, 6]);
    assert.deepEqual(untilEos([5, 6], 2), [5, 6]);
  });
});
