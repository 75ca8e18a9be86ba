// The HTML report of a run: steps, loss curves (SVG), the benchmark table per evaluated stage,
// sample grids of generated digits (PNG, inlined) and sample text outputs. Self-contained: one
// file that opens in any browser, nothing fetched.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getRun, metricSeries, type ExecutionDetail, type RunDb } from "../runs/index.ts";
import { lineChart } from "./svg-chart.ts";

const esc = (s: unknown) => String(s ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));

function table(header: string[], rows: unknown[][]): string {
  const th = header.map((h) => `<th>${esc(h)}</th>`).join("");
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

/** Benchmark table: one column per `evaluate` step (a stage), one row per metric. */
export function benchmarkRows(evals: ExecutionDetail[]): { header: string[]; rows: (string | number)[][] } {
  const keys = [...new Set(evals.flatMap((e) => e.metrics.map((m) => m.key)))].sort();
  return {
    header: ["benchmark", ...evals.map((e) => e.execution.stepId)],
    rows: keys.map((k) => [k, ...evals.map((e) => {
      const m = e.metrics.find((x) => x.key === k);
      return m ? fmt(m.value) : "-";
    })]),
  };
}

function samplesSection(root: string, e: ExecutionDetail): string {
  const parts: string[] = [];
  const samples = e.outputs["samples"];
  if (samples) {
    const dir = join(root, samples.uri);
    const pngs = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".png")).sort() : [];
    for (const f of pngs) {
      const b64 = readFileSync(join(dir, f)).toString("base64");
      parts.push(`<figure><img src="data:image/png;base64,${b64}" alt="${esc(f)}"><figcaption>${esc(f)}</figcaption></figure>`);
    }
  }
  const report = e.outputs["report"];
  if (report && existsSync(join(root, report.uri))) {
    try {
      const data = JSON.parse(readFileSync(join(root, report.uri), "utf8")) as { samples?: unknown };
      if (data.samples) parts.push(`<pre>${esc(JSON.stringify(data.samples, null, 2)).slice(0, 6000)}</pre>`);
    } catch {
      parts.push(`<p>(report ${esc(report.uri)} is not readable JSON)</p>`);
    }
  }
  return parts.length ? `<h3>${esc(e.execution.stepId)}</h3>\n${parts.join("\n")}` : "";
}

export function renderRunReport(db: RunDb, root: string, runId: string): string | undefined {
  const detail = getRun(db, runId);
  if (!detail) return undefined;
  const { run, pipeline, executions } = detail;
  const series = metricSeries(db, runId);
  const charts = [...new Set(series.map((s) => s.stepId))].map((stepId) =>
    lineChart(
      `${stepId}`,
      series.filter((s) => s.stepId === stepId && s.points.length > 1).map((s) => ({ name: s.key, points: s.points.map((p) => ({ x: p.step, y: p.value })) })),
      { xLabel: "step" },
    ),
  );
  const evals = executions.filter((e) => e.execution.kind === "evaluate" && e.metrics.length);
  const bench = benchmarkRows(evals);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(run.id)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:24px auto;color:#222}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}figure{display:inline-block;margin:6px}
img{image-rendering:pixelated;width:280px}pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}</style></head><body>
<h1>${esc(pipeline.name)}: run ${esc(run.id)}</h1>
<p>status <b>${esc(run.status)}</b>, started ${esc(run.startedAt)}${run.finishedAt ? `, finished ${esc(run.finishedAt)}` : ""}${run.resumedFrom ? `, resumed from ${esc(run.resumedFrom)}` : ""}${run.gitCommit ? `, commit ${esc(run.gitCommit.slice(0, 10))}` : ""}</p>
${run.error ? `<p style="color:#b00">${esc(run.error)}</p>` : ""}
<h2>Benchmarks per stage</h2>
${evals.length ? table(bench.header, bench.rows) : "<p>(no evaluate steps in this run)</p>"}
<h2>Steps</h2>
${table(["step", "kind", "state", "attempt", "error"], executions.map((e) => [e.execution.stepId, e.execution.kind, e.execution.state, e.execution.attempt, e.execution.error ?? ""]))}
<h2>Training curves</h2>
${charts.filter(Boolean).join("\n") || "<p>(no per-step metrics)</p>"}
<h2>Samples</h2>
${evals.map((e) => samplesSection(root, e)).join("\n") || "<p>(none)</p>"}
<h2>Params</h2>
${table(["param", "value"], detail.params.map((p) => [p.key, p.value]))}
</body></html>
`;
}

/** Writes <workspace>/reports/<run-id>.html and returns its path. */
export function writeRunReport(db: RunDb, root: string, runId: string): string | undefined {
  const html = renderRunReport(db, root, runId);
  if (html === undefined) return undefined;
  const dir = join(root, "reports");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${runId}.html`);
  writeFileSync(file, html);
  return file;
}
