// Large plans as a specification: a plan of more steps than a chunk runs as consecutive chunk
// workflows (children of the run's workflow), each step once and after its dependencies, a failure
// skipping its dependents in later chunks too, a cancellation reaching the running chunk; the
// run stays one run (one status, one result). Payloads above the codec's threshold travel
// compressed. Chunks are made small here (RunPipelineInput.chunkSteps) to keep the test quick.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CancelledFailure } from "@temporalio/common";
import { WorkflowFailedError } from "@temporalio/client";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { type RunStatus, STATUS_QUERY } from "../../contract/run.ts";
import { planChunks } from "../../workflows/chunks.ts";
import { planOf, startEnv, type DbLog } from "./env.ts";
import { runScenario, type Scenario } from "./scenario.ts";

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.teardown();
});

/** `chains` chains of `length` command steps, and a step `all` that needs every chain's end. */
function chainsYaml(chains: number, length: number, run = "x"): string {
  const lines = [`name: chains`, `concurrency: 4`, `steps:`];
  for (let c = 0; c < chains; c++) {
    for (let k = 0; k < length; k++) {
      const needs = k === 0 ? "" : `, needs: [c${c}-${k - 1}]`;
      lines.push(`  c${c}-${k}: { uses: command, with: { run: "${run}" }${needs} }`);
    }
  }
  lines.push(`  all: { uses: command, with: { run: "${run}" }, needs: [${Array.from({ length: chains }, (_, c) => `c${c}-${length - 1}`).join(", ")}] }`);
  return lines.join("\n") + "\n";
}

const states = (log: DbLog) => Object.fromEntries(log.finished.map((f) => [f.executionId.split("/")[1], f.state]));
type HistoryEvent = { eventType?: unknown; startChildWorkflowExecutionInitiatedEventAttributes?: unknown };
const events = (s: Scenario) => (s.history as { events: HistoryEvent[] }).events;
const childStarts = (s: Scenario) => events(s).filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length;

describe("large plans", () => {
  it("chunks follow the chains, hold at most the chunk size, and need only earlier chunks", () => {
    const plan = planOf(chainsYaml(5, 4));
    const chunks = planChunks(plan.steps, 6);
    assert.deepEqual(chunks.map((c) => c.length), [6, 6, 6, 3]);
    assert.deepEqual(chunks[0]!.map((s) => s.id).sort(), ["c0-0", "c0-1", "c0-2", "c0-3", "c1-0", "c1-1"], "depth first: c0's chain whole, then c1's");
    const order = new Map(plan.steps.map((s, i) => [s.id, i]));
    for (const chunk of chunks) assert.deepEqual(chunk.map((s) => order.get(s.id)), chunk.map((s) => order.get(s.id)).sort((a, b) => a! - b!), "in plan order");
    const seen = new Set<string>();
    for (const chunk of chunks) {
      const mine = new Set(chunk.map((s) => s.id));
      for (const s of chunk) for (const n of s.needs) assert.ok(seen.has(n) || mine.has(n), `${s.id} needs ${n} from a later chunk`);
      chunk.forEach((s) => seen.add(s.id));
    }
    assert.equal(seen.size, plan.steps.length);
  });

  it("a plan larger than a chunk runs as chunk workflows: each step once, after its dependencies, one run", async () => {
    const plan = planOf(chainsYaml(6, 5));
    const s = await runScenario(env, plan, "chunked", {}, undefined, { chunkSteps: 8 });
    assert.equal(s.outcome.status?.status, "succeeded");
    assert.equal(s.outcome.status?.steps.length, 31);
    assert.ok(s.outcome.status?.steps.every((x) => x.status === "succeeded"));
    assert.equal(childStarts(s), 4, "31 steps in chunks of 8");
    assert.deepEqual(s.trace.map((t) => t.id).sort(), plan.steps.map((x) => x.id).sort(), "every step ran exactly once");
    const end = new Map(s.trace.map((t) => [t.id, t.end!]));
    for (const t of s.trace) for (const n of plan.steps.find((x) => x.id === t.id)!.needs) assert.ok(t.start >= end.get(n)!, `${t.id} started before ${n} ended`);
    assert.equal(s.log.started.length, 1, "one run");
    assert.equal(s.log.runEnd?.status, "succeeded");
  });

  it("a failed step skips its dependents in later chunks; the rest still runs; the run fails", async () => {
    const s = await runScenario(env, planOf(chainsYaml(6, 5)), "chunk-fail", { "c0-1": { fail: "broke" } }, undefined, { chunkSteps: 8 });
    assert.ok(s.outcome.error instanceof WorkflowFailedError);
    const st = states(s.log);
    assert.equal(st["c0-1"], "failed");
    assert.deepEqual(["c0-2", "c0-3", "c0-4", "all"].map((id) => st[id]), ["skipped", "skipped", "skipped", "skipped"]);
    assert.equal(st["c5-4"], "succeeded", "independent chains run on");
    assert.equal(s.log.runEnd?.status, "failed");
  });

  it("cancelling a chunked run cancels its running chunk's steps and ends the run Cancelled", async () => {
    let seen: RunStatus | undefined;
    const scripts = Object.fromEntries(Array.from({ length: 6 }, (_, c) => [`c${c}-2`, { ms: 60_000 }]));
    const s = await runScenario(
      env,
      planOf(chainsYaml(6, 5)),
      "chunk-cancel",
      scripts,
      async (h) => {
        for (let i = 0; i < 200 && !seen?.chunks?.length; i++) {
          await new Promise((r) => setTimeout(r, 100));
          seen = await h.query<RunStatus>(STATUS_QUERY).catch(() => undefined);
        }
        await new Promise((r) => setTimeout(r, 1500));
        await h.cancel();
      },
      { chunkSteps: 8 },
    );
    assert.match(seen?.chunks?.[0] ?? "", /\/chunk-0$/, "the run's status names its running chunk");
    assert.ok(s.outcome.error instanceof WorkflowFailedError && s.outcome.error.cause instanceof CancelledFailure, String(s.outcome.error));
    assert.equal(s.log.runEnd?.status, "cancelled");
    assert.ok(Object.values(states(s.log)).includes("cancelled"));
    assert.ok(s.trace.every((t) => t.end! - t.start < 30_000), "long steps stopped when cancelled");
  });

  it("a run input above the codec's threshold travels gzip-compressed and runs", async () => {
    const plan = planOf(chainsYaml(40, 5, "x".repeat(1500)));
    const s = await runScenario(env, plan, "big-input", {}, undefined, { chunkSteps: 100 });
    assert.equal(s.outcome.status?.status, "succeeded");
    const started = events(s)[0] as { workflowExecutionStartedEventAttributes: { input: { payloads: { metadata: Record<string, Uint8Array> }[] } } };
    const encoding = new TextDecoder().decode(started.workflowExecutionStartedEventAttributes.input.payloads[0]!.metadata.encoding);
    assert.equal(encoding, "binary/gzip");
  });
});
