// The benchmark table in HTML: a run's stages as columns, or several runs side by side. Each cell
// carries its exact value (data-value) beside the rounded text, so tests and scripts can read it.
import { fmtAccuracy, fmtInterval, fmtNumber } from "../../results/format.ts";
import { isAccuracy, type BenchmarkValue, type ComparedStageTable, type RunStageTable } from "../../results/stage-table.ts";
import { html, type Html } from "../html.ts";
import type { PageContext } from "../pages/page-context.ts";
import { stateBadge } from "./badges.ts";
import { pageLink, runPath } from "./links.ts";

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
