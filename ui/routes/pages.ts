// The HTML pages: runs, a run, compare, lineage. Each reads the database afresh per request (one read
// transaction per query), so a reload shows what the workers wrote since.
import type { Hono } from "hono";
import { compareResults } from "../../results/compare-results.ts";
import { lineage, listRunTable, metricSeries, pipelineNames, RUN_STATUSES, RUN_TABLE_LIMIT, unknownRunIds, type RunDb, type RunTableFilter } from "../../runs/index.ts";
import { runView } from "../data/run-view.ts";
import type { Html } from "../html.ts";
import { compareCurveData, comparePage, comparePicker } from "../pages/compare-page.ts";
import { lineagePage } from "../pages/lineage-page.ts";
import { messagePage } from "../pages/message-page.ts";
import { liveContext } from "../pages/page-context.ts";
import { runPage } from "../pages/run-page.ts";
import { runsPage } from "../pages/runs-page.ts";

const isStatus = (s: string | undefined): s is NonNullable<RunTableFilter["status"]> => (RUN_STATUSES as readonly string[]).includes(s ?? "");

export function pageRoutes(app: Hono, db: RunDb, root: string): void {
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

  app.get("/runs/:id", (c) => {
    const id = c.req.param("id");
    const view = runView(db, root, id);
    return view ? send(runPage(ctx, view)) : notFound(`There is no run '${id}' in this workspace.`);
  });

  app.get("/compare", (c) => {
    const ids = [...new Set(c.req.queries("run") ?? [])].filter(Boolean);
    if (ids.length === 0) return send(comparePicker(ctx, listRunTable(db, { limit: RUN_TABLE_LIMIT })));
    const unknown = unknownRunIds(db, ids);
    if (unknown.length) return notFound(`Unknown run${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}.`);
    const all = c.req.query("all") === "1";
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
