// The runs whose histories the replay test keeps: success, a failure that skips, a cached step, a
// cancellation, a search that stops branches, and the same search run in chunks.
import type { WorkflowHandle } from "@temporalio/client";
import { type RunPipelineInput, type RunStatus, STATUS_QUERY } from "../../contract/run.ts";
import type { StepScript } from "./env.ts";

const DIAMOND = `
name: diamond
concurrency: 4
steps:
  a: { uses: command, with: { run: a, outputs: { out: a.txt } } }
  b: { uses: command, with: { run: b, inputs: { x: "\${{ steps.a.outputs.out }}" }, outputs: { out: b.txt } } }
  c: { uses: command, with: { run: c, inputs: { x: "\${{ steps.a.outputs.out }}" }, outputs: { out: c.txt } } }
  d: { uses: command, with: { run: d, inputs: { x: "\${{ steps.b.outputs.out }}", y: "\${{ steps.c.outputs.out }}" } } }
`;

/** A sweep of six learning rates whose training steps compete (ASHA on val_loss at steps 10 and 30). */
export const SEARCH_SWEEP = `
name: sweep
concurrency: 2
matrix: { lr: [0.001, 0.002, 0.003, 0.004, 0.005, 0.006] }
search: { step: train, metric: val_loss, mode: min, rungs: [10, 30] }
steps:
  data: { uses: prepare-data }
  vq: { uses: train-vq, with: { dataset: "\${{ steps.data.outputs.dataset }}", steps: 5 } }
  tokens: { uses: tokenize-images, with: { dataset: "\${{ steps.data.outputs.dataset }}", vq: "\${{ steps.vq.outputs.vq }}" } }
  train:
    uses: train
    with:
      dataset: "\${{ steps.data.outputs.dataset }}"
      tokens: "\${{ steps.tokens.outputs.tokens }}"
      stage: pretrain
      mix: { t2i: 1, lm: 1, mmu: 1 }
      steps: 90
      lr: { peak: "\${{ matrix.lr }}" }
  after: { uses: command, with: { run: "true", inputs: { m: "\${{ steps.train.outputs.checkpoint }}" } } }
`;

export interface HistoryScenario {
  name: string;
  yaml: string;
  scripts: Record<string, StepScript>;
  during?: (h: WorkflowHandle) => Promise<void>;
  more?: Partial<RunPipelineInput>;
}

async function cancelWhenRunning(h: WorkflowHandle, step: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const s = await h.query<RunStatus>(STATUS_QUERY).catch(() => undefined);
    if (s?.steps.some((x) => x.id === step && x.status === "running")) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await h.cancel();
}

export const HISTORY_SCENARIOS: HistoryScenario[] = [
  { name: "succeeded", yaml: DIAMOND, scripts: {} },
  { name: "failed", yaml: DIAMOND, scripts: { c: { fail: "c broke" } } },
  { name: "cached", yaml: DIAMOND, scripts: { a: { cached: true } } },
  { name: "cancelled", yaml: DIAMOND, scripts: { b: { ms: 60_000 } }, during: (h) => cancelWhenRunning(h, "b") },
  { name: "search", yaml: SEARCH_SWEEP, scripts: searchScripts() },
  { name: "chunked", yaml: SEARCH_SWEEP, scripts: searchScripts(), more: { chunkSteps: 5 } },
];

/** Six branches whose val_loss levels make ASHA promote three and stop three at the first rung. */
function searchScripts(): Record<string, StepScript> {
  const levels = [5, 3, 1, 4, 2, 6];
  const lrs = ["0.001", "0.002", "0.003", "0.004", "0.005", "0.006"];
  return Object.fromEntries(levels.map((l, i) => [`train[lr=${lrs[i]}]`, { valLoss: (done: number) => l + 1 / done }]));
}
