// The runs whose histories the replay test keeps: success, a failure that skips, a cached step,
// and a cancellation.
import type { WorkflowHandle } from "@temporalio/client";
import { STATUS_QUERY, type RunStatus } from "../../contract/run.ts";
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

export interface HistoryScenario {
  name: string;
  yaml: string;
  scripts: Record<string, StepScript>;
  during?: (h: WorkflowHandle) => Promise<void>;
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
];
