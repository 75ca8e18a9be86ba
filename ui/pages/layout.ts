// The page shell: head, navigation, styles and scripts. Live pages load assets by URL from the
// server's allow-list; an exported page carries them inline, so it opens offline from a file. And the
// page with nothing but the shell and a message (not found, bad request).
import { assetText, type AssetName } from "../assets.ts";
import { html, jsonForScript, raw, type Child, type Html } from "../html.ts";
import type { PageContext } from "../page-context.ts";

export interface PageSpec {
  title: string;
  /** Which navigation entry is current. */
  section?: "runs" | "compare" | "lineage";
  body: Child;
  /** Client scripts after uPlot, in order (charts.js first when a page draws charts). */
  scripts?: AssetName[];
  /** Handed to the client scripts as JSON in <script id="page-data">. */
  data?: unknown;
}

function styles(ctx: PageContext, charts: boolean): Html {
  const sheets: AssetName[] = charts ? ["uplot.css", "ui.css"] : ["ui.css"];
  if (ctx.mode === "export") return html`${sheets.map((s) => html`<style>${raw(assetText(s))}</style>`)}`;
  return html`${sheets.map((s) => html`<link rel="stylesheet" href="/assets/${s}">`)}`;
}

function scripts(ctx: PageContext, names: AssetName[]): Html {
  // "</script" cannot occur inside an inlined script without ending it; our files and uPlot's never contain it.
  if (ctx.mode === "export") return html`${names.map((s) => html`<script>${raw(assetText(s).replace(/<\/script/gi, "<\\/script"))}</script>`)}`;
  return html`${names.map((s) => html`<script src="/assets/${s}"></script>`)}`;
}

function nav(ctx: PageContext, section: PageSpec["section"]): Html {
  if (ctx.mode === "export") return html`<nav><span class="brand">mmada</span><span class="muted">exported run report</span></nav>`;
  const item = (name: NonNullable<PageSpec["section"]>, href: string, label: string) =>
    html`<a href="${href}" class="${section === name ? "current" : ""}">${label}</a>`;
  return html`<nav><a class="brand" href="/">mmada</a>${item("runs", "/", "runs")}${item("compare", "/compare", "compare")}
<form class="lineage-search" method="get" action="/lineage"><input name="target" placeholder="lineage of a run, artifact id or sha256" aria-label="lineage of"></form></nav>`;
}

export function page(ctx: PageContext, spec: PageSpec): Html {
  const clientScripts = spec.scripts ?? [];
  const charts = clientScripts.includes("charts.js");
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${spec.title}</title>
<link rel="icon" href="data:,">
${styles(ctx, charts)}
</head><body data-mode="${ctx.mode}">
${nav(ctx, spec.section)}
<main>
${spec.body}
</main>
${spec.data === undefined ? "" : html`<script type="application/json" id="page-data">${jsonForScript(spec.data)}</script>`}
${scripts(ctx, charts ? ["uplot.js", ...clientScripts] : clientScripts)}
</body></html>
`;
}

/** A page that only says something: not found, bad request, or an error the server hit. */
export function messagePage(ctx: PageContext, title: string, message: string): Html {
  return page(ctx, { title: `${title} · mmada`, body: html`<h1>${title}</h1><p id="message">${message}</p><p><a href="/">all runs</a></p>` });
}
