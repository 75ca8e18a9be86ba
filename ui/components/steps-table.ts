// The steps of a run: state, attempt, timing, live progress, outputs (each a link to its lineage),
// the step's log and its error. Rows carry `data-step` so the live page can update them in place.
import { fmtDuration, fmtTimestamp } from "../../results/format.ts";
import { workspaceEntry } from "../../results/workspace-file.ts";
import type { ExecutionDetail, LiveStep } from "../../runs/index.ts";
import { html, type Html } from "../html.ts";
import type { PageContext } from "../pages/page-context.ts";
import { stateBadge } from "./badges.ts";
import { lineagePath, pageLink, runPath } from "./links.ts";
import { percentOf } from "./dag.ts";

const ms = (a: string | null, b: string | null) => (a && b ? Date.parse(b) - Date.parse(a) : undefined);
/** Longer errors are cut (the step log has all of it). */
const ERROR_MAX = 4000;
const ERROR_SUMMARY = 80;

/** Where a step's log lives in the workspace (engine: logs/<run>/<step>.log). */
export const stepLogUri = (runId: string, stepId: string) => `logs/${runId}/${stepId}.log`;

export function progressCell(step: LiveStep | undefined): Html {
  const percent = percentOf(step);
  const text = step?.state === "running" ? (step.progress?.message ?? `${percent.toFixed(0)}%`) : "";
  return html`<div class="progress"><div class="progress-bar" style="width:${percent.toFixed(1)}%"></div></div><span class="progress-text">${text}</span>`;
}

export function stepsTable(ctx: PageContext, executions: ExecutionDetail[], live: LiveStep[]): Html {
  const byId = new Map(live.map((s) => [s.id, s]));
  const rows = executions.map(({ execution: e, outputs }) => {
    const log = stepLogUri(e.runId, e.stepId);
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
