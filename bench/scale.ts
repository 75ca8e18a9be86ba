// `npm run bench:scale`: what a step costs the workflow as plans grow. Plans of 100, 1,000, 5,000
// and 20,000 no-op command steps (`true`, cache off; chains of 20, concurrency 8) run one after the
// other in one fresh workspace; for each: the wall time of `mmada run`, the workflow time per step
// (the run's recorded start -> finish divided by its steps), how many workflows it took (the run's
// own, plus one per chunk past CHUNK_STEPS) and the largest history among them (events). The
// acceptance: the 20,000-step plan's time per step at most 1.5x the 1,000-step plan's, and no
// history above 20,000 events.
// Options: --sizes 100,1000,5000,20000, --no-write (leave BENCHMARKS.md alone).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Client, Connection } from "@temporalio/client";
import { workflowIdOf } from "../contract/ids.ts";
import { dataConverter } from "../engine/temporal/payload-codec.ts";
import { writeSection } from "./kit.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
const SIZES = (args.includes("--sizes") ? args[args.indexOf("--sizes") + 1]! : "100,1000,5000,20000").split(",").map(Number);
const WRITE = !args.includes("--no-write");
const CHAIN = 20;
const CONCURRENCY = 8;
const MAX_EVENTS = 20_000;

const dir = mkdtempSync(join(tmpdir(), "mmada-scale-"));
const home = join(dir, "ws");
const env: NodeJS.ProcessEnv = { ...process.env, MMADA_HOME: home };
delete env.TEMPORAL_ADDRESS;

function cli(cliArgs: string[]): { code: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["bin/mmada.js", ...cliArgs], { cwd: ROOT, env, encoding: "utf8", maxBuffer: 1 << 30 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

/** `steps` no-op steps in chains of CHAIN. */
function specOf(steps: number): string {
  const lines = [`name: scale-${steps}`, `concurrency: ${CONCURRENCY}`, "defaults:", "  cache: false", "steps:"];
  for (let c = 0; c < steps / CHAIN; c++) {
    for (let k = 0; k < CHAIN; k++) {
      lines.push(`  c${c}-${k}: { uses: command, with: { run: "true" }${k === 0 ? "" : `, needs: [c${c}-${k - 1}]`} }`);
    }
  }
  return `${lines.join("\n")}\n`;
}

interface Row {
  steps: number;
  wallS: number;
  msPerStep: number;
  workflows: number;
  maxEvents: number;
  status: string;
}

const rows: Row[] = [];
let client: Client | undefined;
try {
  for (const steps of SIZES) {
    const file = join(dir, `scale-${steps}.yaml`);
    writeFileSync(file, specOf(steps));
    const runId = `scale-${steps}`;
    const r = cli(["run", file, "--name", runId, "--json"]);
    const db = new Database(join(home, "runs.db"), { readonly: true });
    const run = db.prepare("SELECT status, started_at AS s, finished_at AS f FROM runs WHERE id = ?").get(runId) as { status: string; s: string; f: string | null };
    db.close();
    if (r.code !== 0 || run.status !== "succeeded") throw new Error(`run of ${steps} steps ended ${run?.status} (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    client ??= new Client({ connection: await Connection.connect({ address: serverAddress() }), dataConverter });
    const ids = [workflowIdOf(runId)];
    for (let i = 0; ; i++) {
      const id = `${workflowIdOf(runId)}/chunk-${i}`;
      if (!(await client.workflow.getHandle(id).describe().then(() => true, () => false))) break;
      ids.push(id);
    }
    let maxEvents = 0;
    for (const id of ids) maxEvents = Math.max(maxEvents, (await client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0);
    const ms = Date.parse(run.f!) - Date.parse(run.s);
    rows.push({ steps, wallS: r.ms / 1000, msPerStep: ms / steps, workflows: ids.length, maxEvents, status: run.status });
    process.stderr.write(`${steps} steps: ${(ms / steps).toFixed(1)} ms/step, ${ids.length} workflow(s), largest history ${maxEvents} events, wall ${(r.ms / 1000).toFixed(0)} s\n`);
  }
} finally {
  cli(["server", "stop"]);
  rmSync(dir, { recursive: true, force: true });
}

function serverAddress(): string {
  const s = cli(["server", "status"]).stdout;
  const m = /running at (\S+)/.exec(s);
  if (!m) throw new Error(`no dev server address in: ${s}`);
  return m[1]!;
}

const base = rows.find((r) => r.steps === 1000);
const largest = rows.at(-1)!;
const ratio = base ? largest.msPerStep / base.msPerStep : NaN;
const worst = Math.max(...rows.map((r) => r.maxEvents));
const table = [
  "| steps | workflows (run + chunks) | largest history (events) | workflow time per step | vs 1,000 steps | wall time of `mmada run` |",
  "|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.steps.toLocaleString("en")} | ${r.workflows} | ${r.maxEvents.toLocaleString("en")} | ${r.msPerStep.toFixed(1)} ms | ${base ? `${(r.msPerStep / base.msPerStep).toFixed(2)}x` : "-"} | ${r.wallS.toFixed(0)} s |`),
].join("\n");
const verdict =
  `${largest.steps.toLocaleString("en")} steps cost ${ratio.toFixed(2)}x the 1,000-step plan per step (target <= 1.5x): ${ratio <= 1.5 ? "met" : "NOT met"}; ` +
  `largest history ${worst.toLocaleString("en")} events (target <= ${MAX_EVENTS.toLocaleString("en")}): ${worst <= MAX_EVENTS ? "met" : "NOT met"}.`;
const intro =
  "`npm run bench:scale` (bench/scale.ts): plans of no-op command steps (`true`, cache off) in chains of 20, concurrency 8, " +
  "run one after the other in one fresh workspace (embedded dev server, the workspace's two step workers). A plan past 1,000 " +
  "steps runs as chunks of 1,000 (child workflows of the run's, one after another); workflow time = the run's recorded " +
  `start -> finish. On ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}, ${new Date().toISOString().slice(0, 10)}.`;
console.log(`${table}\n\n${verdict}`);
if (WRITE) writeSection("Plans of thousands of steps", `${intro}\n\n${table}\n\n${verdict}`);
process.exit(0);
