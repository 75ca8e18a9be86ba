// A search's records: each rung's decision (written twice by a retried activity, kept once), and the
// values a cached branch brings to a search: those its search decided on, else its curve's last
// point at or before each rung (NaN as null).
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { RungDecision } from "../../contract/run.ts";
import { executionIdOf, recordExecutionStart, recordMetrics, recordRung, recordRunStart, rungValuesOf, searchDecisions } from "../../runs/index.ts";
import { makePlan, specTextOf, stepReport, tempDb, type TempDb } from "./fixtures.ts";

const plan = makePlan();
const EXEC = executionIdOf("r1", "data");
const decision = (rung: number, value: number, d: RungDecision["decision"] = "promoted"): RungDecision => ({ branch: "data", rung, value, rank: 1, of: 2, decision: d, reason: "why" });

describe("search records", () => {
  let t: TempDb;
  beforeEach(() => {
    t = tempDb();
    recordRunStart(t.db, { runId: "r1", workflowId: "wf", plan, specText: specTextOf(plan) });
    recordExecutionStart(t.db, { executionId: EXEC, attempt: 1, worker: "w", cacheKey: "k", cacheComponents: {}, inputs: {} });
  });
  afterEach(() => t.cleanup());

  it("a rung's decision is recorded once, with the part's metrics and checkpoints, however often the activity retries", () => {
    const input = { runId: "r1", executionId: EXEC, metric: "val_loss", decision: decision(10, 2.5), metrics: [{ key: "val_loss", value: 2.5, step: 10 }], report: stepReport({}) };
    recordRung(t.db, input);
    recordRung(t.db, input);
    assert.deepEqual(searchDecisions(t.db, "r1").map((d) => [d.branch, d.rung, d.value, d.decision]), [["data", 10, 2.5, "promoted"]]);
    assert.deepEqual(rungValuesOf(t.db, EXEC, "val_loss", [10]), [{ rung: 10, value: 2.5 }]);
  });

  it("a branch without decisions brings its curve's last point at or before each rung; NaN as null; none before the first point", () => {
    recordMetrics(t.db, EXEC, [
      { key: "val_loss", value: 3, step: 50 },
      { key: "val_loss", value: 2, step: 100 },
      { key: "val_loss", value: NaN, step: 150 },
      { key: "loss", value: 9, step: 100 },
    ]);
    assert.deepEqual(rungValuesOf(t.db, EXEC, "val_loss", [20, 100, 120, 200]), [
      { rung: 100, value: 2 },
      { rung: 120, value: 2 },
      { rung: 200, value: null },
    ]);
    recordRung(t.db, { runId: "r1", executionId: EXEC, metric: "val_loss", decision: decision(100, 1.5), metrics: [], report: stepReport({}) });
    assert.deepEqual(rungValuesOf(t.db, EXEC, "val_loss", [100]), [{ rung: 100, value: 1.5 }], "a decided value comes first");
  });
});
