// A small workspace for the UI's tests without Temporal: a run database with two runs of a plan whose
// last step is an `evaluate` (accuracies with and without a recorded `<bench>_n`, curves with steps),
// and that step's outputs on disk: report.json (counts, sample answers) and a samples folder with a
// digit grid PNG and predictions.json, laid out as activities/evaluate/run.ts writes them.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import {
  closeRunDb,
  executionIdOf,
  openRunDb,
  recordExecutionEnd,
  recordExecutionStart,
  recordMetrics,
  recordRunEnd,
  recordRunStart,
} from "../../runs/index.ts";
import { makePlan, specTextOf } from "../runs/fixtures.ts";

export const TRAIN = "train[lr=0.001]";
export const EVAL = "eval";
export const RUN_A = "ui-a";
export const RUN_B = "ui-b";
/** The grid: 10 prompted digits x 2 samples of 28x28, 2-pixel gaps (mmada/eval/png-grid.ts). */
export const GRID = { rows: 10, cols: 2, side: 28, gap: 2 } as const;
export const LOSS_A = [
  { step: 10, value: 2.0 },
  { step: 20, value: 1.5 },
  { step: 30, value: 1.25 },
];

export interface FixtureWorkspace {
  home: string;
  dbFile: string;
  cleanup: () => void;
}

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** Writes files under artifacts/<sha>/ and returns the artifact ref (a dir when several files). */
function artifact(home: string, kind: string, name: string, files: Record<string, Buffer | string>, dir: boolean) {
  const hash = sha(Object.entries(files).map(([k, v]) => `${k}:${sha(v)}`).join("\n"));
  const base = join("artifacts", hash.slice(0, 2), hash);
  const target = dir ? join(base, name) : base;
  mkdirSync(join(home, target), { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(home, target, file), content);
  return { sha256: hash, uri: dir ? target : join(base, name), kind, size: 1 };
}

export function gridPng(): Buffer {
  const width = GRID.cols * GRID.side + (GRID.cols + 1) * GRID.gap;
  const height = GRID.rows * GRID.side + (GRID.rows + 1) * GRID.gap;
  const png = new PNG({ width, height });
  png.data.fill(200);
  return PNG.sync.write(png);
}

function recordRun(home: string, db: ReturnType<typeof openRunDb>, runId: string, lr: number, evalMetrics: Array<{ key: string; value: number }>, loss: typeof LOSS_A): void {
  const plan = makePlan({ lr, steps: 100, dataset: "mnist" });
  plan.steps = plan.steps.map((s) => (s.id === EVAL ? { ...s, uses: "evaluate", outputs: { report: "file", samples: "dir" } } : s));
  recordRunStart(db, { runId, workflowId: `mmada-run-${runId}`, plan, specText: specTextOf(plan) });
  for (const step of plan.steps) {
    const id = executionIdOf(runId, step.id);
    recordExecutionStart(db, { executionId: id, attempt: 1, worker: "w", cacheKey: `k-${runId}-${step.id}`, cacheComponents: {}, inputs: {} });
    if (step.id === TRAIN) {
      recordMetrics(db, id, loss.map((p) => ({ key: "loss", ...p })));
      recordMetrics(db, id, loss.map((p) => ({ key: "loss.t2i", step: p.step, value: p.value * 2 })));
    }
    if (step.id !== EVAL) {
      recordExecutionEnd(db, { executionId: id, state: "succeeded", metrics: [{ key: "duration_s", value: 1 }] });
      continue;
    }
    const report = artifact(home, "file", "report.json", {
      "report.json": JSON.stringify({
        counts: { gsm8k_acc: 999, vqa_acc: 4, text_nll: 4 }, // gsm8k's count must come from the gsm8k_n metric, not from here
        samples: { gsm8k: [{ question: "1+2=?", expected: "3", generated: "<b>3</b>", correct: true }], vqa: [{ question: "which digit?", expected: "two", generated: "one", correct: false }] },
      }),
    }, false);
    const predictions = Array.from({ length: GRID.rows * GRID.cols }, (_, i) => {
      const prompted = Math.floor(i / GRID.cols);
      return { prompted, prompt: `digit ${prompted}`, predicted: i % GRID.cols === 0 ? prompted : (prompted + 1) % 10 };
    });
    const samples = artifact(home, "dir", "samples", { "geneval-grid.png": gridPng(), "predictions.json": JSON.stringify(predictions) }, true);
    recordExecutionEnd(db, { executionId: id, state: "succeeded", outputs: { report, samples }, metrics: evalMetrics });
  }
  recordRunEnd(db, { runId, status: "succeeded" });
}

export function fixtureWorkspace(): FixtureWorkspace {
  const home = mkdtempSync(join(tmpdir(), "mmada-ui-fixture-"));
  const dbFile = join(home, "runs.db");
  const db = openRunDb(dbFile);
  try {
    recordRun(home, db, RUN_A, 0.001, [
      { key: "gsm8k_acc", value: 0.25 },
      { key: "gsm8k_n", value: 8 },
      { key: "vqa_acc", value: 0.5 },
      { key: "text_nll", value: 3.2 },
    ], LOSS_A);
    recordRun(home, db, RUN_B, 0.01, [
      { key: "gsm8k_acc", value: 0.5 },
      { key: "gsm8k_n", value: 8 },
    ], LOSS_A.slice(0, 2));
  } finally {
    closeRunDb(db);
  }
  return { home, dbFile, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}
