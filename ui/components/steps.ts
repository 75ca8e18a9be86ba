// The steps of a run, drawn and listed, with the state badge every page uses for a step or a run.
// The DAG is SVG: a box per step colored by its state, with a progress bar, and an edge per
// dependency. Each box is a link to its row of the steps table, so the SVG is a named group, not
// role="img": an image's content is presentational and may hold no links (axe's nested-interactive
// rule). The steps table has state, attempt, timing, live progress, outputs (each a link to its
// lineage), the step's log and its error. Boxes and rows carry `data-step`, so the live page
// (run-page.js, from /api/runs/<id>/live) updates their state and progress in place.
import { stepLogName } from "../../contract/ids.ts";
import { fmtDuration, fmtTimestamp } from "../../results/format.ts";
import { workspaceEntry } from "../../results/workspace-file.ts";
import type { ExecutionDetail, LiveStep } from "../../runs/index.ts";
import { NODE, type DagLayout } from "../data/dag-layout.ts";
import { html, type Html } from "../html.ts";
import { lineagePath, pageLink, runPath, type PageContext } from "../page-context.ts";

const MAX_LABEL = 18;
const PERCENT = 100;
const ms = (a: string | null, b: string | null) => (a && b ? Date.parse(b) - Date.parse(a) : undefined);
/** Longer errors are cut (the step log has all of it). */
const ERROR_MAX = 4000;
const ERROR_SUMMARY = 80;

/** A run status or step state as a colored badge (CSS class `state-<state>`). */
export const stateBadge = (state: string): Html => html`<span class="badge state-${state}">${state}</span>`;

const shorten = (s: string) => (s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}…` : s);

/** Progress in [0, 100] of a step: its heartbeat's percent while running, full once done. */
function percentOf(step: LiveStep | undefined): number {
  if (!step) return 0;
  if (step.state === "succeeded" || step.state === "cached") return PERCENT;
  return Math.max(0, Math.min(PERCENT, step.progress?.percent ?? 0));
}

export function dagSvg(layout: DagLayout, steps: LiveStep[]): Html {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const barWidth = NODE.width - 16;
  return html`<svg class="dag" id="dag" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" style="max-width:100%;height:auto" role="group" aria-label="steps of the run and their dependencies">
${layout.edges.map((e) => html`<path class="edge" d="${e.path}" data-from="${e.from}" data-to="${e.to}"/>`)}
${layout.nodes.map((n) => {
  const s = byId.get(n.id);
  const state = s?.state ?? "pending";
  return html`<a href="#step-${n.id}"><g class="node state-${state}" data-step="${n.id}" data-state="${state}" transform="translate(${n.x},${n.y})">
<title>${n.id}: ${state}</title>
<rect class="box" width="${NODE.width}" height="${NODE.height}" rx="6"/>
<text class="label" x="8" y="18">${shorten(n.id)}</text>
<text class="state" x="8" y="33">${state}</text>
<rect class="bar-bg" x="8" y="${NODE.height - 8}" width="${barWidth}" height="3"/>
<rect class="bar" data-bar-width="${barWidth}" x="8" y="${NODE.height - 8}" width="${(barWidth * percentOf(s)) / PERCENT}" height="3"/>
</g></a>`;
})}
</svg>`;
}


export function progressCell(step: LiveStep | undefined): Html {
  const percent = percentOf(step);
  const text = step?.state === "running" ? (step.progress?.message ?? `${percent.toFixed(0)}%`) : "";
  return html`<div class="progress"><div class="progress-bar" style="width:${percent.toFixed(1)}%"></div></div><span class="progress-text">${text}</span>`;
}

export function stepsTable(ctx: PageContext, executions: ExecutionDetail[], live: LiveStep[]): Html {
  const byId = new Map(live.map((s) => [s.id, s]));
  const rows = executions.map(({ execution: e, outputs }) => {
    const log = stepLogName(e.runId, e.stepId);
    const logHref = ctx.mode === "live" && workspaceEntry(ctx.root, log) ? ctx.fileUrl(log) : undefined;
    const cachedFrom = e.cachedFrom?.split("/")[0];
    return html`<tr id="step-${e.stepId}" data-step="${e.stepId}" data-state="${e.state}">
<th>${e.stepId}</th><td>${e.kind}</td>
<td class="state-cell">${stateBadge(e.state)}${cachedFrom ? html` <span class="muted">from ${pageLink(ctx, runPath(cachedFrom), cachedFrom)}</span>` : ""}</td>
<td class="num attempt">${e.attempt}</td><td>${fmtTimestamp(e.startedAt)}</td><td class="num">${fmtDuration(ms(e.startedAt, e.finishedAt))}</td>
<td class="progress-cell">${progressCell(byId.get(e.stepId))}</td>
<td>${Object.entries(outputs).map(([name, a]) => html`${pageLink(ctx, lineagePath(a.id), name, "artifact")} `)}</td>
<td>${logHref ? html`<a href="${logHref}">log</a>` : ""}</td>
<td class="error">${e.error ? html`<details><summary>${e.error.slice(0, ERROR_SUMMARY)}</summary><pre>${e.error.slice(0, ERROR_MAX)}</pre></details>` : ""}</td>
</tr>`;
  });
  return html`<table class="steps" id="steps-table"><thead><tr><th>step</th><th>kind</th><th>state</th><th>attempt</th><th>started (UTC)</th><th>time</th><th>progress</th><th>outputs</th><th></th><th>error</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}
