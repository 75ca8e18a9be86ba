// Every URL the server answers. The HTML pages (runs, a run, compare, lineage) each read the
// database afresh per request (one read transaction per query), so a reload shows what the workers
// wrote since. The live run page polls JSON: the run's moving parts, and its curves (fetched again
// when the number of metric points changed). Static answers: the allow-listed assets (ours and
// uPlot's), and workspace files (generated images, step logs) through results/workspace-file.ts,
// which admits only regular files inside the workspace's artifacts/ and logs/ after resolving
// symlinks. Anything else is a plain 404, whatever the reason.
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { Hono } from "hono";
import { compareResults } from "../results/compare-results.ts";
import { workspaceEntry } from "../results/workspace-file.ts";
import { lineage, listRunTable, liveRun, metricSeries, pipelineNames, RUN_STATUSES, RUN_TABLE_LIMIT, unknownRunIds, type RunDb, type RunTableFilter } from "../runs/index.ts";
import { ASSETS, assetText, isAssetName } from "./assets.ts";
import { stepCurves } from "./data/curve-data.ts";
import { runView } from "./data/run-view.ts";
import type { Html } from "./html.ts";
import { liveContext } from "./page-context.ts";
import { compareCurveData, comparePage, comparePicker } from "./pages/compare-page.ts";
import { messagePage } from "./pages/layout.ts";
import { lineagePage } from "./pages/lineage-page.ts";
import { runPage } from "./pages/run-page.ts";
import { runsPage } from "./pages/runs-page.ts";

/** Every route on `app`, over one run database and its workspace. */
export function uiRoutes(app: Hono, db: RunDb, root: string, fetchRuns: (runIds: string[]) => Promise<void>): void {
  apiRoutes(app, db);
  fileRoutes(app, root);
  pageRoutes(app, db, root, fetchRuns);
}

const isStatus = (s: string | undefined): s is NonNullable<RunTableFilter["status"]> => (RUN_STATUSES as readonly string[]).includes(s ?? "");

function pageRoutes(app: Hono, db: RunDb, root: string, fetchRuns: (runIds: string[]) => Promise<void>): void {
  const ctx = liveContext(root);
  const send = (body: Html, status: 200 | 400 | 404 = 200) =>
    new Response(body.text, { status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
  const notFound = (what: string) => send(messagePage(ctx, "Not found", what), 404);

  app.get("/", (c) => {
    const filter: RunTableFilter = { limit: RUN_TABLE_LIMIT };
    const pipeline = c.req.query("pipeline");
    const status = c.req.query("status");
    if (pipeline) filter.pipeline = pipeline;
    if (isStatus(status)) filter.status = status;
    return send(runsPage(ctx, listRunTable(db, filter), pipelineNames(db), filter, RUN_TABLE_LIMIT));
  });

  app.get("/runs/:id", async (c) => {
    const id = c.req.param("id");
    await fetchRuns([id]);
    const view = runView(db, root, id);
    return view ? send(runPage(ctx, view)) : notFound(`There is no run '${id}' in this workspace.`);
  });

  app.get("/compare", async (c) => {
    const ids = [...new Set(c.req.queries("run") ?? [])].filter(Boolean);
    if (ids.length === 0) return send(comparePicker(ctx, listRunTable(db, { limit: RUN_TABLE_LIMIT })));
    const unknown = unknownRunIds(db, ids);
    if (unknown.length) return notFound(`Unknown run${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}.`);
    const all = c.req.query("all") === "1";
    await fetchRuns(ids);
    const cmp = compareResults(db, root, ids, { all });
    if (!cmp) return notFound(`Unknown runs: ${ids.join(", ")}.`);
    return send(comparePage(ctx, cmp, all, compareCurveData(ids, ids.map((id) => metricSeries(db, id)), cmp.steps.map((s) => s.stepId))));
  });

  // the navigation's search box: /lineage?target=x -> /lineage/x
  app.get("/lineage", (c) => {
    const target = c.req.query("target")?.trim();
    return target ? c.redirect(`/lineage/${encodeURIComponent(target)}`, 302) : send(messagePage(ctx, "Lineage", "Give a run id, an artifact id or a sha256 prefix (8+ hex digits)."), 400);
  });

  app.get("/lineage/:target", (c) => {
    const target = c.req.param("target");
    const l = lineage(db, target);
    return l ? send(lineagePage(ctx, l)) : notFound(`'${target}' is neither a run id, an artifact id nor a known sha256 prefix (8+ hex digits).`);
  });

  app.notFound(() => notFound("This page does not exist."));
}

function apiRoutes(app: Hono, db: RunDb): void {
  const noStore = { "Cache-Control": "no-store" };
  app.get("/api/runs/:id/live", (c) => {
    const live = liveRun(db, c.req.param("id"));
    return live ? c.json(live, 200, noStore) : c.json({ error: `no run '${c.req.param("id")}'` }, 404);
  });
  app.get("/api/runs/:id/curves", (c) => {
    const id = c.req.param("id");
    if (unknownRunIds(db, [id]).length) return c.json({ error: `no run '${id}'` }, 404);
    return c.json(stepCurves(metricSeries(db, id)), 200, noStore);
  });
}

/** Types served as themselves; everything else is a download (never rendered as a page). */
const INLINE_TYPES: Record<string, string> = {
  png: "image/png",
  json: "application/json; charset=utf-8",
  jsonl: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  txt: "text/plain; charset=utf-8",
};

const FILES_PREFIX = "/files/";

function fileRoutes(app: Hono, root: string): void {
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
