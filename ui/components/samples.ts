// What an evaluate step generated: sample answers per benchmark as a table (question, expected,
// generated, correct), and the generated digits as a grid whose rows say which digit was prompted and
// whose cells say what the classifier saw.
import type { DigitGrid, TextSample } from "../../results/eval-outputs.ts";
import type { EvalOutputs } from "../data/run-view.ts";
import { html, raw, type Html } from "../html.ts";
import type { PageContext } from "../page-context.ts";

const SAFE_CSS_URL = /^[\w+/=:;,.%-]+$/;
/** On-screen size of one 28-pixel digit. */
const CELL_SCALE = 2;

const mark = (correct: boolean) =>
  correct ? html`<span class="ok" title="correct">✓</span>` : html`<span class="bad" title="wrong">✗</span>`;

function answersTable(stepId: string, samples: Record<string, TextSample[]>): Html {
  const rows = Object.entries(samples).flatMap(([bench, list]) =>
    list.map((s) => html`<tr class="${s.correct ? "correct" : "wrong"}" data-benchmark="${bench}"><td>${bench}</td><td><code>${s.question}</code></td><td><code>${s.expected}</code></td><td><code>${s.generated}</code></td><td>${mark(s.correct)}</td></tr>\n`),
  );
  if (rows.length === 0) return html`<p class="muted">No sample answers recorded.</p>`;
  return html`<table class="answers" data-eval="${stepId}"><thead><tr><th>benchmark</th><th>question</th><th>expected</th><th>generated</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * One column per prompted digit (a row of the PNG), one row per sample. Each cell shows its part of the
 * grid PNG (CSS background offsets), so the image is fetched or inlined once however many digits it holds.
 */
function digitGrid(ctx: PageContext, stepId: string, g: DigitGrid): Html {
  const url = ctx.fileUrl(g.uri);
  // It goes into CSS, where HTML escaping does not apply: only URL characters that need none.
  if (url === undefined || !SAFE_CSS_URL.test(url)) return html``;
  const cls = `grid-${stepId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const size = CELL_SCALE * g.side;
  const classes = Array.from({ length: g.rows }, (_, r) => g.cells.slice(r * g.cols, (r + 1) * g.cols));
  const cell = (r: number, c: number) => {
    const d = classes[r]?.[c];
    if (d === undefined) return html`<td></td>`;
    const x = (g.gap + c * (g.side + g.gap)) * CELL_SCALE;
    const y = (g.gap + r * (g.side + g.gap)) * CELL_SCALE;
    return html`<td class="${d.predicted === d.prompted ? "correct" : "wrong"}" data-prompted="${d.prompted}"><div class="digit" role="img" aria-label="generated for ${d.prompted}" style="background-position:-${x}px -${y}px"></div><div class="reading" data-predicted="${d.predicted ?? ""}" title="what the classifier reads">${d.predicted ?? "?"}</div></td>`;
  };
  return html`<style>.${cls} .digit{width:${size}px;height:${size}px;background-image:url("${raw(url)}");background-size:${g.width * CELL_SCALE}px ${g.height * CELL_SCALE}px}</style>
<table class="digits ${cls}" data-eval="${stepId}"><thead><tr><th>prompted</th>${classes.map((cells) => {
    const d = cells[0];
    return html`<th data-prompted="${d?.prompted ?? ""}">${d?.prompted ?? "?"}${d?.prompt ? html`<br><span class="muted">${d.prompt}</span>` : ""}</th>`;
  })}</tr></thead><tbody>
${Array.from({ length: g.cols }, (_, c) => html`<tr><th>sample ${c + 1}<br><span class="muted">read as</span></th>${classes.map((_, r) => cell(r, c))}</tr>\n`)}</tbody></table>
<p class="note">Each column was prompted with its digit; under each image, the digit the frozen classifier reads (green when it matches).</p>`;
}

export function samplesSection(ctx: PageContext, evals: EvalOutputs[]): Html {
  if (evals.length === 0) return html`<p class="muted">No evaluate step has run yet.</p>`;
  return html`${evals.map(
    (e) => html`<section class="eval-samples" id="samples-${e.stepId}"><h3>${e.stepId}</h3>
${e.grid ? html`<h4>Generated digits</h4>${digitGrid(ctx, e.stepId, e.grid)}` : ""}
<h4>Sample answers</h4>${e.report ? answersTable(e.stepId, e.report.samples) : html`<p class="muted">No report.</p>`}</section>`,
  )}`;
}
