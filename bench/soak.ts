// `npm run bench:soak`: the engine under interruption. 20 runs of the diamond pipeline in one
// fresh workspace, each hit at a random moment by one of: nothing, Ctrl-C (SIGINT) of `mmada run`,
// Ctrl-C twice (the run is left going), SIGKILL of a random step worker of the workspace's pool.
// Afterwards it checks, and prints as a table for BENCHMARKS.md:
//  - every run ended (succeeded, failed or cancelled) in both Temporal and the run database, and the
//    two agree: none is left `running`;
//  - PRAGMA integrity_check of the run database is ok;
//  - no artifact is lost (every recorded one is in the store with its content hash) or duplicated;
//  - no file outside the workspace changed (the project checkout, minus its own install folders).
// Options: --runs N (default 20), --seed S (default 1), --no-write (leave BENCHMARKS.md alone).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Client, Connection } from "@temporalio/client";
import { workflowIdOf } from "../contract/ids.ts";
import { writeSection } from "./benchmarks-md.ts";
import { hashPath } from "../engine/store/artifacts.ts";
import { Rng } from "../model/rng.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
const arg = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const RUNS = arg("--runs", 20);
const WRITE = !args.includes("--no-write");
const rng = new Rng(arg("--seed", 1));
const home = mkdtempSync(join(tmpdir(), "mmada-soak-"));
const env: NodeJS.ProcessEnv = { ...process.env, MMADA_HOME: home };
delete env.TEMPORAL_ADDRESS;
/** The project's own install and build folders (not user files): node_modules, .tools, dist, .git. */
const INSTALL_DIRS = new Set(["node_modules", ".tools", "dist", ".git", ".venv", "test-artifacts"]);

type Action = "none" | "sigint" | "sigint-twice" | "kill-worker";
const ACTIONS: Action[] = ["none", "sigint", "sigint-twice", "kill-worker"];

function cli(cliArgs: string[]): Promise<{ code: number | null; pid: number; stderr: string }> & { pid: number } {
  const child = spawn(process.execPath, ["bin/mmada.js", ...cliArgs], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-600)));
  const done = new Promise<{ code: number | null; pid: number; stderr: string }>((r) => child.on("close", (code) => r({ code, pid: child.pid!, stderr })));
  return Object.assign(done, { pid: child.pid! });
}

/** size + sha256 of every file of the checkout outside the workspace and the install folders. */
function manifest(dir = ROOT, out = new Map<string, string>()): Map<string, string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (dir === ROOT && INSTALL_DIRS.has(e.name)) continue;
    if (e.isDirectory()) manifest(p, out);
    else if (e.isFile()) out.set(relative(ROOT, p), `${statSync(p).size}:${createHash("sha256").update(readFileSync(p)).digest("hex")}`);
  }
  return out;
}

function stepWorkerPids(): number[] {
  try {
    return (JSON.parse(readFileSync(join(home, "workers", "pool.json"), "utf8")) as { stepWorkerPids: number[] }).stepWorkerPids;
  } catch {
    return [];
  }
}

const before = manifest();
const started = Date.now();
const plan: { runId: string; action: Action; atMs: number; exit?: number | null; stderr?: string }[] = [];
await cli(["server", "start"]);
for (let i = 0; i < RUNS; i++) {
  const action = ACTIONS[rng.int(ACTIONS.length)]!;
  const atMs = Math.round(rng.uniform() * 3000);
  const runId = `soak-${i}`;
  const run = cli(["run", "pipelines/examples/diamond.yaml", "--name", runId, "--set", `n=${i + 1}`]);
  const signal = (pid: number | undefined, sig: NodeJS.Signals) => {
    try {
      if (pid) process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  const hit = setTimeout(() => {
    if (action === "sigint" || action === "sigint-twice") {
      signal(run.pid, "SIGINT");
      if (action === "sigint-twice") setTimeout(() => signal(run.pid, "SIGINT"), 300);
    } else if (action === "kill-worker") {
      const pids = stepWorkerPids();
      signal(pids[rng.int(Math.max(1, pids.length))], "SIGKILL");
    }
  }, atMs);
  const r = await run;
  clearTimeout(hit);
  plan.push({ runId, action, atMs, exit: r.code, stderr: r.stderr });
  process.stderr.write(`${runId}: ${action} at ${atMs} ms -> exit ${r.code}\n`);
}

// Runs left going (second Ctrl-C) or retried after a killed worker get time to end.
const server = JSON.parse(readFileSync(join(home, "temporal", "server.json"), "utf8")) as { port: number };
const connection = await Connection.connect({ address: `127.0.0.1:${server.port}` });
const client = new Client({ connection });
/** The workflow's status, or "(none)" for a run interrupted before it started. */
const temporalStatus = async (runId: string) =>
  client.workflow.getHandle(workflowIdOf(runId)).describe().then((d) => d.status.name as string, () => "(none)");
const deadline = Date.now() + 180_000;
for (const p of plan) while ((await temporalStatus(p.runId)) === "RUNNING" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
await cli(["runs", "--limit", "1000"]); // `runs` reconciles any run whose workflow closed unrecorded

const db = new Database(join(home, "runs.db"), { readonly: true });
const dbStatus = new Map((db.prepare("SELECT id, status FROM runs").all() as { id: string; status: string }[]).map((r) => [r.id, r.status]));
const TEMPORAL_OF: Record<string, string> = { succeeded: "COMPLETED", failed: "FAILED", cancelled: "CANCELLED" };
const rows: { runId: string; action: Action; atMs: number; exit?: number | null; db: string; temporal: string; agree: boolean }[] = [];
for (const p of plan) {
  const d = dbStatus.get(p.runId) ?? "(not recorded)";
  const t = await temporalStatus(p.runId);
  // Ctrl-C before the run began: the CLI stopped (130), or died of the signal before it had loaded
  const notStarted = d === "(not recorded)" && t === "(none)" && (p.exit === 130 || p.exit === null);
  rows.push({ ...p, db: notStarted ? "not started" : d, temporal: t, agree: notStarted || TEMPORAL_OF[d] === t });
}
const integrity = db.prepare("PRAGMA integrity_check").pluck().get() as string;
const artifacts = db.prepare("SELECT uri, sha256 FROM artifacts").all() as { uri: string; sha256: string }[];
let lost = 0;
for (const a of artifacts) {
  const path = join(home, a.uri);
  if (!existsSync(path) || (await hashPath(path)).sha256 !== a.sha256) lost++;
}
const duplicated = artifacts.length - new Set(artifacts.map((a) => a.uri)).size;
db.close();
const after = manifest();
const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
await connection.close();
await cli(["server", "stop"]);

const byAction = ACTIONS.map((a) => `${a} ${rows.filter((r) => r.action === a).length}`).join(", ");
const FINAL = ["succeeded", "failed", "cancelled", "not started"];
const ended = rows.filter((r) => FINAL.includes(r.db)).length;
const agree = rows.filter((r) => r.agree).length;
const summary = `${RUNS} diamond runs (${byAction}) in ${((Date.now() - started) / 1000).toFixed(0)} s on ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}, ${new Date().toISOString().slice(0, 10)}`;
const table = [
  "| check | result |",
  "|---|---|",
  `| runs ended in the database (none running; "not started": interrupted before the run began) | ${ended}/${RUNS} |`,
  `| Temporal agrees (Completed/Failed/Cancelled) | ${agree}/${RUNS} |`,
  `| final states | ${FINAL.map((s) => `${s} ${rows.filter((r) => r.db === s).length}`).join(", ")} |`,
  `| PRAGMA integrity_check | ${integrity} |`,
  `| artifacts lost / duplicated | ${lost} / ${duplicated} (of ${artifacts.length}) |`,
  `| files changed outside the workspace | ${changed.length}${changed.length ? `: ${changed.slice(0, 5).join(", ")}` : ""} |`,
].join("\n");
process.stdout.write(`\nsoak: ${summary}\n${table}\n`);
const ok = ended === RUNS && agree === RUNS && integrity === "ok" && lost === 0 && duplicated === 0 && changed.length === 0;
process.stdout.write(ok ? "soak: every check passed\n" : "soak: FAILED\n");
for (const r of rows.filter((x) => !x.agree || !FINAL.includes(x.db))) {
  process.stdout.write(`  ${r.runId}: ${r.action} at ${r.atMs} ms, exit ${r.exit}, db ${r.db}, temporal ${r.temporal}\n    ${(plan.find((p) => p.runId === r.runId)?.stderr ?? "").trim().split("\n").slice(-3).join("\n    ")}\n`);
}
if (WRITE) {
  const intro =
    "`npm run bench:soak` (bench/soak.ts): runs of `pipelines/examples/diamond.yaml` in one fresh workspace, each hit at a\n" +
    "random moment by nothing, Ctrl-C of `mmada run`, Ctrl-C twice (the run is left going) or kill -9 of a random step\n" +
    "worker; then the checks below.";
  writeSection("Interruption soak", `${intro}\n\n${summary}${ok ? "" : " (FAILED)"}.\n\n${table}`);
  process.stdout.write("wrote the Interruption soak section of BENCHMARKS.md\n");
}
process.exitCode = ok ? 0 : 1;
