// Lookups the engine makes before running a step: a cache hit, a checkpoint to resume from, and the
// previous execution of the same step (to explain which cache component changed).
import { and, desc, eq, isNotNull } from "drizzle-orm";
import type { ArtifactRef } from "../contract/artifacts.ts";
import type { StepState } from "../contract/states.ts";
import { eventsOf, namedOf, toArtifactRef } from "./artifact-rows.ts";
import { readTx, type RunDb } from "./db.ts";
import { artifacts, events, executions, pipelines, runs } from "./schema.ts";

export interface CachedOutputs {
  executionId: string;
  outputs: { [name: string]: ArtifactRef };
}

/**
 * The newest execution that really ran (state 'succeeded', never 'cached': a cache hit points back at
 * its source, so following it would only find the same artifacts) with this cache key.
 */
export function findCachedOutputs(db: RunDb, cacheKey: string): CachedOutputs | undefined {
  return readTx(db, () => {
    const hit = db.orm
      .select({ id: executions.id })
      .from(executions)
      .where(and(eq(executions.cacheKey, cacheKey), eq(executions.state, "succeeded")))
      .orderBy(desc(executions.finishedAt), desc(executions.id))
      .limit(1)
      .get();
    if (hit === undefined) return undefined;
    const outputs = namedOf(eventsOf(db, [hit.id], ["output"]), hit.id, "output", toArtifactRef);
    return { executionId: hit.id, outputs };
  });
}

export interface FoundCheckpoint {
  executionId: string;
  step: number;
  artifact: ArtifactRef;
}

const CHECKPOINT_NAME = /^step-(\d+)$/;

/**
 * Checkpoints of every execution with this cache key (including failed and cancelled ones: resuming
 * them is the point), newest training step first; ties go to the most recently recorded.
 */
export function findCheckpoints(db: RunDb, cacheKey: string): FoundCheckpoint[] {
  const rows = db.orm
    .select({ executionId: events.executionId, name: events.name, artifact: artifacts })
    .from(events)
    .innerJoin(executions, eq(executions.id, events.executionId))
    .innerJoin(artifacts, eq(artifacts.id, events.artifactId))
    .where(and(eq(executions.cacheKey, cacheKey), eq(events.direction, "checkpoint")))
    .all();
  const found = rows.flatMap((r) => {
    const match = CHECKPOINT_NAME.exec(r.name);
    if (match === null) return [];
    return [{ executionId: r.executionId, step: Number(match[1]), artifact: r.artifact }];
  });
  found.sort((a, b) => b.step - a.step || b.artifact.createdAt.localeCompare(a.artifact.createdAt) || b.artifact.id - a.artifact.id);
  return found.map(({ executionId, step, artifact }) => ({ executionId, step, artifact: toArtifactRef(artifact) }));
}

export interface LastExecution {
  runId: string;
  executionId: string;
  cacheKey: string;
  cacheComponents: { [component: string]: unknown };
  state: StepState;
}

/**
 * The most recent execution of `stepId` (a plan step id) in any run of a pipeline with this name,
 * among those that got as far as computing a cache key.
 */
export function lastExecutionOfStep(db: RunDb, pipelineName: string, stepId: string): LastExecution | undefined {
  const row = db.orm
    .select({
      runId: executions.runId,
      executionId: executions.id,
      cacheKey: executions.cacheKey,
      cacheComponentsJson: executions.cacheComponentsJson,
      state: executions.state,
    })
    .from(executions)
    .innerJoin(runs, eq(runs.id, executions.runId))
    .innerJoin(pipelines, eq(pipelines.id, runs.pipelineId))
    .where(and(eq(pipelines.name, pipelineName), eq(executions.stepId, stepId), isNotNull(executions.cacheKey)))
    .orderBy(desc(executions.startedAt), desc(runs.startedAt), desc(executions.id))
    .limit(1)
    .get();
  if (row === undefined || row.cacheKey === null) return undefined;
  return {
    runId: row.runId,
    executionId: row.executionId,
    cacheKey: row.cacheKey,
    cacheComponents: row.cacheComponentsJson === null ? {} : (JSON.parse(row.cacheComponentsJson) as LastExecution["cacheComponents"]),
    state: row.state,
  };
}
