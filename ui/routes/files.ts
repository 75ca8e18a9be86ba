// Static answers: the allow-listed assets (ours and uPlot's), and workspace files (generated images,
// step logs) through results/workspace-file.ts, which admits only regular files inside the workspace's
// artifacts/ and logs/ after resolving symlinks. Anything else is a plain 404, whatever the reason.
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { Hono } from "hono";
import { workspaceEntry } from "../../results/workspace-file.ts";
import { ASSETS, assetText, isAssetName } from "../assets.ts";

/** Types served as themselves; everything else is a download (never rendered as a page). */
const INLINE_TYPES: Record<string, string> = {
  png: "image/png",
  json: "application/json; charset=utf-8",
  jsonl: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  txt: "text/plain; charset=utf-8",
};

const FILES_PREFIX = "/files/";

export function fileRoutes(app: Hono, root: string): void {
  app.get("/assets/:name", (c) => {
    const name = c.req.param("name");
    if (!isAssetName(name)) return c.text("not found\n", 404);
    return c.body(assetText(name), 200, { "Content-Type": ASSETS[name].type, "Cache-Control": "no-cache" });
  });

  app.get(`${FILES_PREFIX}*`, (c) => {
    // The raw path, decoded segment by segment: a %2F inside a segment stays inside it and is judged
    // (and refused) by workspaceEntry like any other escape attempt.
    const rawPath = new URL(c.req.url).pathname.slice(FILES_PREFIX.length);
    let rel: string;
    try {
      rel = rawPath.split("/").map(decodeURIComponent).join("/");
    } catch {
      return c.text("not found\n", 404);
    }
    const file = workspaceEntry(root, rel);
    if (file === undefined) return c.text("not found\n", 404);
    const ext = rel.split(".").pop()?.toLowerCase() ?? "";
    const type = INLINE_TYPES[ext];
    const headers: Record<string, string> = { "Content-Type": type ?? "application/octet-stream", "Cache-Control": "no-cache" };
    if (type === undefined) headers["Content-Disposition"] = "attachment";
    const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
    return new Response(body, { status: 200, headers });
  });
}
