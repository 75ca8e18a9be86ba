// `npm run bench:quality`: does the main job's model learn? Runs `mmada run pipelines/mmada-tiny.yaml`
// for seeds 0, 1, 2 one after another, each in a fresh workspace (its own dev server, workers and
// run database, as a new user gets), and writes the stage table with the mean and spread over the
// seeds, the paired stage-to-stage tests (exact McNemar on identical items), the wall time of every
// run, the cores its process tree used (the OS's accounting: /proc/<pid>/stat of the Temporal dev
// server, the workers' owner and the step workers, all started by the run in its fresh workspace)
// and the backend into the "Main job quality" section of BENCHMARKS.md.
// Options: --seeds 0,1,2; --set k=v (passed to every run); --keep (keep the workspaces; their paths
// are printed); --no-write (leave BENCHMARKS.md alone); --out FILE (the raw results as JSON);
// --workspace DIR (every seed runs in DIR, kept, reusing what its cache holds: stage-3 experiments
// without retraining stages 1 and 2; the wall times are then not a fresh run's, and the report says so);
// --spec FILE (a variant of the main job, e.g. another stage 3; the report names it).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runStageChanges, type StageChange } from "../results/stage-changes.ts";
import { evalStages, type EvalStage } from "../results/stage-table.ts";
import { closeRunDb, getRun, metricSeries, openRunDbReadOnly } from "../runs/index.ts";
import { writeSection } from "./kit.ts";
import { renderQuality, type SeedRun } from "./quality-report.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const MAIN_JOB = "pipelines/mmada-tiny.yaml";
const RUN_TIMEOUT_MS = 60 * 60_000;
const SECTION = "Main job quality";
const CLOCK_TICKS_PER_S = 100; // USER_HZ of /proc/<pid>/stat on Linux

const args = process.argv.slice(2);
const valueOf = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const SEEDS = (valueOf("--seeds") ?? "0,1,2").split(",").map(Number);
if (!SEEDS.every((s) => Number.isInteger(s) && s >= 0)) throw new Error(`--seeds ${valueOf("--seeds")}: give whole numbers, e.g. 0,1,2`);
const SETS = args.flatMap((a, i) => (a === "--set" ? [args[i + 1]!] : []));
const KEEP = args.includes("--keep");
const WRITE = !args.includes("--no-write");
const OUT = valueOf("--out");
const WORKSPACE = valueOf("--workspace");
const SPEC = valueOf("--spec") ?? MAIN_JOB;
if (!existsSync(join(ROOT, SPEC))) throw new Error(`--spec ${SPEC}: no such file (a path from the repository root)`);

/** The tfjs backend and kernels a step worker picks here (what `auto` resolves to). */
function backendLine(): string {
  const probe = [
    'const { initBackend } = await import("./model/backend.ts");',
    'const { kernelsSummary } = await import("./model/native/index.ts");',
    "const b = await initBackend();",
    "process.stdout.write(`${b}, ${kernelsSummary(false)}`);",
  ].join("\n");
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], { cwd: ROOT, encoding: "utf8", env: process.env });
  return r.status === 0 ? r.stdout.trim() : `unknown (${r.stderr.trim().split("\n").at(-1)})`;
}

/** CPU seconds (user + system, threads and waited-for children included) of a live process. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return (utime! + stime! + cutime! + cstime!) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by the processes the run started in `home`: dev server, owner, step workers. */
function workspaceCpuSeconds(home: string): number {
  const read = (file: string) => (existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { pid?: number; stepWorkerPids?: number[] }) : {});
  const server = read(join(home, "temporal", "server.json"));
  const pool = read(join(home, "workers", "pool.json"));
  return [server.pid, pool.pid, ...(pool.stepWorkerPids ?? [])].filter((p): p is number => typeof p === "number").reduce((a, p) => a + cpuSeconds(p), 0);
}

/** Means of the first and the last quarter of a series (undefined under 4 points). */
function firstAndLastQuarter(xs: number[]): SeedRun["rewardQuarters"] {
  const q = Math.floor(xs.length / 4);
  const mean = (ys: number[]) => ys.reduce((a, y) => a + y, 0) / ys.length;
  return q ? [mean(xs.slice(0, q)), mean(xs.slice(-q))] : undefined;
}

function runSeed(seed: number, home: string, fresh: boolean): SeedRun {
  if (fresh) rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, MMADA_HOME: home };
  delete env.TEMPORAL_ADDRESS;
  const runId = fresh ? `quality-seed${seed}` : `quality-seed${seed}-${Date.now().toString(36)}`;
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  const cli = ["bin/mmada.js", "run", SPEC, "--name", runId, "--set", `seed=${seed}`, ...SETS.flatMap((s) => ["--set", s])];
  process.stderr.write(`seed ${seed}: mmada ${cli.slice(1).join(" ")} (MMADA_HOME=${home})\n`);
  const r = spawnSync(process.execPath, cli, { cwd: ROOT, env, encoding: "utf8", timeout: RUN_TIMEOUT_MS, stdio: ["ignore", "pipe", "inherit"] });
  const wallMs = performance.now() - t0;
  const cores = workspaceCpuSeconds(home) / (wallMs / 1000); // read before the server stops
  const load1 = loadavg()[0]!;
  // a kept workspace's server may serve other runs: only a fresh workspace's is stopped
  if (fresh) spawnSync(process.execPath, ["bin/mmada.js", "server", "stop"], { cwd: ROOT, env, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`seed ${seed}: mmada run exited ${r.status}\n${r.stdout}`);
  const db = openRunDbReadOnly(join(home, "runs.db"));
  try {
    const detail = getRun(db, runId);
    if (!detail) throw new Error(`seed ${seed}: run ${runId} is not in ${home}/runs.db`);
    const stages: EvalStage[] = evalStages(home, detail);
    const changes: StageChange[] = runStageChanges(home, detail);
    const steps = detail.executions.map((e) => ({
      id: e.execution.stepId,
      seconds: e.execution.startedAt && e.execution.finishedAt ? (Date.parse(e.execution.finishedAt) - Date.parse(e.execution.startedAt)) / 1000 : undefined,
    }));
    const overlap = stages.map((s) => s.values.get("gsm8k_train_overlap")?.value).find((v) => v !== undefined);
    const rewardQuarters = firstAndLastQuarter(metricSeries(db, runId).find((m) => m.kind === "unigrpo" && m.key === "reward")?.points.map((p) => p.value) ?? []);
    process.stderr.write(`seed ${seed}: ${(wallMs / 1000).toFixed(0)} s, ${cores.toFixed(2)} cores\n${r.stdout.split("\n").slice(-3).join("\n")}\n`);
    return { seed, runId, home, wallMs, cores, load: [load0, load1], stages, changes, steps, overlap, rewardQuarters, stdoutTail: r.stdout.split("\n").slice(-40).join("\n") };
  } finally {
    closeRunDb(db);
  }
}

const benchDir = join(ROOT, ".mmada", "bench", `quality-${new Date().toISOString().replace(/[:.]/g, "-")}`);
const backend = backendLine();
const runs: SeedRun[] = [];
for (const seed of SEEDS) {
  const home = WORKSPACE ? resolve(WORKSPACE) : join(benchDir, `seed${seed}`);
  runs.push(runSeed(seed, home, !WORKSPACE));
  if (!KEEP && !WORKSPACE) rmSync(home, { recursive: true, force: true });
}
const cpu = cpus();
const machine = `${cpu.length}-core ${cpu[0]?.model ?? "CPU"}, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const section = renderQuality({ runs, backend, machine, date, sets: SETS, spec: SPEC, ...(WORKSPACE ? { workspace: WORKSPACE } : {}) });
process.stdout.write(`${section}\n`);
if (OUT) writeFileSync(OUT, JSON.stringify({ backend, machine, date, sets: SETS, runs }, (_, v) => (v instanceof Map ? Object.fromEntries(v) : v), 2));
if (KEEP) process.stdout.write(`workspaces kept under ${benchDir}\n`);
if (WRITE) {
  writeSection(SECTION, section);
  process.stdout.write(`wrote the "${SECTION}" section of BENCHMARKS.md\n`);
}
