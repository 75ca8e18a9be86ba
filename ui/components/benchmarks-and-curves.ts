// What runs measured, for the run and compare pages. The benchmark table has a run's stages as
// columns, or several runs side by side; each cell carries its exact value (data-value) beside the
// rounded text, so tests and scripts can read it. The curves section is the smoothing control and the
// container the client fills with chart panels (charts.js), and the min / max / last table of every
// curve, server-rendered so it reads without JavaScript and carries exact values. A run's search:
// its rule and the share of the full sweep's training it took, the best configuration, the branches
// ranked with the search's decisions about each, a panel for the watched metric of every branch (a
// stopped branch's curve ends where it stopped), and every decision with its reason.
import type { CurveSummary } from "../../results/curve-summary.ts";
import { fmtAccuracy, fmtInterval, fmtNumber } from "../../results/format.ts";
import { isAccuracy, type BenchmarkValue, type ComparedStageTable, type RunStageTable } from "../../results/stage-table.ts";
import { decisionsInOrder, ruleText, shareText, type Sweep } from "../../results/sweep.ts";
import { html, type Html } from "../html.ts";
import { pageLink, runPath, type PageContext } from "../page-context.ts";
import { stateBadge } from "./steps.ts";

/** TensorBoard's default EMA weight: enough to read a noisy loss, little lag. */
export const DEFAULT_SMOOTHING = 0.6;

function cell(key: string, v: BenchmarkValue | null): Html {
  if (v === null) return html`<td class="num empty">-</td>`;
  const accuracy = isAccuracy(key);
  return html`<td class="num" data-key="${key}" data-value="${String(v.value)}"${v.n === undefined ? "" : html` data-n="${v.n}"`}>
<span class="value">${accuracy ? fmtAccuracy(v.value) : fmtNumber(v.value)}</span>${
    v.interval ? html` <span class="ci" title="95% Wilson interval">${fmtInterval(v.interval)}</span>` : ""
  }${accuracy && v.n !== undefined ? html` <span class="n">n=${v.n}</span>` : ""}</td>`;
}

const LEGEND = html`<p class="note">Accuracies with their 95% Wilson interval and the number of items asked (n).</p>`;

export function runStageTableHtml(t: RunStageTable): Html {
  if (t.stages.length === 0) return html`<p class="muted">No evaluate steps in this run.</p>`;
  return html`<table class="stages" id="stage-table"><thead><tr><th>benchmark</th>${t.stages.map(
    (s) => html`<th data-stage="${s.stepId}">${s.stepId} ${s.state === "succeeded" || s.state === "cached" ? "" : stateBadge(s.state)}</th>`,
  )}</tr></thead><tbody>
${t.rows.map((r) => html`<tr data-benchmark="${r.key}"><th>${r.key}</th>${r.cells.map((c) => cell(r.key, c))}</tr>\n`)}</tbody></table>${
    t.rows.length ? LEGEND : html`<p class="muted">No results yet.</p>`
  }`;
}

export function comparedStageTableHtml(ctx: PageContext, t: ComparedStageTable): Html {
  if (t.rows.length === 0) return html`<p class="muted">None of these runs has evaluate results.</p>`;
  return html`<table class="stages" id="compare-stage-table"><thead><tr><th>stage</th><th>benchmark</th>${t.runIds.map(
    (id) => html`<th data-run="${id}">${pageLink(ctx, runPath(id), id)}</th>`,
  )}</tr></thead><tbody>
${t.rows.map(
  (r) => html`<tr data-stage="${r.stepId}" data-benchmark="${r.key}"><td>${r.stepId}</td><th>${r.key}</th>${r.cells.map((c) => cell(r.key, c))}</tr>\n`,
)}</tbody></table>${LEGEND}`;
}

export function chartsArea(): Html {
  return html`<div class="chart-controls"><label for="smoothing">smoothing (EMA)</label>
<input type="range" id="smoothing" min="0" max="0.99" step="0.01" value="${DEFAULT_SMOOTHING}"><output id="smoothing-value">${DEFAULT_SMOOTHING}</output>
<span class="muted">click a legend entry to hide or show a series</span></div>
<div id="curve-panels" class="chart-grid"><noscript><p class="muted">The charts need JavaScript; the table below has every curve's numbers.</p></noscript></div>`;
}

export function curveSummaryTable(curves: CurveSummary[]): Html {
  if (curves.length === 0) return html``;
  return html`<details class="curve-summary"><summary>min / max / last of every curve</summary>
<table id="curve-table"><thead><tr><th>step</th><th>curve</th><th>points</th><th>min</th><th>max</th><th>last</th><th>at step</th></tr></thead><tbody>
${curves.map(
  (c) => html`<tr data-step="${c.stepId}" data-curve="${c.key}"><td>${c.stepId}</td><th>${c.key}</th><td class="num">${c.points}</td>
<td class="num" data-value="${String(c.min)}">${fmtNumber(c.min)}</td><td class="num" data-value="${String(c.max)}">${fmtNumber(c.max)}</td>
<td class="num" data-value="${String(c.last)}">${fmtNumber(c.last)}</td><td class="num">${c.lastStep}</td></tr>\n`,
)}</tbody></table></details>`;
}

export function sweepSection(s: Sweep): Html {
  const { search } = s;
  const decisions = decisionsInOrder(s);
  return html`<section id="sweep"><h2>Search</h2>
<p class="facts"><b>${search.specStep}</b> branches judged on <b>${search.metric}</b> (${search.mode}) · ${ruleText(search)} ·
this run trained <span id="sweep-share" data-trained="${s.trained}" data-full="${s.full}">${shareText(s)}</span></p>
${s.best ? html`<p id="sweep-best">best: <b>${s.best.config || s.best.id}</b> · ${search.metric} <b data-value="${String(s.best.value)}">${fmtNumber(s.best.value)}</b> after ${s.best.budget} steps</p>` : html`<p class="muted">No branch has finished yet.</p>`}
<table id="sweep-table"><thead><tr><th>rank</th><th>branch</th><th>state</th><th>reached</th><th>${search.metric}</th><th>rungs (rank / compared)</th></tr></thead><tbody>
${s.branches.map(
  (b, i) => html`<tr data-branch="${b.id}" data-state="${b.state}"><td class="num">${i + 1}</td><th>${b.config || b.id}</th><td>${stateBadge(b.state)}</td>
<td class="num">${b.reached} / ${b.budget}</td><td class="num" data-value="${b.value === undefined ? "" : String(b.value)}">${b.value === undefined ? "-" : fmtNumber(b.value)}</td>
<td>${b.decisions.map((d) => html`<span class="rung rung-${d.decision}" title="${d.reason}">${d.rung}: ${d.decision} ${d.rank}/${d.of}</span> `)}</td></tr>\n`,
)}</tbody></table>
<div id="sweep-chart" class="chart-grid"></div>
${decisions.length ? html`<details><summary>every decision (${decisions.length})</summary><table id="sweep-decisions"><thead><tr><th>rung</th><th>branch</th><th>${search.metric}</th><th>decision</th><th>why</th></tr></thead><tbody>
${decisions.map((d) => html`<tr><td class="num">${d.rung}</td><td>${d.branch}</td><td class="num">${fmtNumber(d.value)}</td><td>${d.decision}</td><td>${d.reason}</td></tr>\n`)}</tbody></table></details>` : ""}
</section>`;
}
