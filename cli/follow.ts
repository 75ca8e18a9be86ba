// Live progress of a run on stderr: a line per step state change, and for long steps a progress
// line (percent, training step, ETA from the observed rate) refreshed while they run. When the run
// ends, the lines of every step end not yet printed are flushed from the final status, so the last
// ok / FAILED / skipped lines are never lost. And a run's status as the run database records it, for
// when Temporal cannot answer: what `mmada run` prints when no worker is left to answer the status
// query, and what `mmada cancel` reports.
import type { WorkflowHandle } from "@temporalio/client";
import type { RunStatus, StepStatus } from "../contract/run.ts";
import type { StepProgress } from "../contract/step-io.ts";
import { snapshot } from "../engine/temporal/submit.ts";
import { getRun, type RunDb } from "../runs/index.ts";
import { CliError, duration } from "./terminal.ts";

const POLL_MS = 1000;
const PROGRESS_EVERY_MS = 5000;
const MARK: Record<string, string> = { succeeded: "ok", cached: "cached", failed: "FAILED", skipped: "skipped", cancelled: "cancelled", running: "running" };

export interface Following {
  /** Stops polling, then prints what `final` adds to what was already printed. */
  stop(final?: RunStatus): Promise<void>;
}

export function follow(handle: WorkflowHandle, out: (line: string) => void): Following {
  const seen = new Map<string, string>();
  const firstSeen = new Map<string, { at: number; percent: number }>();
  let lastProgressLine = 0;
  let stopped = false;
  let wake = () => {};

  const report = (steps: StepStatus[]) => {
    for (const s of steps) {
      if (seen.get(s.id) === s.status || s.status === "pending") continue;
      seen.set(s.id, s.status);
      const took = s.finishedAt && s.startedAt ? ` (${duration(s.finishedAt - s.startedAt)})` : "";
      const err = (s.status === "failed" || s.status === "stopped") && s.error ? `: ${s.error.split("\n")[0]}` : "";
      out(`  ${(MARK[s.status] ?? s.status).padEnd(9)} ${s.id}${took}${err}`);
    }
  };

  const tick = async () => {
    let snap: { status: RunStatus; live: Map<string, StepProgress> };
    try {
      snap = await snapshot(handle);
    } catch {
      return; // the workflow may not have started its first task yet
    }
    if (stopped) return;
    report(snap.status.steps);
    if (Date.now() - lastProgressLine < PROGRESS_EVERY_MS) return;
    lastProgressLine = Date.now();
    for (const [id, p] of snap.live) {
      if (p.percent === undefined) continue;
      const base = firstSeen.get(id) ?? { at: Date.now(), percent: p.percent };
      firstSeen.set(id, base);
      const rate = (p.percent - base.percent) / (Date.now() - base.at);
      const eta = rate > 0 ? duration((100 - p.percent) / rate) : "?";
      const stepInfo = p.step !== undefined && p.totalSteps ? ` step ${p.step}/${p.totalSteps}` : "";
      const msg = p.message ? ` ${p.message}` : "";
      out(`  ...       ${id}: ${p.percent.toFixed(0)}%${stepInfo} ETA ${eta}${msg}`);
    }
  };

  void (async () => {
    while (!stopped) {
      await tick();
      if (stopped) break;
      await new Promise<void>((r) => {
        const timer = setTimeout(r, POLL_MS);
        wake = () => (clearTimeout(timer), r()); // stop() need not wait out the poll interval
      });
    }
  })();
  return {
    async stop(final) {
      stopped = true;
      wake(); // a poll still in flight sees it is stopped and prints nothing: no need to wait for it
      if (final) report(final.steps);
    },
  };
}

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
