// The one resumable training loop (activities/kit/training-loop.ts), on a toy state (a counter and a
// running sum written as JSON), so its contract is checked apart from any model: cadence, resume
// from the newest acceptable checkpoint, keep-last-K-and-best, cancellation, divergence.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { type TrainingRun, trainResumably } from "../../activities/kit/training-loop.ts";
import type { MetricPoint } from "../../contract/step-io.ts";
import { StepFailure } from "../../contract/failures.ts";
import { NonFiniteLossError } from "../../model/gradient-step.ts";
import { makeContext, makeWorkspace, type TestContext, type Workspace } from "./helpers.ts";

let ws: Workspace;
before(async () => {
  ws = await makeWorkspace();
});
after(() => ws.cleanup());

/** A run whose state is the sum of its step indices; `score` of a checkpoint is given per step. */
function toyRun(o: { steps: number; every: number; keep?: number; scores?: Record<number, number>; failAt?: number; run?: string }) {
  const state = { sum: 0, stepsTaken: [] as number[] };
  const run: TrainingRun = {
    steps: o.steps,
    lrAt: () => 0.5,
    divergenceHint: "lower lr",
    step(i) {
      if (i === o.failAt) throw new NonFiniteLossError(i, Number.NaN, Number.NaN, {});
      state.sum += i;
      state.stepsTaken.push(i);
      return { loss: i, metrics: [{ key: "loss", value: i, step: i + 1 }], message: `step ${i + 1}` };
    },
    checkpoints: {
      every: o.every,
      keep: o.keep ?? 10,
      async save(file, done, history: MetricPoint[], score) {
        const text = JSON.stringify({ run: o.run ?? "toy", done, sum: state.sum, history, score });
        await writeFile(file, text);
        return { sha256: createHash("sha256").update(text).digest("hex"), size: Buffer.byteLength(text) };
      },
      async restore(f) {
        const saved = JSON.parse(await readFile(f.path, "utf8")) as { run: string; sum: number; history: MetricPoint[] };
        if (saved.run !== (o.run ?? "toy")) throw new Error(`belongs to run '${saved.run}'`);
        state.sum = saved.sum;
        return saved.history;
      },
      ...(o.scores ? { score: async (done: number) => ({ value: o.scores![done] ?? 100, metrics: [{ key: "score", value: o.scores![done] ?? 100, step: done }] }) } : {}),
    },
  };
  return { run, state };
}

const files = async (ctx: TestContext) => (await readdir(ctx.checkpointDir)).filter((f) => f.endsWith(".ckpt")).sort((a, b) => parseInt(a.slice(5)) - parseInt(b.slice(5)));

describe("trainResumably", () => {
  it("checkpoints every N steps and after the last, and reports progress every step", async () => {
    const ctx = await makeContext(ws, "cadence", "toy");
    const { run, state } = toyRun({ steps: 7, every: 3 });
    const result = await trainResumably(ctx, run);
    assert.deepEqual(ctx.checkpoints.map((c) => c.step), [3, 6, 7]);
    assert.equal(state.sum, 21);
    assert.equal(result.startStep, 0);
    assert.deepEqual(result.history.map((m) => m.step), [1, 2, 3, 4, 5, 6, 7]);
    assert.match(result.finalCheckpoint?.path ?? "", /step-7\.ckpt$/);
    const bytes = await readFile(result.finalCheckpoint!.path);
    assert.equal(result.finalCheckpoint!.sha256, createHash("sha256").update(bytes).digest("hex"), "the final checkpoint's hash is the one its writer computed");
    assert.deepEqual(ctx.progressCalls.map((p) => p.step), [1, 2, 3, 4, 5, 6, 7]);
  });

  it("resumes from the newest checkpoint it accepts, skipping one that belongs elsewhere, and keeps the history", async () => {
    const first = await makeContext(ws, "resume", "toy");
    await trainResumably(first, toyRun({ steps: 4, every: 2 }).run);
    await writeFile(`${first.checkpointDir}/step-6.ckpt`, JSON.stringify({ run: "other", sum: 999, history: [] }));
    const again = await makeContext(ws, "resume", "toy");
    const { run, state } = toyRun({ steps: 8, every: 2 });
    const result = await trainResumably(again, run);
    assert.equal(result.startStep, 4);
    assert.deepEqual(state.stepsTaken, [4, 5, 6, 7], "steps 0-3 must not run again");
    assert.equal(state.sum, 28, "the same sum as an uninterrupted run");
    assert.ok(again.logs.some((l) => l.includes("skipping damaged checkpoint") && l.includes("belongs to run 'other'")), again.logs.join("\n"));
    assert.deepEqual(result.history.map((m) => m.step), [1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("keeps the newest `keep` checkpoints plus the best-scoring one", async () => {
    const ctx = await makeContext(ws, "keep", "toy");
    const { run } = toyRun({ steps: 10, every: 2, keep: 2, scores: { 2: 5, 4: 1, 6: 3, 8: 4, 10: 6 } });
    const result = await trainResumably(ctx, run);
    assert.deepEqual(await files(ctx), ["step-4.ckpt", "step-8.ckpt", "step-10.ckpt"]);
    assert.deepEqual(result.history.filter((m) => m.key === "score").map((m) => m.step), [2, 4, 6, 8, 10]);
  });

  it("a cancelled step writes a checkpoint where it stopped (unscored), then a retry finishes", async () => {
    const ctx = await makeContext(ws, "cancel", "toy");
    const { run } = toyRun({ steps: 6, every: 4, scores: {} });
    const report = ctx.progress;
    ctx.progress = (p) => {
      report(p);
      if (p.step === 3) ctx.abort.abort();
    };
    await assert.rejects(trainResumably(ctx, run), /toy step 'cancel' cancelled after step 3; checkpoint step-3\.ckpt is kept for a resumed run/);
    assert.deepEqual(ctx.checkpoints.map((c) => c.step), [3]);
    const saved = JSON.parse(await readFile(`${ctx.checkpointDir}/step-3.ckpt`, "utf8")) as { score?: number };
    assert.equal(saved.score, undefined, "no validation when a step is cancelled");
    const retry = await makeContext(ws, "cancel", "toy");
    const r = toyRun({ steps: 6, every: 4, scores: {} });
    await trainResumably(retry, r.run);
    assert.deepEqual(r.state.stepsTaken, [3, 4, 5]);
    assert.equal(r.state.sum, 15);
  });

  it("divergence is a NonFiniteLoss StepFailure naming the step, the lr and the last good checkpoint", async () => {
    const ctx = await makeContext(ws, "nan", "toy");
    const { run } = toyRun({ steps: 6, every: 2, failAt: 4 });
    await assert.rejects(trainResumably(ctx, run), (err: unknown) => {
      assert.ok(err instanceof StepFailure);
      assert.equal(err.type, "NonFiniteLoss");
      assert.equal(err.message, "nan: loss is NaN at step 5 (lr=0.500); the last good checkpoint step-4.ckpt is kept; lower lr");
      return true;
    });
  });

  it("without checkpointing it keeps no files and still reports every step", async () => {
    const ctx = await makeContext(ws, "plain", "toy");
    const { run } = toyRun({ steps: 3, every: 1 });
    delete run.checkpoints;
    const result = await trainResumably(ctx, run);
    assert.deepEqual(await files(ctx), []);
    assert.equal(result.finalCheckpoint, undefined);
    assert.equal(result.history.length, 3);
  });
});
