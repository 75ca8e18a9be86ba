// Child process of concurrent.test.ts: waits for "go" on stdin, then opens the shared database file
// (racing the other writer through the migrations) and makes WRITES writes into its own run.
// Usage: tsx test/runs/concurrent-writer.ts <db file> <run id> <writes>
import { createInterface } from "node:readline";
import { closeRunDb, executionIdOf, openRunDb, recordMetrics, recordRunEnd, recordRunStart, recordStepReport } from "../../runs/index.ts";
import { makePlan, ref, specTextOf, stepReport } from "./fixtures.ts";

/** Write i is of kind WRITE_KINDS[i % 4]; concurrent.test.ts expects the row counts this rotation gives. */
const WRITE_KINDS = ["checkpoint", "metric", "heartbeat", "metric-retry"] as const;

function main(): void {
  const [file, runId, writesArg] = process.argv.slice(2);
  if (file === undefined || runId === undefined || writesArg === undefined) {
    throw new Error("usage: concurrent-writer.ts <db file> <run id> <writes>");
  }
  const writes = Number(writesArg);
  const db = openRunDb(file);
  const plan = makePlan();
  recordRunStart(db, { runId, workflowId: runId, plan, specText: specTextOf(plan) });
  const exec = executionIdOf(runId, "data");
  for (let i = 0; i < writes; i++) {
    const kind = WRITE_KINDS[i % WRITE_KINDS.length];
    // Both writers use the same checkpoint uris: the artifact rows are shared, the events are not.
    if (kind === "checkpoint") recordStepReport(db, exec, stepReport({ checkpoints: [{ step: i, artifact: ref(`ckpt-${i}`, "checkpoint") }] }));
    else if (kind === "metric") recordMetrics(db, exec, [{ key: "loss", value: 1 / (i + 1), step: i }]);
    else if (kind === "heartbeat") recordStepReport(db, exec, stepReport({ progress: { step: i } }));
    else recordMetrics(db, exec, [{ key: "loss", value: 1 / (i - 1), step: i - 2 }]); // a retried write
  }
  recordRunEnd(db, { runId, status: "succeeded" });
  closeRunDb(db);
}

// Start together: both processes load first, then the parent releases them with one stdin line each.
const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
lines.once("line", () => {
  lines.close();
  const started = performance.now();
  main();
  process.stdout.write(`done ${Math.round(performance.now() - started)}ms\n`);
});
