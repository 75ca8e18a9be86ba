// The run's workflow: interprets a compiled Plan (run-steps.ts runs its steps). A plan of more than
// CHUNK_STEPS steps runs as consecutive chunks, each a child workflow (`runPipelineChunk`), so no
// history grows with the plan; to the user it is still one run. Run-database bookkeeping runs as
// local activities in the worker that owns the database. The run ends as Completed, Failed or
// Cancelled in Temporal, matching the run database. Deterministic: no I/O here.
import { ApplicationFailure, CancellationScope, CancelledFailure, defineQuery, executeChild, isCancellation, setHandler, workflowInfo } from "@temporalio/workflow";
import { workspaceOfDbQueue } from "../contract/ids.ts";
import { planProblems } from "../contract/limits.ts";
import type { Plan } from "../contract/plan.ts";
import { isFinal, type RunChunkInput, type RunChunkResult, type RunPipelineInput, type RunStatus, type RungValues, STATUS_QUERY } from "../contract/run.ts";
import type { StepOutputs } from "../contract/with-value.ts";
import { CHUNK_STEPS, exportedIds, planChunks } from "./chunks.ts";
import { RunTracker } from "./run-tracker.ts";
import { db, rootMessage, runSteps } from "./run-steps.ts";
import { SearchBoard } from "./search.ts";

export const statusQuery = defineQuery<RunStatus>(STATUS_QUERY);

/** The type of the failure a failed run ends with; its details hold the final RunStatus. */
export const RUN_FAILED = "RunFailed";

export async function runPipeline(input: RunPipelineInput): Promise<RunStatus> {
  const { plan, runId } = input;
  const workspaceId = input.workspaceId ?? workspaceOfDbQueue(input.dbQueue);
  const run = new RunTracker(plan.steps, runId, plan.concurrency, undefined, judgingOrder(input));
  setHandler(statusQuery, () => run.status);

  await CancellationScope.nonCancellable(() =>
    db.startRun({ runId, workflowId: workflowInfo().workflowId, plan, specText: input.specText, resumedFrom: input.resumedFrom, gitCommit: input.gitCommit }),
  );
  const problems = planProblems(plan);
  if (problems.length > 0) {
    for (const s of plan.steps) run.set(s.id, "skipped", { error: "the plan is invalid" });
    return end(run, false, `invalid plan: ${problems.join("; ")}`);
  }
  const common = { runId, workspaceId, noCache: input.noCache, force: input.force, keepStopped: input.keepStopped };
  // resuming with --continue-stopped: the search is over, its stopped branches stay so or go on
  const search = input.keepStopped ? undefined : plan.search;
  const chunkSteps = input.chunkSteps ?? CHUNK_STEPS;
  const cancelled =
    plan.steps.length <= chunkSteps
      ? await runSteps({ ...common, run, outputs: {}, board: search && new SearchBoard(search) })
      : await runChunks(plan, chunkSteps, run, { ...common, search });
  // a large run's chunks that never started (its database rows are closed by finishRun)
  for (const s of run.unfinished()) run.set(s.id, cancelled ? "cancelled" : "skipped");
  return end(run, cancelled);
}

/** A large plan, chunk after chunk, each a child workflow; the run's status follows them. */
async function runChunks(
  plan: Plan,
  size: number,
  run: RunTracker,
  common: Pick<RunChunkInput, "runId" | "workspaceId" | "noCache" | "force" | "search" | "keepStopped">,
): Promise<boolean> {
  const chunks = planChunks(plan.steps, size, common.search?.branches.map((b) => b.id));
  const outputs: StepOutputs = {};
  let rungValues: RungValues = {};
  const ended = (id: string) => run.step(id).status;
  for (const [index, steps] of chunks.entries()) {
    if (CancellationScope.current().consideredCancelled) return true;
    const inChunk = new Set(steps.map((s) => s.id));
    const needed = [...new Set(steps.flatMap((s) => s.needs.filter((n) => !inChunk.has(n))))];
    const workflowId = `${workflowInfo().workflowId}/chunk-${index}`;
    const chunkInput: RunChunkInput = {
      ...common,
      index,
      steps,
      concurrency: plan.concurrency,
      outputs: Object.fromEntries(needed.filter((n) => outputs[n]).map((n) => [n, outputs[n]!])),
      notDone: Object.fromEntries(needed.filter((n) => !outputs[n]).map((n) => [n, ended(n)])),
      exports: exportedIds(chunks, index),
      rungValues,
    };
    run.status.chunks = [workflowId];
    try {
      const result = await executeChild(runPipelineChunk, { workflowId, args: [chunkInput] });
      for (const s of result.steps) run.set(s.id, s.status, s);
      Object.assign(outputs, result.outputs);
      rungValues = result.rungValues;
      if (result.cancelled) return true;
    } catch (err) {
      if (isCancellation(err)) return true;
      // the chunk's workflow itself failed (not a step of it; a bug): its steps' own records in the
      // run database say how far each got; here, every one this run has not seen end fails
      for (const s of steps) if (!isFinal(ended(s.id))) run.set(s.id, "failed", { error: `chunk ${index}: ${rootMessage(err)}` });
    } finally {
      delete run.status.chunks;
    }
  }
  return false;
}

/** One chunk of a large run: its steps, given what earlier chunks produced. */
export async function runPipelineChunk(input: RunChunkInput): Promise<RunChunkResult> {
  const done = new Set(Object.keys(input.outputs));
  const notDone = new Map(Object.entries(input.notDone));
  const run = new RunTracker(input.steps, input.runId, input.concurrency, { done, notDone }, input.search?.branches.map((b) => b.id));
  setHandler(statusQuery, () => run.status);
  const outputs: StepOutputs = { ...input.outputs };
  const board = input.search && new SearchBoard(input.search, input.rungValues);
  const { runId, workspaceId, noCache, force, keepStopped } = input;
  const cancelled = await runSteps({ runId, workspaceId, run, outputs, noCache, force, keepStopped, board });
  const exported = Object.fromEntries(input.exports.filter((id) => outputs[id]).map((id) => [id, outputs[id]!]));
  return { steps: run.status.steps, outputs: exported, cancelled, rungValues: board?.known() ?? {} };
}

/** The search's branches in the order it judges them (none when the search is off). */
function judgingOrder(input: RunPipelineInput): string[] {
  return input.keepStopped ? [] : (input.plan.search?.branches.map((b) => b.id) ?? []);
}

/** Records the run's end, then ends the workflow the same way: a failed run fails the workflow
 *  (its details carry the final status), a cancelled run is reported as Cancelled. */
async function end(run: RunTracker, cancelled: boolean, error?: string): Promise<RunStatus> {
  const status = run.finish(cancelled);
  if (error) status.error = error;
  if (error && status.status === "succeeded") status.status = "failed";
  await CancellationScope.nonCancellable(() =>
    db.finishRun({ runId: status.runId, status: status.status as "succeeded" | "failed" | "cancelled", error: status.error }),
  );
  if (status.status === "cancelled") throw new CancelledFailure("run cancelled", [status]);
  if (status.status === "failed") throw ApplicationFailure.create({ type: RUN_FAILED, message: status.error ?? "run failed", nonRetryable: true, details: [status] });
  return status;
}

