// Links between pages. In an export there are no other pages: a link degrades to its text.
import { html, type Child, type Html } from "../html.ts";
import type { PageContext } from "../pages/page-context.ts";

export const runPath = (runId: string) => `/runs/${encodeURIComponent(runId)}`;
export const lineagePath = (target: string | number) => `/lineage/${encodeURIComponent(String(target))}`;

export function pageLink(ctx: PageContext, path: string, label: Child, className = ""): Html {
  const href = ctx.link(path);
  return href === undefined ? html`<span class="${className}">${label}</span>` : html`<a href="${href}" class="${className}">${label}</a>`;
}
