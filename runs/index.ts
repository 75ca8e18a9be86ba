// The run database: lineage and metrics of pipeline runs in SQLite (see README.md in this folder).
// Writers are the workflow's activities (record*), readers the engine (find*, lastExecutionOfStep) and
// the CLI (getRun, listRuns, compareRuns, lineage). Every function takes the RunDb from openRunDb.
export { BUSY_TIMEOUT_MS, closeRunDb, MIGRATIONS_FOLDER, openRunDb, type OpenRunDbOptions, type RunDb } from "./db.ts";
export { openRunDbReadOnly } from "./db-readonly.ts";
export {
  executionIdOf,
  flattenParams,
  recordRunEnd,
  recordRunStart,
  type ParamRow,
  type RecordRunEndInput,
  type RecordRunStartInput,
} from "./record-run.ts";
export {
  recordExecutionCached,
  recordExecutionEnd,
  recordExecutionStart,
  recordMetrics,
  recordStepReport,
  type RecordExecutionCachedInput,
  type RecordExecutionEndInput,
  type RecordExecutionStartInput,
} from "./record-execution.ts";
export { recordRung, rungValuesOf, searchDecisions, type RunDecision } from "./record-search.ts";
export {
  findCachedOutputs,
  lastExecutionOfStep,
  storeReferences,
  type StoreReferences,
  type CachedOutputs,
  type LastExecution,
} from "./query-cache.ts";
export {
  DEFAULT_LIST_LIMIT,
  getRun,
  listRuns,
  openRuns,
  unknownRunIds,
  type ExecutionDetail,
  type RunDetail,
  type RunSummary,
} from "./query-runs.ts";
export { liveRun, type LiveRun, type LiveStep, type StepProgress } from "./query-live.ts";
export { listRunTable, pipelineNames, RUN_TABLE_LIMIT, type RunTableFilter, type RunTableRow } from "./query-run-table.ts";
export {
  compareRuns,
  type MetricComparison,
  type ParamComparison,
  type RunComparison,
  type StepComparison,
} from "./compare-runs.ts";
export {
  lineage,
  MIN_SHA_PREFIX,
  type AmbiguousLineage,
  type ArtifactLineage,
  type ExecutionLineage,
  type Lineage,
  type RunLineage,
} from "./lineage.ts";
export { metricSeries, type FinalMetric, type MetricSeries } from "./query-metrics.ts";
export type { StoredArtifact } from "./artifact-rows.ts";
export {
  FINAL_STEP,
  RUN_STATUSES,
  STEP_STATES,
  type ArtifactRow,
  type EventDirection,
  type EventRow,
  type ExecutionRow,
  type MetricRow,
  type ParamType,
  type PipelineRow,
  type RunParamRow,
  type RunRow,
} from "./schema.ts";
