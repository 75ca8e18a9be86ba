// The run's DAG as SVG: a box per step colored by its state, with a progress bar the live page moves
// (run-page.js updates `data-step` elements from /api/runs/<id>/live), and an edge per dependency.
import type { LiveStep } from "../../runs/index.ts";
import type { DagLayout } from "../data/dag-layout.ts";
import { NODE } from "../data/dag-layout.ts";
import { html, type Html } from "../html.ts";

const MAX_LABEL = 18;
const PERCENT = 100;

const shorten = (s: string) => (s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}…` : s);

/** Progress in [0, 100] of a step: its heartbeat's percent while running, full once done. */
export function percentOf(step: LiveStep | undefined): number {
  if (!step) return 0;
  if (step.state === "succeeded" || step.state === "cached") return PERCENT;
  return Math.max(0, Math.min(PERCENT, step.progress?.percent ?? 0));
}

export function dagSvg(layout: DagLayout, steps: LiveStep[]): Html {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const barWidth = NODE.width - 16;
  return html`<svg class="dag" id="dag" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" style="max-width:100%;height:auto" role="img" aria-label="steps of the run and their dependencies">
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
