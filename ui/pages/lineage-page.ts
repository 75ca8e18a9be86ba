// Lineage: for a run, what every step read and wrote; for an artifact, the step that produced it (from
// which inputs) and every step that read it or reused it from the cache. Every artifact and step links on.
import { fmtTimestamp } from "../../results/format.ts";
import type { ExecutionRow, Lineage, StoredArtifact } from "../../runs/index.ts";
import { stateBadge } from "../components/steps.ts";
import { html, type Html } from "../html.ts";
import { lineagePath, pageLink, runPath, type PageContext } from "../page-context.ts";
import { page } from "./layout.ts";

const SHA_SHOWN = 12;

function artifactLink(ctx: PageContext, a: StoredArtifact): Html {
  return html`${pageLink(ctx, lineagePath(a.id), html`#${a.id}`, "artifact")} <span class="muted">${a.kind}</span> <code title="${a.sha256}">${a.sha256.slice(0, SHA_SHOWN)}</code>`;
}

function executionLink(ctx: PageContext, e: ExecutionRow): Html {
  return html`${pageLink(ctx, `${runPath(e.runId)}#step-${encodeURIComponent(e.stepId)}`, html`${e.runId} / ${e.stepId}`, "execution")} <span class="muted">${e.kind}</span> ${stateBadge(e.state)}`;
}

function named(ctx: PageContext, artifacts: { [name: string]: StoredArtifact }, arrow: string): Html {
  const entries = Object.entries(artifacts);
  if (entries.length === 0) return html`<span class="muted">none</span>`;
  return html`<ul class="artifacts">${entries.map(([name, a]) => html`<li>${arrow} <b>${name}</b> ${artifactLink(ctx, a)}</li>`)}</ul>`;
}

function body(ctx: PageContext, l: Lineage): Html {
  if (l.kind === "ambiguous") {
    return html`<h1>Lineage of <code>${l.target}</code></h1><p>That prefix matches ${l.candidates.length} artifacts; pick one:</p>
<ul id="candidates">${l.candidates.map((c) => html`<li>${artifactLink(ctx, c)} <code>${c.uri}</code></li>`)}</ul>`;
  }
  if (l.kind === "run") {
    return html`<h1>Lineage of run ${pageLink(ctx, runPath(l.run.id), l.run.id)} ${stateBadge(l.run.status)}</h1><p class="muted">${l.pipeline}: what each step read (←) and wrote (→).</p>
<table id="lineage-table"><thead><tr><th>step</th><th>read</th><th>wrote</th></tr></thead><tbody>
${l.executions.map(
  (e) => html`<tr data-step="${e.execution.stepId}"><th>${pageLink(ctx, `${runPath(l.run.id)}#step-${encodeURIComponent(e.execution.stepId)}`, e.execution.stepId)}<br><span class="muted">${e.execution.kind}</span> ${stateBadge(e.execution.state)}</th>
<td>${named(ctx, e.inputs, "←")}</td><td>${named(ctx, e.outputs, "→")}</td></tr>\n`,
)}</tbody></table>`;
  }
  const a = l.artifact;
  return html`<h1>Artifact #${a.id} <span class="muted">${a.kind}</span></h1>
<table id="artifact-facts"><tbody>
<tr><th>sha256</th><td><code>${a.sha256}</code></td></tr><tr><th>uri</th><td><code>${a.uri}</code></td></tr>
<tr><th>size</th><td class="num">${a.size.toLocaleString("en")} bytes</td></tr><tr><th>recorded</th><td>${fmtTimestamp(a.createdAt)} UTC</td></tr>
${a.meta ? html`<tr><th>meta</th><td><code>${JSON.stringify(a.meta)}</code></td></tr>` : ""}
</tbody></table>
<section id="produced-by"><h2>Produced by</h2>${
    l.producedBy
      ? html`<p>${executionLink(ctx, l.producedBy.execution)}</p><h3>from</h3>${named(ctx, l.producedBy.inputs, "←")}`
      : html`<p class="muted">Outside any run (an imported input).</p>`
  }</section>
<section id="used-by"><h2>Used by</h2>${
    l.usedBy.length ? html`<ul>${l.usedBy.map((u) => html`<li>${executionLink(ctx, u.execution)} as <b>${u.name}</b></li>`)}</ul>` : html`<p class="muted">No step has read it.</p>`
  }</section>
${l.reusedBy.length ? html`<section id="reused-by"><h2>Reused from the cache by</h2><ul>${l.reusedBy.map((u) => html`<li>${executionLink(ctx, u.execution)} as <b>${u.name}</b></li>`)}</ul></section>` : ""}`;
}

export function lineagePage(ctx: PageContext, l: Lineage): Html {
  const title = l.kind === "run" ? `lineage of ${l.run.id}` : l.kind === "artifact" ? `artifact #${l.artifact.id}` : `lineage of ${l.target}`;
  return page(ctx, { title: `${title} · mmada`, section: "lineage", body: body(ctx, l) });
}
