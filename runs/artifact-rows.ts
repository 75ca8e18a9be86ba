// Artifact and event rows: the internal helpers every record* / query module shares.
// Callers hold a transaction (writeTx / readTx); nothing here opens one.
import { and, eq, inArray } from "drizzle-orm";
import type { ArtifactRef } from "../contract/step-io.ts";
import type { RunDb } from "./db.ts";
import { artifacts, events, type ArtifactRow, type EventDirection } from "./schema.ts";

/** An artifact as stored: the ArtifactRef activities pass around, plus its database id. */
export type StoredArtifact = ArtifactRef & { id: number };

/**
 * Inserts the artifact once per uri and returns its id. The uri is content-addressed, so a second
 * call with another sha256 for the same uri means a file was overwritten in place: refuse, because
 * lineage recorded against the old content would silently point at the new one.
 */
export function upsertArtifact(db: RunDb, ref: ArtifactRef, producerExecutionId: string | null): number {
  db.orm
    .insert(artifacts)
    .values({
      uri: ref.uri,
      kind: ref.kind,
      sha256: ref.sha256,
      size: ref.size,
      metaJson: ref.meta === undefined ? null : JSON.stringify(ref.meta),
      producerExecutionId,
      createdAt: db.now(),
    })
    .onConflictDoNothing({ target: artifacts.uri })
    .run();
  const row = db.orm.select().from(artifacts).where(eq(artifacts.uri, ref.uri)).get();
  if (row === undefined) throw new Error(`runs: artifact ${ref.uri} vanished right after its insert`);
  if (row.sha256 !== ref.sha256) {
    throw new Error(
      `runs: artifact ${ref.uri} is recorded with sha256 ${row.sha256} but was now given ${ref.sha256}; ` +
        "artifact uris must be content-addressed (write new content under a new path)",
    );
  }
  // First seen as someone's input, later reported as an output: the producer is now known.
  if (row.producerExecutionId === null && producerExecutionId !== null) {
    db.orm.update(artifacts).set({ producerExecutionId }).where(eq(artifacts.id, row.id)).run();
  }
  return row.id;
}

/**
 * Makes the execution's events of `direction` exactly `named` (name -> artifact). Replacing instead of
 * appending keeps a retried call idempotent and leaves one artifact per name even if a retry changed it.
 */
export function replaceEvents(
  db: RunDb,
  executionId: string,
  direction: EventDirection,
  named: { [name: string]: ArtifactRef },
  producerExecutionId: string | null,
): void {
  db.orm
    .delete(events)
    .where(and(eq(events.executionId, executionId), eq(events.direction, direction)))
    .run();
  for (const [name, ref] of Object.entries(named)) {
    const artifactId = upsertArtifact(db, ref, producerExecutionId);
    db.orm.insert(events).values({ executionId, artifactId, direction, name }).onConflictDoNothing().run();
  }
}

/** Adds one event without touching the execution's other events of that direction (checkpoints). */
export function addEvent(db: RunDb, executionId: string, direction: EventDirection, name: string, artifactId: number): void {
  db.orm.insert(events).values({ executionId, artifactId, direction, name }).onConflictDoNothing().run();
}

/** Back to the exact ArtifactRef that was recorded: cache hits feed it into later cache keys. */
export function toArtifactRef(row: ArtifactRow): ArtifactRef {
  const ref: ArtifactRef = { sha256: row.sha256, uri: row.uri, kind: row.kind, size: row.size };
  if (row.metaJson !== null) ref.meta = JSON.parse(row.metaJson) as ArtifactRef["meta"];
  return ref;
}

export function toStoredArtifact(row: ArtifactRow): StoredArtifact {
  return { id: row.id, ...toArtifactRef(row) };
}

export interface NamedArtifact {
  executionId: string;
  direction: EventDirection;
  name: string;
  artifact: ArtifactRow;
}

/** Every event (with its artifact) of the given executions, in a stable order. */
export function eventsOf(db: RunDb, executionIds: string[], directions?: EventDirection[]): NamedArtifact[] {
  if (executionIds.length === 0) return [];
  const where = directions
    ? and(inArray(events.executionId, executionIds), inArray(events.direction, directions))
    : inArray(events.executionId, executionIds);
  return db.orm
    .select({ executionId: events.executionId, direction: events.direction, name: events.name, artifact: artifacts })
    .from(events)
    .innerJoin(artifacts, eq(artifacts.id, events.artifactId))
    .where(where)
    .orderBy(events.executionId, events.direction, events.name)
    .all();
}

/** `{ name: artifact }` of one execution and direction, from an eventsOf() result. */
export function namedOf<T>(
  rows: NamedArtifact[],
  executionId: string,
  direction: EventDirection,
  convert: (row: ArtifactRow) => T,
): { [name: string]: T } {
  const out: { [name: string]: T } = {};
  for (const r of rows) if (r.executionId === executionId && r.direction === direction) out[r.name] = convert(r.artifact);
  return out;
}
