// Several runs side by side: the params that differ (or all), overlaid training curves, the stage
// tables, the other final metrics and the step states. Without runs chosen, a picker.
import type { ComparedResults } from "../../results/compare-results.ts";
import { fmtDuration, fmtNumber } from "../../results/format.ts";
import type { MetricSeries, RunTableRow } from "../../runs/index.ts";
import { chartsArea, comparedStageTableHtml } from "../components/benchmarks-and-curves.ts";
import { stateBadge } from "../components/steps.ts";
import { byCurveKey, toSeriesData, type SeriesData } from "../data/curve-data.ts";
import { html, query, type Html } from "../html.ts";
import { pageLink, runPath, type PageContext } from "../page-context.ts";
import { page } from "./layout.ts";

/** What compare-page.js reads: per step, each curve with one series per run. */
export interface ComparePageData {
  runIds: string[];
  steps: Array<{ stepId: string; curves: Array<{ key: string; runs: Array<{ runId: string } & Omit<SeriesData, "key">> }> }>;
}

/** `stepOrder`: step ids in display (plan) order; steps not in it go last. */
export function compareCurveData(runIds: string[], seriesByRun: MetricSeries[][], stepOrder: string[]): ComparePageData {
  const steps: ComparePageData["steps"] = [];
  seriesByRun.forEach((series, i) => {
    for (const s of series) {
      let step = steps.find((x) => x.stepId === s.stepId);
      if (!step) steps.push((step = { stepId: s.stepId, curves: [] }));
      let curve = step.curves.find((c) => c.key === s.key);
      if (!curve) step.curves.push((curve = { key: s.key, runs: [] }));
      const { steps: xs, values } = toSeriesData(s);
      curve.runs.push({ runId: runIds[i]!, steps: xs, values });
    }
  });
  for (const step of steps) step.curves.sort((a, b) => byCurveKey(a.key, b.key));
  const rank = (id: string) => (stepOrder.includes(id) ? stepOrder.indexOf(id) : stepOrder.length);
  steps.sort((a, b) => rank(a.stepId) - rank(b.stepId));
  return { runIds, steps };
}

export function comparePicker(ctx: PageContext, runs: RunTableRow[]): Html {
  const body = html`<h1>Compare runs</h1><p>Pick the runs to put side by side.</p>
<form method="get" action="/compare" id="compare-form"><table id="runs-table"><thead><tr><th></th><th>run</th><th>pipeline</th><th>status</th></tr></thead><tbody>
${runs.map((r) => html`<tr data-run="${r.id}"><td><input type="checkbox" name="run" value="${r.id}" aria-label="select ${r.id}"></td><td>${r.id}</td><td>${r.pipeline}</td><td>${stateBadge(r.status)}</td></tr>\n`)}
</tbody></table><p><button type="submit" id="compare-selected">compare</button></p></form>`;
  return page(ctx, { title: "compare · mmada", section: "compare", body });
}

export function comparePage(ctx: PageContext, cmp: ComparedResults, all: boolean, curves: ComparePageData): Html {
  const ids = cmp.runs.map((r) => r.id);
  const runHeads = ids.map((id) => html`<th data-run="${id}">${pageLink(ctx, runPath(id), id)}</th>`);
  const runQuery = ids.map((id): [string, string] => ["run", id]);
  const paramsToggle = ids.length > 1
    ? html`<a id="params-toggle" href="/compare${query(all ? runQuery : [...runQuery, ["all", "1"]])}">${all ? "only the params that differ" : "all params"}</a>`
    : "";
  const shown = new Set(cmp.stages.rows.map((r) => `${r.stepId}\0${r.key}`));
  const finals = cmp.metrics.filter((m) => !shown.has(`${m.stepId}\0${m.key}`) && !cmp.curves.some((c) => c.stepId === m.stepId && c.key === m.key));
  const body = html`<h1>Compare ${ids.length} run${ids.length > 1 ? "s" : ""}</h1>
<table id="compare-runs"><thead><tr><th></th>${runHeads}</tr></thead><tbody>
<tr><th>pipeline</th>${cmp.runs.map((r) => html`<td>${r.pipeline}</td>`)}</tr>
<tr><th>status</th>${cmp.runs.map((r) => html`<td>${stateBadge(r.status)}</td>`)}</tr>
<tr><th>duration</th>${cmp.runs.map((r) => html`<td class="num">${fmtDuration(r.durationMs)}</td>`)}</tr>
</tbody></table>
<section id="params"><h2>${all || ids.length === 1 ? "Params" : "Params that differ"}</h2> ${paramsToggle}
${cmp.params.length
  ? html`<table id="params-table"><thead><tr><th>param</th>${runHeads}</tr></thead><tbody>${cmp.params.map(
      (p) => html`<tr data-param="${p.key}"><th>${p.key}</th>${p.values.map((v) => html`<td><code>${v ?? "-"}</code></td>`)}</tr>\n`,
    )}</tbody></table>`
  : html`<p class="muted" id="no-params">These runs have the same params.</p>`}</section>
<section id="curves"><h2>Training curves</h2>${chartsArea()}</section>
<section id="stages"><h2>Benchmarks per stage</h2>${comparedStageTableHtml(ctx, cmp.stages)}</section>
<section id="finals"><h2>Other final metrics</h2>
${finals.length ? html`<details><summary>${finals.length} metrics</summary><table id="finals-table"><thead><tr><th>step</th><th>metric</th>${runHeads}</tr></thead><tbody>${finals.map(
  (m) => html`<tr><td>${m.stepId}</td><th>${m.key}</th>${m.values.map((v) => html`<td class="num">${fmtNumber(v)}</td>`)}</tr>\n`,
)}</tbody></table></details>` : html`<p class="muted">None.</p>`}</section>
<section id="steps"><h2>Steps</h2><table id="compare-steps"><thead><tr><th>step</th>${runHeads}</tr></thead><tbody>
${cmp.steps.map((s) => html`<tr data-step="${s.stepId}"><th>${s.stepId}</th>${s.states.map((st) => html`<td>${st ? stateBadge(st) : "-"}</td>`)}</tr>\n`)}
</tbody></table></section>`;
  return page(ctx, { title: `compare ${ids.join(", ")} · mmada`, section: "compare", body, scripts: ["charts.js", "compare-page.js"], data: curves });
}
