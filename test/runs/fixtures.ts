// Shared test fixtures for the run database: a small plan, a temp database with a fake clock,
// artifact refs, and a snapshot of every table for idempotency checks.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArtifactRef, StepReport } from "../../contract/step-io.ts";
import type { Plan, PlanStep } from "../../contract/plan.ts";
import { closeRunDb, openRunDb, type RunDb } from "../../runs/index.ts";

export const TABLES = ["pipelines", "runs", "run_params", "executions", "artifacts", "events", "metrics"] as const;
const CLOCK_START_MS = Date.parse("2025-01-01T00:00:00.000Z");
const CLOCK_TICK_MS = 1000;

export const sha = (text: string): string => createHash("sha256").update(text).digest("hex");

/** A content-addressed artifact ref whose content is `content`. */
export function ref(content: string, kind = "file", meta?: ArtifactRef["meta"]): ArtifactRef {
  const hash = sha(content);
  const r: ArtifactRef = { sha256: hash, uri: `artifacts/${hash.slice(0, 2)}/${hash}/${kind}.bin`, kind, size: content.length };
  if (meta !== undefined) r.meta = meta;
  return r;
}

function step(id: string, uses: string, needs: string[], extra: Partial<PlanStep> = {}): PlanStep {
  return {
    id,
    specId: id,
    uses,
    kindVersion: "1",
    with: {},
    needs,
    queue: "cpu",
    retry: { maximumAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2 },
    timeoutMs: 60_000,
    heartbeatTimeoutMs: 10_000,
    cache: true,
    cores: 1,
    outputs: { out: "file" },
    ...extra,
  };
}

/** data -> tokenize -> train[lr=...] -> eval; params vary to make runs comparable. */
export function makePlan(params: Plan["params"] = { lr: 0.001, steps: 100, dataset: "mnist" }, pipeline = "tiny"): Plan {
  const specText = `pipeline: ${pipeline}\n`;
  const steps = [
    step("data", "data/mnist", []),
    step("tokenize", "tokenize/vq", ["data"]),
    { ...step("train[lr=0.001]", "train/stage", ["tokenize"], { matrix: { lr: 0.001 } }), specId: "train" },
    step("eval", "eval/accuracy", ["train[lr=0.001]"]),
  ];
  return {
    version: 1,
    pipeline,
    specPath: `pipelines/${pipeline}.yaml`,
    specHash: sha(specText),
    planHash: sha(JSON.stringify({ params, steps })),
    params,
    steps,
    concurrency: 4,
  };
}

export const specTextOf = (plan: Plan): string => `pipeline: ${plan.pipeline}\n`;

export interface TempDb {
  db: RunDb;
  dir: string;
  file: string;
  cleanup: () => void;
}

/** A fresh database in a temp dir; the clock advances one second per timestamp, so order is exact. */
export function tempDb(): TempDb {
  const dir = mkdtempSync(join(tmpdir(), "runsdb-"));
  const file = join(dir, "nested", "runs.db");
  let t = CLOCK_START_MS;
  const db = openRunDb(file, { now: () => new Date((t += CLOCK_TICK_MS)) });
  return {
    db,
    dir,
    file,
    cleanup: () => {
      closeRunDb(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every row of every table, volatile heartbeat / metric timestamps left out. */
export function snapshot(db: RunDb): { [table: string]: unknown[] } {
  const out: { [table: string]: unknown[] } = {};
  for (const table of TABLES) {
    const rows = db.sqlite.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>;
    out[table] = rows
      .map(({ last_heartbeat_at: _h, recorded_at: _r, ...rest }) => JSON.stringify(rest))
      .sort();
  }
  return out;
}

export function count(db: RunDb, table: (typeof TABLES)[number], where = "1"): number {
  return (db.sqlite.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
}

/** A step report (contract/step-io.ts) of attempt 1 on worker `w1`, with `fields` on top. */
export function stepReport(fields: Partial<StepReport>): StepReport {
  return { stepId: "data", attempt: 1, worker: "w1", checkpoints: [], progress: {}, ...fields };
}
