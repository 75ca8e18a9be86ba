// `runs lineage <target>`: where a run's artifacts came from and went, or, for one artifact, which
// execution produced it (from which inputs) and which executions read it.
import { and, eq, gte, lt, or } from "drizzle-orm";
import { eventsOf, namedOf, toStoredArtifact, type StoredArtifact } from "./artifact-rows.ts";
import { readTx, type RunDb } from "./db.ts";
import { executionsOfRuns } from "./query-runs.ts";
import { artifacts, events, executions, pipelines, runs, type ArtifactRow, type ExecutionRow, type RunRow } from "./schema.ts";

/** Shortest sha256 prefix accepted as a lineage target (shorter ones match too much to be useful). */
export const MIN_SHA_PREFIX = 8;
const SHA_PREFIX = new RegExp(`^[0-9a-f]{${MIN_SHA_PREFIX},64}$`, "i");
const ARTIFACT_ID = /^\d+$/;

export interface ExecutionLineage {
  execution: ExecutionRow;
  inputs: { [name: string]: StoredArtifact };
  outputs: { [name: string]: StoredArtifact };
}

export interface RunLineage {
  kind: "run";
  run: RunRow;
  pipeline: string;
  /** In plan order. */
  executions: ExecutionLineage[];
}

export interface ArtifactLineage {
  kind: "artifact";
  artifact: StoredArtifact & { createdAt: string };
  /** Absent for an artifact that only ever appeared as an input (imported from outside a run). */
  producedBy?: { execution: ExecutionRow; inputs: { [name: string]: StoredArtifact } };
  /** Executions that read it, with the input name they read it under. */
  usedBy: Array<{ execution: ExecutionRow; name: string }>;
  /** Cache hits that reused it as their output instead of producing it again. */
  reusedBy: Array<{ execution: ExecutionRow; name: string }>;
}

/** A sha256 prefix that matches several artifacts: the CLI lists them and asks for a longer prefix. */
export interface AmbiguousLineage {
  kind: "ambiguous";
  target: string;
  candidates: StoredArtifact[];
}

export type Lineage = RunLineage | ArtifactLineage | AmbiguousLineage;

/**
 * `target` is tried as a run id, then an artifact id (digits), an artifact uri, and a sha256 prefix
 * (>= 8 hex chars). undefined when nothing matches.
 */
export function lineage(db: RunDb, target: string): Lineage | undefined {
  return readTx(db, () => {
    const run = db.orm
      .select({ run: runs, pipeline: pipelines.name })
      .from(runs)
      .innerJoin(pipelines, eq(pipelines.id, runs.pipelineId))
      .where(eq(runs.id, target))
      .get();
    if (run !== undefined) return runLineage(db, run.run, run.pipeline);
    const matches = findArtifacts(db, target);
    if (matches.length === 0) return undefined;
    if (matches.length > 1) return { kind: "ambiguous", target, candidates: matches.map(toStoredArtifact) };
    return artifactLineage(db, matches[0]!);
  });
}

function findArtifacts(db: RunDb, target: string): ArtifactRow[] {
  if (ARTIFACT_ID.test(target)) {
    const byId = db.orm.select().from(artifacts).where(eq(artifacts.id, Number(target))).all();
    if (byId.length > 0) return byId;
  }
  const byUri = db.orm.select().from(artifacts).where(eq(artifacts.uri, target)).all();
  if (byUri.length > 0) return byUri;
  if (!SHA_PREFIX.test(target)) return [];
  // sha256 is stored as lower-case hex (node's digest("hex")): a range scan on the index finds the prefix.
  const prefix = target.toLowerCase();
  const after = `${prefix}g`; // 'g' sorts after every hex digit
  return db.orm
    .select()
    .from(artifacts)
    .where(and(gte(artifacts.sha256, prefix), lt(artifacts.sha256, after)))
    .orderBy(artifacts.id)
    .all();
}

function runLineage(db: RunDb, run: RunRow, pipeline: string): RunLineage {
  const execs = executionsOfRuns(db, [run.id]);
  const named = eventsOf(db, execs.map((e) => e.id), ["input", "output"]);
  return {
    kind: "run",
    run,
    pipeline,
    executions: execs.map((execution) => ({
      execution,
      inputs: namedOf(named, execution.id, "input", toStoredArtifact),
      outputs: namedOf(named, execution.id, "output", toStoredArtifact),
    })),
  };
}

function artifactLineage(db: RunDb, artifact: ArtifactRow): ArtifactLineage {
  const result: ArtifactLineage = {
    kind: "artifact",
    artifact: { ...toStoredArtifact(artifact), createdAt: artifact.createdAt },
    usedBy: [],
    reusedBy: [],
  };
  if (artifact.producerExecutionId !== null) {
    const producer = db.orm.select().from(executions).where(eq(executions.id, artifact.producerExecutionId)).get();
    if (producer !== undefined) {
      const inputs = namedOf(eventsOf(db, [producer.id], ["input"]), producer.id, "input", toStoredArtifact);
      result.producedBy = { execution: producer, inputs };
    }
  }
  const uses = db.orm
    .select({ execution: executions, direction: events.direction, name: events.name })
    .from(events)
    .innerJoin(executions, eq(executions.id, events.executionId))
    .where(and(eq(events.artifactId, artifact.id), or(eq(events.direction, "input"), eq(events.direction, "output"))))
    .orderBy(executions.startedAt, executions.id, events.name)
    .all();
  for (const u of uses) {
    if (u.direction === "input") result.usedBy.push({ execution: u.execution, name: u.name });
    else if (u.execution.id !== artifact.producerExecutionId) result.reusedBy.push({ execution: u.execution, name: u.name });
  }
  return result;
}
