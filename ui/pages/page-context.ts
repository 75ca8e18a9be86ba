// How a page reaches everything outside itself. Live (the server), links go to other pages, assets
// and workspace files are URLs the server answers. Exported (one offline HTML file), there are no
// other pages, assets are inlined and images become data: URIs; the components are the same.
import { readFileSync } from "node:fs";
import { workspaceEntry } from "../../results/workspace-file.ts";

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
