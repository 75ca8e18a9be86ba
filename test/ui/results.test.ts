// The numbers every viewer shows (results/): Wilson intervals, the stage table's counts (the `<bench>_n`
// metric first, report.json second), curve summaries, the digit grid's geometry, the EMA smoothing of
// the charts, and which workspace files a viewer may read.
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { summarizeCurves } from "../../results/curve-summary.ts";
import { readDigitGrid } from "../../results/eval-outputs.ts";
import { compareStageTable, evalStages, runStageTable } from "../../results/stage-table.ts";
import { accuracyInterval, wilsonInterval } from "../../results/wilson-interval.ts";
import { workspaceEntry } from "../../results/workspace-file.ts";
import { closeRunDb, getRun, metricSeries, openRunDbReadOnly, type RunDb } from "../../runs/index.ts";
import { EVAL, fixtureWorkspace, GRID, LOSS_A, RUN_A, RUN_B, TRAIN, type FixtureWorkspace } from "./fixture-workspace.ts";

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 5e-5, `${what}: ${a} != ${b}`);

describe("wilsonInterval", () => {
  it("matches the closed form at known points (95%, z = 1.96)", () => {
    // reference values from the closed form evaluated independently (Python, double precision)
    const cases: Array<[number, number, number, number]> = [
      [0, 4, 0, 0.48989],
      [2, 4, 0.15004, 0.84996],
      [1, 10, 0.01788, 0.40415],
      [4, 4, 0.51011, 1],
      [81, 263, 0.25529, 0.36621],
    ];
    for (const [k, n, low, high] of cases) {
      const i = wilsonInterval(k, n)!;
      close(i.low, low, `${k}/${n} low`);
      close(i.high, high, `${k}/${n} high`);
    }
  });

  it("stays inside [0, 1], contains the estimate, and narrows as n grows", () => {
    for (const n of [1, 3, 10, 100, 1000]) {
      for (let k = 0; k <= n; k += Math.max(1, Math.floor(n / 7))) {
        const i = wilsonInterval(k, n)!;
        assert.ok(i.low >= 0 && i.high <= 1 && i.low <= k / n + 1e-12 && i.high >= k / n - 1e-12, `${k}/${n}: [${i.low}, ${i.high}]`);
      }
    }
    const width = (n: number) => wilsonInterval(n / 2, n)!.high - wilsonInterval(n / 2, n)!.low;
    assert.ok(width(10) > width(100) && width(100) > width(1000));
  });

  it("has no interval without a count, and rounds a recorded fraction back to whole items", () => {
    assert.equal(wilsonInterval(1, 0), undefined);
    assert.equal(wilsonInterval(5, 4), undefined);
    assert.equal(accuracyInterval(0.5, undefined), undefined);
    assert.equal(accuracyInterval(Number.NaN, 4), undefined);
    assert.deepEqual(accuracyInterval(1 / 3, 3), wilsonInterval(1, 3)); // 0.333.. * 3 is not exactly 1
  });
});

describe("stage table, curves and evaluate outputs of a recorded run", () => {
  let ws: FixtureWorkspace;
  let db: RunDb;
  before(() => {
    ws = fixtureWorkspace();
    db = openRunDbReadOnly(ws.dbFile);
  });
  after(() => {
    closeRunDb(db);
    ws.cleanup();
  });

  it("takes n from <bench>_n first, else from report.json; intervals only for accuracies", () => {
    const [stage] = evalStages(ws.home, getRun(db, RUN_A)!);
    assert.equal(stage?.stepId, EVAL);
    const gsm8k = stage!.values.get("gsm8k_acc")!;
    assert.equal(gsm8k.n, 8, "the recorded gsm8k_n wins over report.json's 999");
    assert.deepEqual(gsm8k.interval, wilsonInterval(2, 8));
    assert.equal(stage!.values.get("vqa_acc")!.n, 4, "no vqa_n metric: report.json's count");
    assert.deepEqual(stage!.values.get("vqa_acc")!.interval, wilsonInterval(2, 4));
    assert.equal(stage!.values.get("text_nll")!.interval, undefined, "an NLL is not a proportion");
    assert.equal(stage!.values.has("gsm8k_n"), false, "the count is shown as n, not as a row");
  });

  it("orders accuracies first and puts runs side by side, blank where a run lacks a value", () => {
    const a = evalStages(ws.home, getRun(db, RUN_A)!);
    const b = evalStages(ws.home, getRun(db, RUN_B)!);
    assert.deepEqual(runStageTable(a).rows.map((r) => r.key), ["gsm8k_acc", "vqa_acc", "text_nll"]);
    const cmp = compareStageTable([RUN_A, RUN_B], [a, b]);
    assert.deepEqual(cmp.rows.map((r) => [r.stepId, r.key, r.cells.map((c) => c?.value ?? null)]), [
      [EVAL, "gsm8k_acc", [0.25, 0.5]],
      [EVAL, "vqa_acc", [0.5, null]],
      [EVAL, "text_nll", [3.2, null]],
    ]);
  });

  it("summarizes each curve as min, max and the value at the last step", () => {
    const loss = summarizeCurves(metricSeries(db, RUN_A)).find((c) => c.stepId === TRAIN && c.key === "loss")!;
    assert.deepEqual(
      { points: loss.points, min: loss.min, max: loss.max, last: loss.last, lastStep: loss.lastStep },
      { points: 3, min: 1.25, max: 2, last: 1.25, lastStep: 30 },
    );
    const diverged = summarizeCurves([{ stepId: "s", kind: "train", key: "loss", points: [{ step: 1, value: 3 }, { step: 2, value: Number.NaN }] }])[0]!;
    assert.equal(diverged.min, 3);
    assert.ok(Number.isNaN(diverged.last), "a NaN last value is shown as NaN, not hidden");
    assert.equal(LOSS_A.length, 3);
  });

  it("reads the digit grid's geometry and the prompted digit of every cell", () => {
    const grid = readDigitGrid(ws.home, getRun(db, RUN_A)!.executions.find((e) => e.execution.stepId === EVAL)!)!;
    assert.deepEqual({ rows: grid.rows, cols: grid.cols, side: grid.side, gap: grid.gap }, GRID);
    assert.deepEqual(grid.cells.slice(0, 4).map((c) => [c.prompted, c.predicted]), [[0, 0], [0, 1], [1, 1], [1, 2]]);
  });
});

describe("workspaceEntry: what a viewer may read", () => {
  let ws: FixtureWorkspace;
  let outside: FixtureWorkspace;
  before(() => {
    ws = fixtureWorkspace();
    outside = fixtureWorkspace();
    writeFileSync(join(outside.home, "secret.txt"), "secret");
    mkdirSync(join(ws.home, "artifacts", "links"), { recursive: true });
    symlinkSync(outside.home, join(ws.home, "artifacts", "links", "out"));
    symlinkSync(join(ws.home, "runs.db"), join(ws.home, "artifacts", "links", "db"));
    writeFileSync(join(ws.home, "artifacts", "links", "real.txt"), "ok");
    symlinkSync(join(ws.home, "artifacts", "links", "real.txt"), join(ws.home, "artifacts", "links", "inside.txt"));
  });
  after(() => {
    ws.cleanup();
    outside.cleanup();
  });

  it("admits regular files under artifacts/ and logs/, symlinks included when they stay there", () => {
    assert.ok(workspaceEntry(ws.home, "artifacts/links/real.txt"));
    assert.ok(workspaceEntry(ws.home, "artifacts/links/inside.txt"));
    assert.ok(workspaceEntry(ws.home, "artifacts/links", "dir"));
  });

  it("refuses everything else: .., absolute paths, other folders, symlinks out, folders as files", () => {
    for (const rel of [
      "../secret.txt",
      "artifacts/../runs.db",
      "artifacts/../../etc/passwd",
      "/etc/passwd",
      "runs.db",
      "workspace.json",
      "artifacts/links/out/secret.txt",
      "artifacts/links/db",
      "artifacts/links",
      "artifacts/links/missing.png",
      "artifacts/links/real.txt\0.png",
      "",
    ]) {
      assert.equal(workspaceEntry(ws.home, rel), undefined, rel);
    }
  });
});

describe("charts.js EMA smoothing", () => {
  it("is TensorBoard's debiased EMA: unchanged at 0, constant series stay constant, NaN gaps kept", async () => {
    // a browser script (no types, no exports): it defines globalThis.mmadaCharts when evaluated
    await import(new URL("../../ui/assets/charts.js", import.meta.url).href);
    const { ema } = (globalThis as unknown as { mmadaCharts: { ema: (v: Array<number | null>, w: number) => Array<number | null> } }).mmadaCharts;
    assert.deepEqual(ema([3, 1, 2], 0), [3, 1, 2]);
    assert.deepEqual(ema([5, 5, 5], 0.9).map((v) => Number(v!.toFixed(12))), [5, 5, 5], "debiasing: no pull toward 0");
    const s = ema([0, 10, null, 10], 0.5);
    assert.equal(s[0], 0);
    assert.equal(s[2], null);
    assert.ok(s[1]! > 0 && s[1]! < 10 && s[3]! > s[1]!);
  });
});
