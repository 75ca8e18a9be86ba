// How a page reaches everything outside itself: other pages (links), workspace files (images, logs).
// Live (the server), links go to other pages and workspace files are URLs the server answers.
// Exported (one offline HTML file, export-run.ts), there are no other pages, so a link degrades to
// its text, and images become data: URIs; the components are the same.
import { workspaceEntry } from "../results/workspace-file.ts";
import { html, type Child, type Html } from "./html.ts";

export interface PageContext {
  mode: "live" | "export";
  /** The workspace root (for reading evaluate outputs). */
  root: string;
  /** The href of another page of the UI; undefined in an export. */
  link(path: string): string | undefined;
  /** An <img>/CSS url for a workspace file (an artifact's PNG); undefined when it is not readable. */
  fileUrl(uri: string): string | undefined;
}

export function liveContext(root: string): PageContext {
  return {
    mode: "live",
    root,
    link: (path) => path,
    fileUrl: (uri) => (workspaceEntry(root, uri) ? `/files/${uri.split("/").map(encodeURIComponent).join("/")}` : undefined),
  };
}

export const runPath = (runId: string) => `/runs/${encodeURIComponent(runId)}`;
export const lineagePath = (target: string | number) => `/lineage/${encodeURIComponent(String(target))}`;

/** A link to another page of the UI; in an export, its label alone. */
export function pageLink(ctx: PageContext, path: string, label: Child, className = ""): Html {
  const href = ctx.link(path);
  return href === undefined ? html`<span class="${className}">${label}</span>` : html`<a href="${href}" class="${className}">${label}</a>`;
}
