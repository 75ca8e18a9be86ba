// Helpers of the MMaDA pipeline end-to-end tests, on top of test/e2e/engine/helpers.ts (workspace, CLI
// subprocess, dev server per file, read-only run database): what these tests read that the engine
// tests do not (progress, metrics, checkpoints, step logs, Temporal failure types) and specs derived
// from pipelines/mmada-smoke.yaml at test time.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { connectClient, endpoint } from "../../../engine/temporal/connection.ts";
import { stepLogName, workflowIdOf } from "../../../contract/ids.ts";
import { alive, REPO_ROOT, startServer, type TestWorkspace, withRunDb } from "../engine/helpers.ts";

export const SMOKE = "pipelines/mmada-smoke.yaml";
export const LONG_STAGE1 = "test/e2e/pipeline/specs/mmada-long-stage1.yaml";

/** How long a dev server that lost its port to another workspace's takes to exit (~1 s). */
const SERVER_SETTLE_MS = 1500;
const SERVER_START_TRIES = 3;

/**
 * startServer, checked: the workspace's recorded server must still be alive a moment later. Two
 * workspaces starting servers at once can pick the same port, and the loser then records a dead
 * server while its commands talk to the winner's (engine bug, parallel-workspaces.test.ts); on this
 * shared machine other test files start servers at any time, so try again (the CLI relaunches a dead one).
 */
export async function startOwnServer(ws: TestWorkspace): Promise<void> {
  for (let i = 1; ; i++) {
    await startServer(ws);
    await new Promise((r) => setTimeout(r, SERVER_SETTLE_MS));
    const { pid } = JSON.parse(readFileSync(join(ws.home, "temporal", "server.json"), "utf8")) as { pid: number };
    if (alive(pid)) return;
    if (i === SERVER_START_TRIES) throw new Error(`the dev server of ${ws.home} exited right after starting ${i} times; see its temporal/server.log`);
  }
}

/** `executions.progress_json` of a step as the worker that owns the database last wrote it. */
export interface StepProgressRow {
  state: string;
  attempt: number;
  worker: string | null;
  progress?: { step?: number; totalSteps?: number };
  /** The newest checkpoint the run database records for the step (its step number). */
  newestCheckpoint?: number;
}

/** One step's state and last recorded progress; undefined while the database or the row is missing. */
export function progressOf(ws: TestWorkspace, runId: string, stepId: string): StepProgressRow | undefined {
  if (!existsSync(join(ws.home, "runs.db"))) return undefined;
  try {
    const row = withRunDb(ws, (db) =>
      db.prepare("SELECT state, attempt, worker, progress_json FROM executions WHERE id = ?").get(`${runId}/${stepId}`),
    ) as { state: string; attempt: number; worker: string | null; progress_json: string | null } | undefined;
    if (!row) return undefined;
    const checkpoints = eventsOf(ws, runId, stepId, "checkpoint").map((e) => checkpointStep(e.name));
    return {
      state: row.state,
      attempt: row.attempt,
      worker: row.worker,
      progress: row.progress_json ? JSON.parse(row.progress_json) : undefined,
      ...(checkpoints.length ? { newestCheckpoint: Math.max(...checkpoints) } : {}),
    };
  } catch (err) {
    // the file exists before its first migration has created the tables
    if ((err as { code?: string }).code === "SQLITE_ERROR") return undefined;
    throw err;
  }
}

export interface MetricRow {
  key: string;
  step: number;
  /** null: NaN (SQLite stores no NaN). */
  value: number | null;
}

/** Every metric point of one step of a run (step -1: a final value). */
export function metricsOf(ws: TestWorkspace, runId: string, stepId: string): MetricRow[] {
  return withRunDb(ws, (db) =>
    db.prepare("SELECT key, step, value FROM metrics WHERE execution_id = ? ORDER BY key, step").all(`${runId}/${stepId}`),
  ) as MetricRow[];
}

/** The final value of a metric (the -1 row, else the one with the largest step), or undefined. */
export function finalMetric(ws: TestWorkspace, runId: string, stepId: string, key: string): number | null | undefined {
  const rows = metricsOf(ws, runId, stepId).filter((m) => m.key === key);
  const final = rows.find((m) => m.step === -1) ?? rows.sort((a, b) => b.step - a.step)[0];
  return final?.value;
}

export interface ArtifactEvent {
  name: string;
  uri: string;
  sha256: string;
}

/** Artifacts an execution read, wrote or checkpointed (events.direction), by event name. */
export function eventsOf(ws: TestWorkspace, runId: string, stepId: string, direction: "input" | "output" | "checkpoint"): ArtifactEvent[] {
  return withRunDb(ws, (db) =>
    db
      .prepare(
        "SELECT e.name AS name, a.uri AS uri, a.sha256 AS sha256 FROM events e JOIN artifacts a ON a.id = e.artifact_id " +
          "WHERE e.execution_id = ? AND e.direction = ? ORDER BY e.name",
      )
      .all(`${runId}/${stepId}`, direction),
  ) as ArtifactEvent[];
}

/** The sha256 of a step's output artifact (its `name` output), or undefined. */
export const outputSha = (ws: TestWorkspace, runId: string, stepId: string, name: string) =>
  eventsOf(ws, runId, stepId, "output").find((e) => e.name === name)?.sha256;

/** `executions.cache_key` of a step of a run. */
export const cacheKeyOf = (ws: TestWorkspace, runId: string, stepId: string) =>
  withRunDb(ws, (db) => db.prepare("SELECT cache_key FROM executions WHERE id = ?").pluck().get(`${runId}/${stepId}`)) as string | null | undefined;

/** The step's log file (`<MMADA_HOME>/logs/<run>/<step>.log`); empty when it was never written. */
export function stepLog(ws: TestWorkspace, runId: string, stepId: string): string {
  const file = join(ws.home, stepLogName(runId, stepId));
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/** Step number of a checkpoint event name or file name (`step-12`, `step-12.ckpt`). */
export const checkpointStep = (name: string) => Number(/step-(\d+)/.exec(name)?.[1] ?? NaN);

/**
 * A variant of a spec written into the workspace: `edits` are [path, value] pairs set in the YAML
 * document (e.g. [["steps", "stage2", "with", "checkpointEvery"], 1]). Deriving at test time keeps the
 * variant in step with the original; the file lives in the workspace, so nothing lands in the repo.
 */
export function derivedSpec(ws: TestWorkspace, base: string, name: string, edits: [path: (string | number)[], value: unknown][]): string {
  const doc = parseDocument(readFileSync(join(REPO_ROOT, base), "utf8"));
  for (const [path, value] of edits) doc.setIn(path, value);
  const file = join(ws.home, `${name}.yaml`);
  writeFileSync(file, doc.toString());
  return file;
}

/** The failures of the run's activities as Temporal recorded them: [failure type, non-retryable]. */
export async function activityFailures(ws: TestWorkspace, runId: string): Promise<{ type: string; nonRetryable: boolean; message: string }[]> {
  const { client, close } = await connectClient(await endpoint(ws.home));
  try {
    const history = await client.workflow.getHandle(workflowIdOf(runId)).fetchHistory();
    return (history.events ?? []).flatMap((e) => {
      const failure = e.activityTaskFailedEventAttributes?.failure;
      if (!failure) return [];
      const info = failure.applicationFailureInfo;
      return [{ type: info?.type ?? "", nonRetryable: !!info?.nonRetryable, message: failure.message ?? "" }];
    });
  } finally {
    await close();
  }
}
