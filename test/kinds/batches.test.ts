// Batch composition, record order and per-step randomness of the train kind (mmada/training/batches.ts),
// and the checkpoint folder rules (activities/kit/training-loop.ts). No tfjs here.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { cursorAt, EpochOrder } from "../../mmada/training/batches.ts";
import { hashSeed, stepRng, valRng } from "../../mmada/data/random.ts";
import { batchComposition, MIX_TASKS } from "../../mmada/data/vocab.ts";
import { checkpointPath, listCheckpoints, newestValid, pruneCheckpoints } from "../../activities/kit/training-loop.ts";

describe("batchComposition", () => {
  it("splits the batch by weight, every active task at least one row, rows summing to the batch", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 5, maxLength: 5 }), fc.integer({ min: 5, max: 64 }), (weights, batch) => {
        const mix = Object.fromEntries(MIX_TASKS.map((t, i) => [t, weights[i]!]));
        const parts = batchComposition(mix, batch);
        if (weights.every((w) => w === 0)) return assert.equal(typeof parts, "string");
        assert.ok(Array.isArray(parts));
        assert.deepEqual(parts.map((p) => p.task), MIX_TASKS.filter((_, i) => weights[i]! > 0));
        assert.equal(parts.reduce((s, p) => s + p.rows, 0), batch);
        const total = weights.reduce((a, b) => a + b, 0);
        const exactOf = (w: number) => (batch * w) / total;
        // rows the one-row floor must lift above the exact shares: they come out of the other tasks
        // (weights 1,1,10,1,1 in a batch of 6 leave the 4.3-row task 2 rows)
        const lifted = weights.filter((w) => w > 0).reduce((s, w) => s + Math.max(0, 1 - exactOf(w)), 0);
        for (const p of parts) {
          assert.ok(p.rows >= 1);
          const exact = exactOf(weights[MIX_TASKS.indexOf(p.task)]!);
          assert.ok(Math.abs(p.rows - exact) < 2 + lifted, `${p.task}: ${p.rows} rows for ${exact}`);
        }
      }),
    );
  });

  it("examples, and a batch too small for the mix is an error with the fix", () => {
    assert.deepEqual(batchComposition({ t2i: 1, lm: 1, mmu: 2 }, 16), [{ task: "t2i", rows: 4 }, { task: "lm", rows: 4 }, { task: "mmu", rows: 8 }]);
    assert.deepEqual(batchComposition({ cot: 100, mmcot: 1 }, 4), [{ task: "cot", rows: 3 }, { task: "mmcot", rows: 1 }]);
    // the lifted rows come from the task most above its share (lm's rounded-up extra), not the largest
    assert.deepEqual(
      batchComposition({ t2i: 7, lm: 4, mmu: 1, cot: 1, mmcot: 1 }, 6),
      [{ task: "t2i", rows: 2 }, { task: "lm", rows: 1 }, { task: "mmu", rows: 1 }, { task: "cot", rows: 1 }, { task: "mmcot", rows: 1 }],
    );
    assert.match(batchComposition({ t2i: 1, lm: 1, mmu: 1 }, 2) as string, /batch 2 is smaller than the 3 tasks.*raise batch to at least 3/);
    assert.match(batchComposition({ lm: 0 }, 8) as string, /no task a weight above 0/);
    assert.deepEqual(cursorAt(5, [{ task: "t2i", rows: 3 }]), { t2i: 15 });
  });
});

describe("record order and step randomness", () => {
  it("each epoch visits every record once, in a new order, the same for the same seed", () => {
    const n = 7;
    const a = new EpochOrder(3, "lm", n);
    const epochs = [0, 1, 2].map((e) => Array.from({ length: n }, (_, i) => a.at(e * n + i)));
    for (const e of epochs) assert.deepEqual([...e].sort(), [0, 1, 2, 3, 4, 5, 6]);
    assert.notDeepEqual(epochs[0], epochs[1]);
    const b = new EpochOrder(3, "lm", n);
    assert.equal(b.at(15), a.at(15), "random access: no need to replay earlier draws");
    assert.notDeepEqual(Array.from({ length: n }, (_, i) => new EpochOrder(4, "lm", n).at(i)), epochs[0]);
    assert.notDeepEqual(Array.from({ length: n }, (_, i) => new EpochOrder(3, "cot", n).at(i)), epochs[0]);
  });

  it("step s draws the same numbers whenever it runs; steps, seeds and validation differ", () => {
    const draws = (r: { uniform(): number }) => [r.uniform(), r.uniform(), r.uniform()];
    assert.deepEqual(draws(stepRng(1, 10)), draws(stepRng(1, 10)));
    assert.notDeepEqual(draws(stepRng(1, 10)), draws(stepRng(1, 11)));
    assert.notDeepEqual(draws(stepRng(1, 10)), draws(stepRng(2, 10)));
    assert.notDeepEqual(draws(stepRng(1, 0)), draws(valRng(1, 0)));
    assert.notEqual(hashSeed(0, 1), hashSeed(1, 0));
  });
});

describe("checkpoint folder", () => {
  async function folder(steps: number[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "mmada-ckdir-"));
    for (const s of steps) await writeFile(checkpointPath(dir, s), `step ${s}`);
    await writeFile(join(dir, ".step-9.ckpt.123.abc.tmp"), "interrupted write");
    return dir;
  }

  it("lists step files newest first, ignoring temporary files; a missing folder is empty", async () => {
    const dir = await folder([2, 10, 4]);
    assert.deepEqual((await listCheckpoints(dir)).map((f) => f.step), [10, 4, 2]);
    assert.deepEqual(await listCheckpoints(join(dir, "nope")), []);
    await rm(dir, { recursive: true });
  });

  it("newestValid skips files the loader rejects, logging their paths", async () => {
    const dir = await folder([2, 4, 6]);
    const logs: string[] = [];
    const found = await newestValid(dir, async (f) => {
      if (f.step === 6) throw new Error("TRUNCATED");
      return f.step * 10;
    }, (l) => logs.push(l));
    assert.deepEqual([found?.step, found?.value], [4, 40]);
    assert.deepEqual(logs, [`skipping damaged checkpoint ${checkpointPath(dir, 6)}: TRUNCATED`]);
    assert.equal(await newestValid(dir, async () => { throw new Error("bad"); }, () => {}), undefined);
    await rm(dir, { recursive: true });
  });

  it("prune keeps the newest K and the kept steps (the best, a search's rungs)", async () => {
    const dir = await folder([2, 4, 6, 8, 10]);
    assert.deepEqual(await pruneCheckpoints(dir, 2, [4, undefined]), [6, 2]);
    assert.deepEqual((await listCheckpoints(dir)).map((f) => f.step), [10, 8, 4]);
    assert.deepEqual(await pruneCheckpoints(dir, 1, [8]), [4]);
    assert.deepEqual(await pruneCheckpoints(dir, 1), [8]);
    assert.ok((await readdir(dir)).some((n) => n.endsWith(".tmp")), "prune leaves foreign files alone");
    await rm(dir, { recursive: true });
  });
});
