// A run: header (status, pipeline, timing, links to the Temporal Web UI and the lineage), the DAG with
// live step states, the stage table, training curves, the steps, sample answers and digit grids, and
// the params. The same page is the exported report (page-context.ts says what differs).
import { fmtDuration, fmtTimestamp } from "../../results/format.ts";
import type { ParamRow } from "../../runs/index.ts";
import { chartsArea, curveSummaryTable, runStageTableHtml, sweepSection } from "../components/benchmarks-and-curves.ts";
import { samplesSection } from "../components/samples.ts";
import { dagSvg, stateBadge, stepsTable } from "../components/steps.ts";
import type { RunView } from "../data/run-view.ts";
import { html, query, type Html } from "../html.ts";
import { lineagePath, pageLink, runPath, type PageContext } from "../page-context.ts";
import { page } from "./layout.ts";

/** What run-page.js reads from #page-data. */
export interface RunPageData {
  runId: string;
  curves: RunView["curves"];
  /** The search's metric, one series per branch (a stopped one ends where it stopped). */
  sweep: { metric: string; series: { label: string; steps: number[]; values: (number | null)[] }[] } | null;
  /** Only on a live page of a running run. */
  live: { url: string; curvesUrl: string; status: string; metricPoints: number } | null;
}

export const liveApiPath = (runId: string) => `/api/runs/${encodeURIComponent(runId)}/live`;
export const curvesApiPath = (runId: string) => `/api/runs/${encodeURIComponent(runId)}/curves`;

/** The run's params (flattened keys, as recorded) as a two-column table. */
function paramsTable(params: ParamRow[]): Html {
  if (params.length === 0) return html`<p class="muted">This pipeline has no params.</p>`;
  return html`<table class="params" id="params-table"><thead><tr><th>param</th><th>value</th></tr></thead><tbody>
${params.map((p) => html`<tr data-param="${p.key}"><th>${p.key}</th><td><code>${p.value}</code></td></tr>\n`)}</tbody></table>`;
}

function header(ctx: PageContext, v: RunView): Html {
  const { run, pipeline } = v.detail;
  const duration = run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : null;
  const links = [
    v.temporalUrl ? html`<a href="${v.temporalUrl}" id="temporal-link" rel="noopener">workflow in the Temporal Web UI</a>` : "",
    ctx.mode === "live" ? pageLink(ctx, lineagePath(run.id), "lineage", "") : "",
    ctx.mode === "live" ? pageLink(ctx, `/compare${query([["run", run.id]])}`, "compare with…", "") : "",
  ].filter((l) => l !== "");
  return html`<header class="run-header">
<h1><span class="muted">${pipeline.name} /</span> <span id="run-id">${run.id}</span> <span id="run-status" class="badge state-${run.status}">${run.status}</span></h1>
<p class="facts">started <b>${fmtTimestamp(run.startedAt)}</b> UTC · ${duration === null ? "running" : html`took <b>${fmtDuration(duration)}</b>`}
${run.resumedFrom ? html` · resumed from ${pageLink(ctx, runPath(run.resumedFrom), run.resumedFrom)}` : ""}
${run.gitCommit ? html` · commit <code>${run.gitCommit.slice(0, 10)}</code>` : ""} · workflow <code>${run.workflowId}</code></p>
${links.length ? html`<p class="links">${links.map((l, i) => html`${i ? " · " : ""}${l}`)}</p>` : ""}
${run.error ? html`<p class="run-error">${stateBadge("failed")} ${run.error}</p>` : ""}
</header>`;
}

export function runPage(ctx: PageContext, v: RunView): Html {
  const { run, pipeline } = v.detail;
  const data: RunPageData = {
    runId: run.id,
    curves: v.curves,
    sweep: v.sweep
      ? {
          metric: v.sweep.search.metric,
          series: v.sweep.branches.map((b) => ({
            label: `${b.config || b.id} (${b.state})`,
            steps: b.curve.map((p) => p.step),
            values: b.curve.map((p) => (Number.isFinite(p.value) ? p.value : null)),
          })),
        }
      : null,
    live:
      ctx.mode === "live" && run.status === "running"
        ? { url: liveApiPath(run.id), curvesUrl: curvesApiPath(run.id), status: run.status, metricPoints: v.live.metricPoints }
        : null,
  };
  const body = html`${header(ctx, v)}
<section id="dag-section"><h2>Steps</h2><div class="dag-scroll">${dagSvg(v.dag, v.live.steps)}</div></section>
${v.sweep ? sweepSection(v.sweep) : ""}
<section id="stages"><h2>Benchmarks per stage</h2>${runStageTableHtml(v.stages)}</section>
<section id="curves"><h2>Training curves</h2>${chartsArea()}${curveSummaryTable(v.curveSummaries)}</section>
<section id="steps"><h2>Step details</h2>${stepsTable(ctx, v.detail.executions, v.live.steps)}</section>
<section id="samples"><h2>Samples</h2>${samplesSection(ctx, v.evals)}</section>
<section id="params"><h2>Params</h2>${paramsTable(v.detail.params)}</section>`;
  return page(ctx, { title: `${run.id} · ${pipeline.name}`, section: "runs", body, scripts: ["charts.js", "run-page.js"], data });
}
