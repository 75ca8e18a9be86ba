// The workflow under test on TestWorkflowEnvironment (a local Temporal dev server, the project's own
// Temporal CLI), with stub activities: an in-memory run database and scripted steps. No worker
// processes, no artifact store, no tfjs: what is tested is the workflow's own behaviour.
import { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker, type WorkerOptions } from "@temporalio/worker";
import { Context } from "@temporalio/activity";
import { ApplicationFailure } from "@temporalio/common";
import type { ArtifactRef, StepInput, StepOutcome, StepReport } from "../../contract/step-io.ts";
import { dbQueueName, taskQueueOf } from "../../contract/ids.ts";
import type { Plan } from "../../contract/plan.ts";
import type { DbActivities, FinishStepInput, PreparedStep, RecordRungInput, RunPipelineInput, StartRunInput, StepActivities } from "../../contract/run.ts";
import { temporalBinary } from "../../engine/temporal/dev-server.ts";
import { dataConverter } from "../../engine/temporal/payload-codec.ts";
import { installRuntime, workflowBundle } from "../../engine/temporal/worker.ts";
import { stepKinds } from "../../engine/kinds.ts";
import { compileText } from "../../pipelines/index.ts";

export const WORKSPACE = "test";
export const DB_QUEUE = dbQueueName(WORKSPACE);

export async function startEnv(): Promise<TestWorkflowEnvironment> {
  installRuntime();
  return TestWorkflowEnvironment.createLocal({ server: { executable: { type: "existing-path", path: temporalBinary() } }, client: { dataConverter } });
}

/** A plan from YAML, compiled with the project's registry (command steps need no files). */
export function planOf(yaml: string): Plan {
  const r = compileText(yaml, "test.yaml", { kinds: stepKinds() });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.plan;
}

/** What the stub run database saw, in order. */
export interface DbLog {
  started: StartRunInput[];
  finished: FinishStepInput[];
  rungs: RecordRungInput[];
  runEnd?: { status: string; error?: string };
}

export interface StepScript {
  /** Milliseconds the step takes (it heartbeats meanwhile, so it notices cancellation). */
  ms?: number;
  fail?: string;
  /** Reuse from cache: prepareStep answers with these outputs (and these rung values). */
  cached?: boolean;
  cachedRungs?: { rung: number; value: number | null }[];
  /** A search branch: its `val_loss` after `done` training steps. */
  valLoss?: (done: number) => number;
  /** Fail the part that would reach this many training steps. */
  failAt?: number;
}

export function artifact(name: string): ArtifactRef {
  return { sha256: name.padEnd(64, "0").slice(0, 64), uri: `artifacts/${name}`, kind: "file", size: 1 };
}

/** Stub database activities recording into `log`. */
export function stubDb(log: DbLog, scripts: Record<string, StepScript>): DbActivities {
  return {
    async startRun(i) {
      log.started.push(i);
    },
    async prepareStep(i): Promise<PreparedStep> {
      const s = scripts[i.step.id];
      const base = { cacheKey: `key-${i.step.id}`, checkpointDir: `checkpoints/${i.step.id}` };
      if (!s?.cached) return base;
      const rungs = i.watch && s.cachedRungs ? { rungs: s.cachedRungs } : {};
      return { ...base, cached: { executionId: `old/${i.step.id}`, outputs: outputsOf(i.step.id, i.step.outputs), ...rungs } };
    },
    async finishStep(i) {
      log.finished.push(i);
    },
    async finishRun(i) {
      log.runEnd = { status: i.status, ...(i.error ? { error: i.error } : {}) };
    },
    async recordRung(i) {
      log.rungs.push(i);
    },
  };
}

function outputsOf(stepId: string, outputs: Record<string, string>): Record<string, ArtifactRef> {
  return Object.fromEntries(Object.keys(outputs).map((o) => [o, artifact(`${stepId}.${o}`)]));
}

/** Stub step activity: runs the script of each step, recording start/end times and concurrency. */
export function stubSteps(scripts: Record<string, StepScript>, trace: { id: string; start: number; end?: number }[]): StepActivities {
  return {
    async runStep(input: StepInput): Promise<StepOutcome> {
      const s = scripts[input.step.id] ?? {};
      const entry: { id: string; start: number; end?: number } = { id: input.step.id, start: Date.now() };
      trace.push(entry);
      const ctx = Context.current();
      const until = Date.now() + (s.ms ?? 50);
      try {
        while (Date.now() < until) {
          ctx.heartbeat();
          await Promise.race([ctx.sleep(50), ctx.cancelled]);
        }
      } finally {
        entry.end = Date.now();
      }
      const report: StepReport = { stepId: input.step.id, attempt: ctx.info.attempt, worker: "stub", checkpoints: [], progress: {} };
      if (s.fail) throw ApplicationFailure.create({ message: s.fail, nonRetryable: true, details: [{ report }] });
      const done = input.budget?.until;
      if (done !== undefined && done === s.failAt) throw ApplicationFailure.create({ message: `broke before step ${done}`, nonRetryable: true, details: [{ report }] });
      const metrics = done !== undefined && s.valLoss ? [{ key: "val_loss", value: s.valLoss(done), step: done }] : [];
      return { artifacts: outputsOf(input.step.id, input.step.outputs), metrics, report };
    },
  };
}

/** Workers for the database queue (workflow + stub bookkeeping) and the step queues of `plan`. */
export async function startWorkers(env: TestWorkflowEnvironment, plan: Plan, db: DbActivities, steps: StepActivities): Promise<Worker[]> {
  const common: Partial<WorkerOptions> = { connection: env.nativeConnection, dataConverter };
  const workers = [
    await Worker.create({ ...common, taskQueue: DB_QUEUE, workflowBundle: await workflowBundle(), activities: db }),
  ];
  for (const q of new Set(plan.steps.map((s) => taskQueueOf(WORKSPACE, s)))) {
    workers.push(await Worker.create({ ...common, taskQueue: q, activities: steps, maxConcurrentActivityTaskExecutions: 16 }));
  }
  return workers;
}

export function runInput(plan: Plan, runId: string, more: Partial<RunPipelineInput> = {}): RunPipelineInput {
  return { runId, plan, specText: "", workspaceId: WORKSPACE, dbQueue: DB_QUEUE, ...more };
}
