// Small pieces every page uses: a state badge, a number cell, a link that degrades to text in an export.
import { html, type Child, type Html } from "../html.ts";
import type { PageContext } from "../pages/page-context.ts";

/** A run status or step state, colored by CSS class `state-<state>`. */
export const stateBadge = (state: string) => html`<span class="badge state-${state}">${state}</span>`;

/** `<a>` to another page of the UI; plain text in an export (it has no other pages). */
export function pageLink(ctx: PageContext, path: string, label: Child, className = ""): Html {
  const href = ctx.link(path);
  return href === undefined ? html`<span class="${className}">${label}</span>` : html`<a href="${href}" class="${className}">${label}</a>`;
}

export const runPath = (runId: string) => `/runs/${encodeURIComponent(runId)}`;
export const lineagePath = (target: string | number) => `/lineage/${encodeURIComponent(String(target))}`;

/** A plain table: a header row and rows of cells (each cell escaped unless it is Html). */
export function table(header: Child[], rows: Child[][], className = ""): Html {
  return html`<table class="${className}"><thead><tr>${header.map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>\n`)}</tbody></table>`;
}
