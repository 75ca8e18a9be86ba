// Records the histories the replay test replays (test/workflow/histories/): one run per way a run
// can end. It records the scenarios that have no history yet; `--all` records every one again,
// after a deliberate, compatible change to the workflow:
//   npm run record:histories [-- --all]
// A change that makes the recorded histories fail to replay would break runs in flight when
// workers are upgraded: version it (workflow patching) instead of re-recording.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { historyToJSON } from "@temporalio/common/lib/proto-utils.js";
import { planOf, startEnv } from "./env.ts";
import { HISTORY_SCENARIOS } from "./histories.ts";
import { runScenario } from "./scenario.ts";

const dir = join(import.meta.dirname, "histories");
// stack traces in failures name files by absolute path: keep them relative to the project, so the
// recorded files say nothing of the machine they were recorded on (replay ignores stack traces)
const root = `${join(import.meta.dirname, "..", "..")}/`;
mkdirSync(dir, { recursive: true });
const env = await startEnv();
try {
  const all = process.argv.includes("--all");
  for (const sc of HISTORY_SCENARIOS) {
    if (!all && existsSync(join(dir, `${sc.name}.json`))) continue;
    const s = await runScenario(env, planOf(sc.yaml), sc.name, sc.scripts, sc.during, sc.more);
    writeFileSync(join(dir, `${sc.name}.json`), `${historyToJSON(s.history).split(root).join("")}\n`);
    process.stdout.write(`recorded ${sc.name}: ${s.outcome.status?.status ?? (s.outcome.error as Error).message}\n`);
  }
} finally {
  await env.teardown();
}
