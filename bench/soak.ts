// `npm run bench:soak`: the engine under interruption and real faults. 24 runs of the diamond
// pipeline in one fresh workspace (on a tmpfs of its own where mounting is allowed), each hit at a
// random moment by one of: nothing, Ctrl-C (SIGINT) of `mmada run`, Ctrl-C twice (the run is left
// going), SIGKILL of a random step worker of the workspace's pool, SIGKILL of the workspace's dev
// server alone (then `mmada server start` brings it back on its port), the disk filled for three
// seconds (a file as large as the free space, beside the workspace on its tmpfs), or a second
// workspace running the diamond at the same moment on the same dev server (as on a shared cluster).
// Afterwards it checks, and prints as a table for BENCHMARKS.md:
//  - every run ended (succeeded, failed or cancelled) in both Temporal and the run database, and the
//    two agree: none is left `running`;
//  - PRAGMA integrity_check of the run database is ok;
//  - no artifact is lost (every recorded one is in the store with its content hash) or duplicated;
//  - no artifact is misplaced: each workspace's store holds exactly what its own run database
//    records, nothing of the other's;
//  - no file outside the workspaces changed (the project checkout, minus its own install folders);
//  - after `mmada server stop`, no process of either workspace is left.
// Options: --runs N (default 24), --seed S (default 1), --no-write (leave BENCHMARKS.md alone).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Client, Connection } from "@temporalio/client";
import { dataConverter } from "../engine/temporal/payload-codec.ts";
import { workflowIdOf } from "../contract/ids.ts";
import { hashPath } from "../engine/store/artifacts.ts";
import { Rng } from "../model/rng.ts";
import { writeSection } from "./kit.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
const arg = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const RUNS = arg("--runs", 24);
const WRITE = !args.includes("--no-write");
const rng = new Rng(arg("--seed", 1));
/** The project's own install and build folders (not user files): node_modules, .tools, dist, .git. */
const INSTALL_DIRS = new Set(["node_modules", ".tools", "dist", ".git", ".venv", "test-artifacts"]);
const MOUNT_MB = 512;

// The main workspace on a tmpfs of its own (so the disk can really be filled); the neighbour in tmp.
const mount = mkdtempSync(join(tmpdir(), "mmada-soak-"));
const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${MOUNT_MB}m`, "tmpfs", mount], { encoding: "utf8" });
const canFill = mounted.status === 0;
const home = join(mount, "ws");
mkdirSync(home);
const neighbourHome = mkdtempSync(join(tmpdir(), "mmada-soak-neighbour-"));

type Action = "none" | "sigint" | "sigint-twice" | "kill-worker" | "kill-server" | "fill-disk" | "neighbour";
const ACTIONS: Action[] = ["none", "sigint", "sigint-twice", "kill-worker", "kill-server", ...(canFill ? (["fill-disk"] as const) : []), "neighbour"];

function envOf(workspace: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MMADA_HOME: workspace, ...extra };
  if (!extra.TEMPORAL_ADDRESS) delete env.TEMPORAL_ADDRESS;
  return env;
}

function cli(cliArgs: string[], env = envOf(home)): Promise<{ code: number | null; pid: number; stderr: string }> & { pid: number } {
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

const readJson = <T>(file: string): T | undefined => {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
};
const stepWorkerPids = () => readJson<{ stepWorkerPids: number[] }>(join(home, "workers", "pool.json"))?.stepWorkerPids ?? [];
const serverInfo = () => readJson<{ pid: number; port: number }>(join(home, "temporal", "server.json"));
const signal = (pid: number | undefined, sig: NodeJS.Signals) => {
  try {
    if (pid) process.kill(pid, sig);
  } catch {
    // already gone
  }
};
/** Fills the tmpfs for `ms` (a file as large as the free space), then frees it. */
async function fillDisk(ms: number): Promise<void> {
  const filler = join(mount, "filler");
  const s = statfsSync(mount);
  spawnSync("sh", ["-c", `head -c ${s.bavail * s.bsize} /dev/zero > ${filler}`]);
  await new Promise((r) => setTimeout(r, ms));
  rmSync(filler, { force: true });
}

const before = manifest();
const started = Date.now();
interface Planned {
  home: string;
  runId: string;
  action: Action;
  atMs: number;
  exit?: number | null;
  stderr?: string;
}
const plan: Planned[] = [];
await cli(["server", "start"]);
const address = () => `127.0.0.1:${serverInfo()!.port}`;
const neighbourEnv = () => envOf(neighbourHome, { TEMPORAL_ADDRESS: address() });
for (let i = 0; i < RUNS; i++) {
  // every action at least once, the rest drawn
  const action = i < ACTIONS.length ? ACTIONS[i]! : ACTIONS[rng.int(ACTIONS.length)]!;
  const atMs = Math.round(rng.uniform() * 3000);
  const runId = `soak-${i}`;
  const run = cli(["run", "pipelines/examples/diamond.yaml", "--name", runId, "--set", `n=${i + 1}`]);
  const neighbour = action === "neighbour" ? cli(["run", "pipelines/examples/diamond.yaml", "--name", `next-${i}`, "--set", `n=${1000 + i}`], neighbourEnv()) : undefined;
  let afterHit: Promise<unknown> = Promise.resolve();
  const hit = setTimeout(() => {
    if (action === "sigint" || action === "sigint-twice") {
      signal(run.pid, "SIGINT");
      if (action === "sigint-twice") setTimeout(() => signal(run.pid, "SIGINT"), 300);
    } else if (action === "kill-worker") {
      const pids = stepWorkerPids();
      signal(pids[rng.int(Math.max(1, pids.length))], "SIGKILL");
    } else if (action === "kill-server") {
      signal(serverInfo()?.pid, "SIGKILL");
    } else if (action === "fill-disk") {
      afterHit = fillDisk(3000);
    }
  }, atMs);
  const r = await run;
  clearTimeout(hit);
  await afterHit;
  plan.push({ home, runId, action, atMs, exit: r.code, stderr: r.stderr });
  if (neighbour) {
    const n = await neighbour;
    plan.push({ home: neighbourHome, runId: `next-${i}`, action: "neighbour", atMs: 0, exit: n.code, stderr: n.stderr });
  }
  // a killed server comes back on its port: its workers reconnect and the run goes on
  if (action === "kill-server") await cli(["server", "start"]);
  process.stderr.write(`${runId}: ${action} at ${atMs} ms -> exit ${r.code}\n`);
}

// Runs left going (second Ctrl-C) or retried after a killed worker or server get time to end.
const connection = await Connection.connect({ address: address() });
const client = new Client({ connection, dataConverter });
/** The workflow's status, or "(none)" for a run interrupted before it started. */
const temporalStatus = async (runId: string) =>
  client.workflow.getHandle(workflowIdOf(runId)).describe().then((d) => d.status.name as string, () => "(none)");
const deadline = Date.now() + 180_000;
for (const p of plan) while ((await temporalStatus(p.runId)) === "RUNNING" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
await cli(["runs", "--limit", "1000"]); // `runs` reconciles any run whose workflow closed unrecorded
await cli(["runs", "--limit", "1000"], neighbourEnv());

interface Store {
  status: Map<string, string>;
  integrity: string;
  lost: number;
  duplicated: number;
  recorded: number;
  /** What its run database records. */
  uris: Set<string>;
  /** Files in the store that its run database does not record: another workspace's steps wrote them
   *  (misplaced), or an attempt stored outputs whose end never reached Temporal (its server was
   *  killed) and the retry wrote others (the diamond's outputs hold timestamps). */
  strays: string[];
}
async function checkStore(workspace: string): Promise<Store> {
  const db = new Database(join(workspace, "runs.db"), { readonly: true });
  try {
    const status = new Map((db.prepare("SELECT id, status FROM runs").all() as { id: string; status: string }[]).map((r) => [r.id, r.status]));
    const artifacts = db.prepare("SELECT uri, sha256 FROM artifacts").all() as { uri: string; sha256: string }[];
    let lost = 0;
    for (const a of artifacts) {
      const path = join(workspace, a.uri);
      if (!existsSync(path) || (await hashPath(path)).sha256 !== a.sha256) lost++;
    }
    // the store's top entries (artifacts/<xx>/<sha256>/<name>) against what the database records
    const uris = new Set(artifacts.map((a) => a.uri));
    const strays: string[] = [];
    const store = join(workspace, "artifacts");
    for (const xx of existsSync(store) ? readdirSync(store) : []) {
      for (const sha of readdirSync(join(store, xx))) {
        for (const name of readdirSync(join(store, xx, sha))) if (!uris.has(`artifacts/${xx}/${sha}/${name}`)) strays.push(`artifacts/${xx}/${sha}/${name}`);
      }
    }
    return {
      status,
      integrity: db.prepare("PRAGMA integrity_check").pluck().get() as string,
      lost,
      duplicated: artifacts.length - uris.size,
      recorded: artifacts.length,
      uris,
      strays,
    };
  } finally {
    db.close();
  }
}
const stores = new Map([[home, await checkStore(home)], [neighbourHome, await checkStore(neighbourHome)]]);
const TEMPORAL_OF: Record<string, string> = { succeeded: "COMPLETED", failed: "FAILED", cancelled: "CANCELLED" };
const rows: (Planned & { db: string; temporal: string; agree: boolean })[] = [];
for (const p of plan) {
  const d = stores.get(p.home)!.status.get(p.runId) ?? "(not recorded)";
  const t = await temporalStatus(p.runId);
  // Ctrl-C before the run began: the CLI stopped (130), or died of the signal before it had loaded
  // or refused because the disk was full when it began
  const notStarted = d === "(not recorded)" && t === "(none)" && (p.exit === 130 || p.exit === null || /could not record anything/.test(p.stderr ?? ""));
  rows.push({ ...p, db: notStarted ? "not started" : d, temporal: t, agree: notStarted || TEMPORAL_OF[d] === t });
}
await connection.close();
const after = manifest();
const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
await cli(["server", "stop"], neighbourEnv());
await cli(["server", "stop"]);
await new Promise((r) => setTimeout(r, 2000));
const leftover = (workspace: string) =>
  readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/environ`, "utf8").includes(`MMADA_HOME=${workspace}\0`);
    } catch {
      return false;
    }
  });
const processesLeft = [...leftover(home), ...leftover(neighbourHome)].filter((p) => Number(p) !== process.pid);
if (canFill) spawnSync("umount", ["-l", mount]);
rmSync(mount, { recursive: true, force: true });
rmSync(neighbourHome, { recursive: true, force: true });

const count = (a: Action) => plan.filter((p) => p.home === home && p.action === a).length;
const byAction = ACTIONS.map((a) => `${a} ${count(a)}`).join(", ");
const FINAL = ["succeeded", "failed", "cancelled", "not started"];
const ended = rows.filter((r) => FINAL.includes(r.db)).length;
const agree = rows.filter((r) => r.agree).length;
const [main, next] = [stores.get(home)!, stores.get(neighbourHome)!];
const lost = main.lost + next.lost;
const duplicated = main.duplicated + next.duplicated;
// in one workspace's store, recorded by the other's database: written by the other's steps
const misplacedUris = [...main.strays.filter((u) => next.uris.has(u)), ...next.strays.filter((u) => main.uris.has(u))];
const misplaced = misplacedUris.length;
const unreferenced = main.strays.length + next.strays.length - misplaced;
const fillNote = canFill ? "" : `; fill-disk skipped: mounting a tmpfs was refused (${(mounted.stderr || `exit ${mounted.status}`).trim()})`;
const summary =
  `${RUNS} diamond runs (${byAction}) plus ${count("neighbour")} of a second workspace on the same dev server, in ${((Date.now() - started) / 1000).toFixed(0)} s ` +
  `on ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}, ${new Date().toISOString().slice(0, 10)}${fillNote}`;
const table = [
  "| check | result |",
  "|---|---|",
  `| runs ended in the database (none running; "not started": interrupted before the run began) | ${ended}/${rows.length} |`,
  `| Temporal agrees (Completed/Failed/Cancelled) | ${agree}/${rows.length} |`,
  `| final states | ${FINAL.map((s) => `${s} ${rows.filter((r) => r.db === s).length}`).join(", ")} |`,
  `| PRAGMA integrity_check (both workspaces) | ${main.integrity} / ${next.integrity} |`,
  `| artifacts lost / duplicated | ${lost} / ${duplicated} (of ${main.recorded + next.recorded}) |`,
  `| artifacts misplaced (in one workspace's store, recorded by the other's run database) | ${misplaced}${misplaced ? `: ${misplacedUris.slice(0, 3).join(", ")}` : ""} |`,
  `| stored outputs no run records (an attempt whose end never reached the killed server, retried; nothing refers to them) | ${unreferenced} |`,
  `| files changed outside the workspaces | ${changed.length}${changed.length ? `: ${changed.slice(0, 5).join(", ")}` : ""} |`,
  `| processes of either workspace left after \`server stop\` | ${processesLeft.length} |`,
].join("\n");
process.stdout.write(`\nsoak: ${summary}\n${table}\n`);
const ok =
  ended === rows.length && agree === rows.length && main.integrity === "ok" && next.integrity === "ok" &&
  lost === 0 && duplicated === 0 && misplaced === 0 && changed.length === 0 && processesLeft.length === 0;
process.stdout.write(ok ? "soak: every check passed\n" : "soak: FAILED\n");
for (const r of rows.filter((x) => !x.agree || !FINAL.includes(x.db))) {
  process.stdout.write(`  ${r.runId}: ${r.action} at ${r.atMs} ms, exit ${r.exit}, db ${r.db}, temporal ${r.temporal}\n    ${(r.stderr ?? "").trim().split("\n").slice(-3).join("\n    ")}\n`);
}
if (WRITE) {
  const intro =
    "`npm run bench:soak` (bench/soak.ts): runs of `pipelines/examples/diamond.yaml` in one fresh workspace (on a tmpfs of its\n" +
    "own), each hit at a random moment by nothing, Ctrl-C of `mmada run`, Ctrl-C twice (the run is left going), kill -9 of a\n" +
    "random step worker, kill -9 of the dev server alone (then `mmada server start`), the disk filled for 3 s, or a second\n" +
    "workspace running the diamond on the same dev server at the same moment; then the checks below.";
  writeSection("Interruption soak", `${intro}\n\n${summary}${ok ? "" : " (FAILED)"}.\n\n${table}`);
  process.stdout.write("wrote the Interruption soak section of BENCHMARKS.md\n");
}
process.exitCode = ok ? 0 : 1;
