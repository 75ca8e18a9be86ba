// The curves section: the smoothing control and the container the client fills with chart panels
// (charts.js), and the min / max / last table of every curve, server-rendered so it reads without
// JavaScript and carries exact values.
import type { CurveSummary } from "../../results/curve-summary.ts";
import { fmtNumber } from "../../results/format.ts";
import { html, type Html } from "../html.ts";

/** TensorBoard's default EMA weight: enough to read a noisy loss, little lag. */
export const DEFAULT_SMOOTHING = 0.6;

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
