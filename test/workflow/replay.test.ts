// Determinism: the current workflow code replays the recorded histories of earlier runs (success,
// failure, a cached step, cancellation) without a non-determinism error. Workers upgraded while
// runs are in flight depend on it. Re-record with `npm run record:histories` only after a change
// that is deliberately compatible (see record-histories.ts).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { historyFromJSON } from "@temporalio/common/lib/proto-utils.js";
import { Worker } from "@temporalio/worker";
import { dataConverter } from "../../engine/temporal/payload-codec.ts";
import { installRuntime, workflowBundle } from "../../engine/temporal/worker.ts";
import { HISTORY_SCENARIOS } from "./histories.ts";

const DIR = join(import.meta.dirname, "histories");

test("every recorded history replays on the current workflow code", async () => {
  installRuntime();
  const files = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();
  assert.deepEqual(files, HISTORY_SCENARIOS.map((s) => `${s.name}.json`).sort(), "one recorded history per scenario");
  const histories = files.map((f) => ({ workflowId: `wf-${f.replace(/\.json$/, "")}`, history: historyFromJSON(JSON.parse(readFileSync(join(DIR, f), "utf8"))) }));
  const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter }, histories);
  for await (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
});
