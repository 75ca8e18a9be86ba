// The runs table of the web UI: runs filtered by pipeline and status, newest first, each with its
// params; and the pipeline names to filter by.
import { and, asc, desc, eq, inArray, type SQL } from "drizzle-orm";
import { readTx, type RunDb } from "./db.ts";
import { summarizeRuns, type RunSummary } from "./query-runs.ts";
import type { ParamRow } from "./record-run.ts";
import { pipelines, runParams, runs, type RunRow } from "./schema.ts";

export interface RunTableFilter {
  pipeline?: string;
  status?: RunRow["status"];
  limit?: number;
}

export type RunTableRow = RunSummary & { params: ParamRow[] };

export const RUN_TABLE_LIMIT = 200;

export function listRunTable(db: RunDb, filter: RunTableFilter = {}): RunTableRow[] {
  return readTx(db, () => {
    const where: SQL[] = [];
    if (filter.status !== undefined) where.push(eq(runs.status, filter.status));
    if (filter.pipeline !== undefined) where.push(eq(pipelines.name, filter.pipeline));
    const rows = db.orm
      .select({ run: runs })
      .from(runs)
      .innerJoin(pipelines, eq(pipelines.id, runs.pipelineId))
      .where(and(...where))
      .orderBy(desc(runs.startedAt), desc(runs.id))
      .limit(filter.limit ?? RUN_TABLE_LIMIT)
      .all()
      .map((r) => r.run);
    const params = rows.length
      ? db.orm.select().from(runParams).where(inArray(runParams.runId, rows.map((r) => r.id))).orderBy(asc(runParams.key)).all()
      : [];
    return summarizeRuns(db, rows).map((s) => ({
      ...s,
      params: params.filter((p) => p.runId === s.id).map(({ key, value, type }) => ({ key, value, type })),
    }));
  });
}

/** Names of the pipelines that have runs, sorted. */
export function pipelineNames(db: RunDb): string[] {
  return db.orm
    .selectDistinct({ name: pipelines.name })
    .from(pipelines)
    .innerJoin(runs, eq(runs.pipelineId, pipelines.id))
    .orderBy(asc(pipelines.name))
    .all()
    .map((r) => r.name);
}
