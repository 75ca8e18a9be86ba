// A run's status as the run database records it: what `mmada run` prints when Temporal cannot
// answer (no worker left to answer the status query), and what `mmada cancel` reports.
import type { RunStatus } from "../../contract/run.ts";
import { getRun, type RunDb } from "../../runs/index.ts";
import { CliError } from "../errors.ts";

const time = (iso: string | null) => (iso ? Date.parse(iso) : undefined);

export function statusFromDb(db: RunDb, runId: string): RunStatus {
  const r = getRun(db, runId);
  if (!r) throw new CliError(`unknown run '${runId}'; \`mmada runs\` lists the runs`);
  return {
    runId,
    status: r.run.status,
    ...(r.run.error ? { error: r.run.error } : {}),
    steps: r.executions.map(({ execution: e }) => ({
      id: e.stepId,
      uses: e.kind,
      status: e.state,
      ...(e.error ? { error: e.error } : {}),
      ...(time(e.startedAt) ? { startedAt: time(e.startedAt) } : {}),
      ...(time(e.finishedAt) ? { finishedAt: time(e.finishedAt) } : {}),
      ...(e.cachedFrom ? { cachedFrom: e.cachedFrom } : {}),
    })),
  };
}
