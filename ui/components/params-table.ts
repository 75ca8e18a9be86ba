// A run's params (flattened keys, as recorded) as a two-column table.
import type { ParamRow } from "../../runs/index.ts";
import { html, type Html } from "../html.ts";

export function paramsTable(params: ParamRow[]): Html {
  if (params.length === 0) return html`<p class="muted">This pipeline has no params.</p>`;
  return html`<table class="params" id="params-table"><thead><tr><th>param</th><th>value</th></tr></thead><tbody>
${params.map((p) => html`<tr data-param="${p.key}"><th>${p.key}</th><td><code>${p.value}</code></td></tr>\n`)}</tbody></table>`;
}
