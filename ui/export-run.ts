// The run page as one self-contained HTML file: the same components as the live page, with the
// stylesheet, uPlot, the chart scripts, the data and the images inlined, so it opens offline. The
// export's PageContext says so: no links to other pages, workspace images as data: URIs.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { workspaceEntry } from "../results/workspace-file.ts";
import type { RunDb } from "../runs/index.ts";
import { runView } from "./data/run-view.ts";
import type { PageContext } from "./page-context.ts";
import { runPage } from "./pages/run-page.ts";

const MIME_BY_EXTENSION: Record<string, string> = { png: "image/png" };

export function exportContext(root: string): PageContext {
  return {
    mode: "export",
    root,
    link: () => undefined,
    fileUrl: (uri) => {
      const file = workspaceEntry(root, uri);
      const mime = MIME_BY_EXTENSION[uri.split(".").pop() ?? ""];
      return file && mime ? `data:${mime};base64,${readFileSync(file).toString("base64")}` : undefined;
    },
  };
}

/** The HTML of the run's report; undefined for an unknown run. */
export function renderRunReport(db: RunDb, root: string, runId: string): string | undefined {
  const view = runView(db, root, runId);
  return view === undefined ? undefined : runPage(exportContext(root), view).text;
}

/** Writes <workspace>/reports/<run-id>.html and returns its path; undefined for an unknown run. */
export function writeRunReport(db: RunDb, root: string, runId: string): string | undefined {
  const html = renderRunReport(db, root, runId);
  if (html === undefined) return undefined;
  const dir = join(root, "reports");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${runId}.html`);
  writeFileSync(file, html);
  return file;
}
