// The runs of the workspace, newest first, filtered by pipeline and status; tick runs to compare them.
import { fmtDuration, fmtTimestamp } from "../../results/format.ts";
import { RUN_STATUSES, type RunTableFilter, type RunTableRow } from "../../runs/index.ts";
import { stateBadge } from "../components/steps.ts";
import { html, type Html } from "../html.ts";
import { pageLink, runPath, type PageContext } from "../page-context.ts";
import { page } from "./layout.ts";

const MAX_PARAMS_SHOWN = 6;

function filters(pipelines: string[], filter: RunTableFilter): Html {
  const option = (value: string, label: string, current: string | undefined) =>
    html`<option value="${value}"${value === (current ?? "") ? html` selected` : ""}>${label}</option>`;
  return html`<form id="filters" method="get" action="/">
<label>pipeline <select name="pipeline">${option("", "all", filter.pipeline)}${pipelines.map((p) => option(p, p, filter.pipeline))}</select></label>
<label>status <select name="status">${option("", "all", filter.status)}${RUN_STATUSES.map((s) => option(s, s, filter.status))}</select></label>
<noscript><button type="submit">filter</button></noscript>
</form>`;
}

function paramsCell(row: RunTableRow): Html {
  const shown = row.params.slice(0, MAX_PARAMS_SHOWN);
  const all = row.params.map((p) => `${p.key}=${p.value}`).join("\n");
  return html`<span class="params-inline" title="${all}">${shown.map((p) => html`<code>${p.key}=${p.value}</code> `)}${
    row.params.length > shown.length ? html`<span class="muted">+${row.params.length - shown.length} more</span>` : ""
  }</span>`;
}

export function runsPage(ctx: PageContext, rows: RunTableRow[], pipelines: string[], filter: RunTableFilter, limit: number): Html {
  const body = html`<h1>Runs</h1>
${filters(pipelines, filter)}
<form id="compare-form" method="get" action="/compare">
<table id="runs-table"><thead><tr><th></th><th>run</th><th>status</th><th>pipeline</th><th>params</th><th>started (UTC)</th><th>duration</th><th>steps</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr data-run="${r.id}"><td><input type="checkbox" name="run" value="${r.id}" aria-label="select ${r.id}"></td>
<td>${pageLink(ctx, runPath(r.id), r.id, "run-link")}${r.resumedFrom ? html` <span class="muted">(resumes ${r.resumedFrom})</span>` : ""}</td>
<td>${stateBadge(r.status)}</td><td class="pipeline">${r.pipeline}</td><td>${paramsCell(r)}</td>
<td>${fmtTimestamp(r.startedAt)}</td><td class="num">${r.durationMs === null ? "running" : fmtDuration(r.durationMs)}</td>
<td class="steps-summary">${Object.entries(r.steps).filter(([, n]) => n > 0).map(([s, n]) => html`<span class="count state-${s}" title="${s}">${n} ${s}</span> `)}</td></tr>\n`,
)}</tbody></table>
${rows.length === 0 ? html`<p class="muted" id="no-runs">No runs${filter.pipeline || filter.status ? " match these filters" : " yet: `mmada run <spec.yaml>` starts one"}.</p>` : ""}
${rows.length === limit ? html`<p class="muted">Showing the newest ${limit}; filter to see older ones.</p>` : ""}
<p><button type="submit" id="compare-selected" disabled>compare selected</button></p>
</form>`;
  return page(ctx, { title: "runs · mmada", section: "runs", body, scripts: ["runs-page.js"] });
}
