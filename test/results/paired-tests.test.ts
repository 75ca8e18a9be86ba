// The statistics behind the stage table: Wilson intervals and the exact McNemar test against
// values computed independently (the binomial tail by hand, as scipy.stats.binomtest(min(b, c),
// b + c, 0.5) reports it), and the stage-to-stage changes built from per-item verdicts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { mcnemarExact, pairedChange, pairedChangeById } from "../../results/mcnemar.ts";
import { stageChanges } from "../../results/stage-changes.ts";
import { wilsonInterval } from "../../results/wilson-interval.ts";

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe("wilsonInterval, known values", () => {
  it("0 of 10 is [0, z^2 / (n + z^2)] and 5 of 10 is [0.2366, 0.7634]", () => {
    const zero = wilsonInterval(0, 10)!;
    close(zero.low, 0);
    close(zero.high, 3.841458820694124 / 13.841458820694124, 1e-12);
    const half = wilsonInterval(5, 10)!;
    close(half.low, 0.23659309, 1e-7);
    close(half.high, 0.76340691, 1e-7);
  });
});

describe("mcnemarExact", () => {
  it("matches the exact binomial two-sided p-values", () => {
    close(mcnemarExact(10, 2), 0.03857421875, 1e-12); // 2 * (1 + 12 + 66) / 2^12
    close(mcnemarExact(0, 6), 0.03125, 1e-12);
    close(mcnemarExact(1, 9), 0.021484375, 1e-12);
    close(mcnemarExact(30, 10), 0.0022214337732293643, 1e-12);
    close(mcnemarExact(100, 130), 0.055613577781392386, 1e-10);
    assert.equal(mcnemarExact(5, 5), 1);
    assert.equal(mcnemarExact(0, 0), 1);
  });

  it("is symmetric, in (0, 1], and falls as the split gets more lopsided", () => {
    fc.assert(
      fc.property(fc.nat(300), fc.nat(300), (b, c) => {
        const p = mcnemarExact(b, c);
        assert.equal(p, mcnemarExact(c, b));
        assert.ok(p > 0 && p <= 1);
        if (c > 0) assert.ok(mcnemarExact(b + 1, c - 1) <= p + 1e-12 || b + 1 <= c - 1);
      }),
    );
  });

  it("rejects counts that are not non-negative integers", () => {
    assert.throws(() => mcnemarExact(-1, 2), /non-negative integers/);
    assert.throws(() => mcnemarExact(1.5, 2), /non-negative integers/);
  });
});

describe("pairedChange", () => {
  it("counts items lost and gained between two stages", () => {
    const before = [true, true, false, false, true];
    const after = [true, false, true, true, true];
    const c = pairedChange(before, after);
    assert.deepEqual({ ...c, pValue: undefined }, { n: 5, before: 3, after: 4, lost: 1, gained: 2, pValue: undefined });
    close(c.pValue, mcnemarExact(1, 2));
  });

  it("pairs by item id, leaving out items asked at one stage only", () => {
    const a = new Map([["x", true], ["y", false], ["z", false]]);
    const b = new Map([["z", true], ["y", true], ["w", true]]);
    const c = pairedChangeById(a, b);
    assert.equal(c.n, 2);
    assert.equal(c.gained, 2);
    assert.equal(c.lost, 0);
  });
});

describe("stageChanges", () => {
  const items = (verdicts: boolean[]) => new Map(verdicts.map((v, i) => [`gsm8k/${i}`, v]));
  it("tests consecutive stages on the same items and flags falls beyond the earlier interval", () => {
    const n = 100;
    const s1 = Array.from({ length: n }, (_, i) => i < 10); // 10 right
    const s2 = Array.from({ length: n }, (_, i) => i < 40); // gains 30, loses 0
    const s3 = Array.from({ length: n }, (_, i) => i < 25); // loses 15
    const changes = stageChanges([
      { stepId: "eval_stage1", items: { gsm8k_acc: items(s1), geneval_acc: new Map([["geneval/0/0", true]]) } },
      { stepId: "eval_stage2", items: { gsm8k_acc: items(s2) } },
      { stepId: "eval_stage3", items: { gsm8k_acc: items(s3) } },
    ]);
    assert.equal(changes.length, 2, "geneval was recorded at one stage only");
    const [up, down] = changes;
    assert.equal(up!.from, "eval_stage1");
    assert.equal(up!.to, "eval_stage2");
    close(up!.delta, 0.3);
    assert.equal(up!.significant, true);
    close(up!.paired.pValue, mcnemarExact(0, 30));
    assert.equal(up!.fellBeyondInterval, false);
    // 0.40 -> 0.25: below the lower end of 40/100's interval (0.309)
    assert.equal(down!.fellBeyondInterval, true);
    assert.equal(down!.significant, true);
  });

  it("a small dip inside the interval is not a fall", () => {
    const s1 = Array.from({ length: 100 }, (_, i) => i < 50);
    const s2 = Array.from({ length: 100 }, (_, i) => i < 45);
    const [c] = stageChanges([
      { stepId: "a", items: { vqa_acc: items(s1) } },
      { stepId: "b", items: { vqa_acc: items(s2) } },
    ]);
    assert.equal(c!.fellBeyondInterval, false);
    assert.equal(c!.significant, false);
  });
});
