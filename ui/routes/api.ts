// JSON for the live run page: the run's moving parts (polled) and its curves (fetched again when the
// number of metric points changed).
import type { Hono } from "hono";
import { liveRun, metricSeries, unknownRunIds, type RunDb } from "../../runs/index.ts";
import { stepCurves } from "../data/curve-data.ts";

export function apiRoutes(app: Hono, db: RunDb): void {
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
