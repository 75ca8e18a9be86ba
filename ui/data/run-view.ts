// Everything the run page shows, read in one place from the run database and the workspace (its
// evaluate outputs, the dev server's record for the Temporal link); the live page and the exported
// report render the same RunView.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readEvalReport, readDigitGrid, type DigitGrid, type EvalReport } from "../../results/eval-outputs.ts";
import { summarizeCurves, type CurveSummary } from "../../results/curve-summary.ts";
import { EVALUATE_KIND, evalStages, runStageTable, type RunStageTable } from "../../results/stage-table.ts";
import { type Sweep, sweepOf } from "../../results/sweep.ts";
import { getRun, liveRun, metricSeries, type LiveRun, type RunDb, type RunDetail } from "../../runs/index.ts";
import { stepCurves, type StepCurves } from "./curve-data.ts";
import { layoutDag, planSteps, type DagLayout } from "./dag-layout.ts";

const DEFAULT_NAMESPACE = "default";

export interface EvalOutputs {
  stepId: string;
  report?: EvalReport;
  grid?: DigitGrid;
}

export interface RunView {
  detail: RunDetail;
  live: LiveRun;
  dag: DagLayout;
  stages: RunStageTable;
  curves: StepCurves[];
  curveSummaries: CurveSummary[];
  evals: EvalOutputs[];
  /** The run's search, when its plan has one. */
  sweep?: Sweep;
  temporalUrl?: string;
}

export function runView(db: RunDb, root: string, runId: string): RunView | undefined {
  const detail = getRun(db, runId);
  const live = liveRun(db, runId);
  if (detail === undefined || live === undefined) return undefined;
  const series = metricSeries(db, runId);
  const view: RunView = {
    detail,
    live,
    dag: layoutDag(planSteps(detail.run.planJson)),
    stages: runStageTable(evalStages(root, detail)),
    curves: stepCurves(series),
    curveSummaries: summarizeCurves(series),
    evals: detail.executions
      .filter((e) => e.execution.kind === EVALUATE_KIND && e.execution.state !== "pending")
      .map((e) => {
        const out: EvalOutputs = { stepId: e.execution.stepId };
        const report = readEvalReport(root, e);
        const grid = readDigitGrid(root, e);
        if (report) out.report = report;
        if (grid) out.grid = grid;
        return out;
      }),
  };
  const sweep = sweepOf(db, detail);
  if (sweep) view.sweep = sweep;
  const url = temporalWorkflowUrl(root, detail.run.workflowId);
  if (url) view.temporalUrl = url;
  return view;
}

/**
 * The run's workflow in the Temporal Web UI of the workspace's embedded dev server: the server
 * records its ports in <workspace>/temporal/server.json (engine/temporal/dev-server.ts). undefined
 * when the workspace has no dev server record (a cluster, or never started).
 */
function temporalWorkflowUrl(root: string, workflowId: string, namespace = process.env.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE): string | undefined {
  try {
    const info = JSON.parse(readFileSync(join(root, "temporal", "server.json"), "utf8")) as { uiPort?: unknown };
    if (typeof info.uiPort !== "number") return undefined;
    return `http://127.0.0.1:${info.uiPort}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  } catch {
    return undefined;
  }
}
