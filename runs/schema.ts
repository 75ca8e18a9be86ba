// The run database schema (drizzle). Source of the SQL in runs/migrations: after editing this file run
// `npm run db:generate` (drizzle-kit, config in drizzle.config.ts) and commit the new migration.
// Timestamps are ISO-8601 UTC strings (`Date.toISOString()`): readable in the sqlite3 shell, and they sort
// lexicographically in time order. Every write is an upsert keyed by a natural id, so retried activities
// never duplicate rows (see record-run.ts / record-execution.ts).
import { sql } from "drizzle-orm";
import { type AnySQLiteColumn, check, index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { RUN_STATUSES, STEP_STATES } from "../contract/run.ts";

export { RUN_STATUSES, STEP_STATES };
export const EVENT_DIRECTIONS = ["input", "output", "checkpoint"] as const;
export const PARAM_TYPES = ["string", "number", "boolean", "null", "json"] as const;
/** `metrics.step` of a final value (MetricPoint without `step`). */
export const FINAL_STEP = -1;

/** `'a', 'b'` for a CHECK ... IN (...) list; the values are our own constants, never user input. */
const sqlList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(", "));

/** One row per distinct spec text: runs of an edited spec point at a new row with the same name. */
export const pipelines = sqliteTable(
  "pipelines",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    specHash: text("spec_hash").notNull().unique(),
    specText: text("spec_text").notNull(),
    specPath: text("spec_path").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("pipelines_name_idx").on(t.name)],
);

export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    pipelineId: integer("pipeline_id")
      .notNull()
      .references(() => pipelines.id),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    paramsJson: text("params_json").notNull(),
    planJson: text("plan_json").notNull(),
    planHash: text("plan_hash").notNull(),
    // No foreign key: a run may be resumed from a run recorded in another database file.
    resumedFrom: text("resumed_from"),
    gitCommit: text("git_commit"),
    workflowId: text("workflow_id").notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    error: text("error"),
  },
  (t) => [
    index("runs_started_at_idx").on(t.startedAt),
    index("runs_pipeline_idx").on(t.pipelineId, t.startedAt),
    index("runs_resumed_from_idx").on(t.resumedFrom),
    check("runs_status_check", sql`${t.status} IN (${sqlList(RUN_STATUSES)})`),
  ],
);

/** Params flattened to dotted keys (`train.lr`), so runs can be compared key by key in SQL. */
export const runParams = sqliteTable(
  "run_params",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
    type: text("type", { enum: PARAM_TYPES }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.key] })],
);

export const executions = sqliteTable(
  "executions",
  {
    /** `${runId}/${stepId}`: deterministic, so a retried record* call finds the same row. */
    id: text("id").primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    stepId: text("step_id").notNull(),
    specStepId: text("spec_step_id").notNull(),
    /** Index of the step in the plan's topological order (rowids are not stable across VACUUM). */
    position: integer("position").notNull(),
    kind: text("kind").notNull(),
    kindVersion: text("kind_version").notNull(),
    state: text("state", { enum: STEP_STATES }).notNull(),
    attempt: integer("attempt").notNull().default(0),
    cacheKey: text("cache_key"),
    cacheComponentsJson: text("cache_components_json"),
    cachedFrom: text("cached_from").references((): AnySQLiteColumn => executions.id),
    worker: text("worker"),
    startedAt: text("started_at"),
    finishedAt: text("finished_at"),
    lastHeartbeatAt: text("last_heartbeat_at"),
    progressJson: text("progress_json"),
    error: text("error"),
    matrixJson: text("matrix_json"),
  },
  (t) => [
    index("executions_run_idx").on(t.runId, t.position),
    index("executions_cache_key_idx").on(t.cacheKey, t.state),
    index("executions_step_idx").on(t.stepId),
    check("executions_state_check", sql`${t.state} IN (${sqlList(STEP_STATES)})`),
  ],
);

/** Content-addressed files: the uri embeds the sha256, so one uri never names two contents. */
export const artifacts = sqliteTable(
  "artifacts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    uri: text("uri").notNull().unique(),
    kind: text("kind").notNull(),
    sha256: text("sha256").notNull(),
    size: integer("size").notNull(),
    metaJson: text("meta_json"),
    /** The execution that wrote it; null for artifacts first seen as an input (e.g. imported files). */
    producerExecutionId: text("producer_execution_id").references(() => executions.id, { onDelete: "set null" }),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("artifacts_sha256_idx").on(t.sha256), index("artifacts_producer_idx").on(t.producerExecutionId)],
);

/** Which execution read / wrote / checkpointed which artifact, under which input or output name. */
export const events = sqliteTable(
  "events",
  {
    executionId: text("execution_id")
      .notNull()
      .references(() => executions.id, { onDelete: "cascade" }),
    artifactId: integer("artifact_id")
      .notNull()
      .references(() => artifacts.id),
    direction: text("direction", { enum: EVENT_DIRECTIONS }).notNull(),
    name: text("name").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.executionId, t.artifactId, t.direction, t.name] }),
    index("events_artifact_idx").on(t.artifactId, t.direction),
    check("events_direction_check", sql`${t.direction} IN (${sqlList(EVENT_DIRECTIONS)})`),
  ],
);

export const metrics = sqliteTable(
  "metrics",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    executionId: text("execution_id")
      .notNull()
      .references(() => executions.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    /** Training step, or FINAL_STEP (-1) for a final value. */
    step: integer("step").notNull(),
    /** NULL stands for NaN: SQLite cannot store NaN (a diverged loss must still be recorded). */
    value: real("value"),
    recordedAt: text("recorded_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.executionId, t.key, t.step] }), index("metrics_run_idx").on(t.runId)],
);

export const RUNG_DECISIONS = ["promoted", "stopped"] as const;

/** Every decision a search made: a branch (an execution), the rung it reached, its metric there, its
 *  rank among the branches compared and what followed. */
export const rungDecisions = sqliteTable(
  "rung_decisions",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    executionId: text("execution_id")
      .notNull()
      .references(() => executions.id, { onDelete: "cascade" }),
    rung: integer("rung").notNull(),
    metric: text("metric").notNull(),
    value: real("value"),
    rank: integer("rank").notNull(),
    of: integer("of").notNull(),
    decision: text("decision", { enum: RUNG_DECISIONS }).notNull(),
    reason: text("reason").notNull(),
    decidedAt: text("decided_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.executionId, t.rung] }),
    index("rung_decisions_run_idx").on(t.runId),
    check("rung_decisions_decision_check", sql`${t.decision} IN (${sqlList(RUNG_DECISIONS)})`),
  ],
);

export type PipelineRow = typeof pipelines.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type RunParamRow = typeof runParams.$inferSelect;
export type ExecutionRow = typeof executions.$inferSelect;
export type ArtifactRow = typeof artifacts.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type MetricRow = typeof metrics.$inferSelect;
export type RungDecisionRow = typeof rungDecisions.$inferSelect;
export type ParamType = (typeof PARAM_TYPES)[number];
export type EventDirection = (typeof EVENT_DIRECTIONS)[number];
