// Lookups the engine makes before running a step: a cache hit, and the previous execution of the
// same step (to explain which cache component changed); and what the store must keep (`mmada gc`):
// every artifact any run recorded (outputs, inputs, reported checkpoints), and the cache keys of
// executions that may still continue (running, queued, or ended without succeeding: a resume or
// `--continue-stopped` starts from their checkpoint folders).
import { and, desc, eq, isNotNull, notInArray } from "drizzle-orm";
import type { ArtifactRef } from "../contract/step-io.ts";
import type { StepState } from "../contract/run.ts";
import { eventsOf, namedOf, toArtifactRef } from "./artifact-rows.ts";
import { readTx, type RunDb } from "./db.ts";
import { artifacts, executions, pipelines, runs } from "./schema.ts";

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

export interface StoreReferences {
  uris: Set<string>;
  /** Cache keys whose checkpoint folders a running or resumable execution may read. */
  liveCacheKeys: string[];
}

export function storeReferences(db: RunDb): StoreReferences {
  return readTx(db, () => {
    const uris = new Set(db.orm.select({ uri: artifacts.uri }).from(artifacts).all().map((r) => r.uri));
    const live = db.orm
      .selectDistinct({ key: executions.cacheKey })
      .from(executions)
      .where(and(isNotNull(executions.cacheKey), notInArray(executions.state, ["succeeded", "cached", "skipped"])))
      .all();
    return { uris, liveCacheKeys: live.map((r) => r.key!) };
  });
}
