// `npm run bench:engine`: what the engine costs a user, now and at a baseline commit, measured in
// the same run on the same machine (so the ratio is fair on a shared, noisy machine):
//  - CLI start-up: `mmada --help`, `validate`, `runs`, `status` (wall time of the process);
//  - a fully cached rerun of the diamond pipeline (wall time of `mmada run`, the workspace's dev
//    server already up; workers are long-lived now, the baseline started its own every run);
//  - a no-op step's workflow time: pipelines/examples/noop50.yaml (50 `true` command steps, 5 chains
//    of 10, concurrency 5, cache off), recorded start -> finish divided by 50.
// The baseline is `git archive <commit>` unpacked into a temporary folder that shares this
// checkout's node_modules and .tools. Reps alternate between the two, and medians are reported.
// Options: --baseline <commit> (default d3bba97, before long-lived workers and the compiled CLI),
//          --reps N (default 5), --no-write (leave BENCHMARKS.md alone).
import { execSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { writeSection } from "./kit.ts";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
const opt = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : d);
const BASELINE = opt("--baseline", "d3bba97");
const REPS = Number(opt("--reps", "5"));
const WRITE = !args.includes("--no-write");
const NOOP_STEPS = 50;
const TIMEOUT_MS = 600_000;

interface Impl {
  name: string;
  dir: string;
  home: string;
}

function mmada(impl: Impl, cliArgs: string[]): { ms: number; stdout: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, MMADA_HOME: impl.home };
  delete env.TEMPORAL_ADDRESS;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["bin/mmada.js", ...cliArgs], { cwd: impl.dir, env, encoding: "utf8", timeout: TIMEOUT_MS });
  const ms = performance.now() - t0;
  if (r.status !== 0 && !cliArgs.includes("--allow-fail")) throw new Error(`${impl.name}: mmada ${cliArgs.join(" ")} exited ${r.status}\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function workflowMs(impl: Impl, runId: string): number {
  const db = new Database(join(impl.home, "runs.db"), { readonly: true });
  try {
    const run = db.prepare("SELECT started_at, finished_at FROM runs WHERE id = ?").get(runId) as { started_at: string; finished_at: string };
    return Date.parse(run.finished_at) - Date.parse(run.started_at);
  } finally {
    db.close();
  }
}

function baseline(commit: string): Impl {
  const dir = mkdtempSync(join(tmpdir(), "mmada-baseline-"));
  execSync(`git archive ${commit} | tar -x -C ${dir}`, { cwd: ROOT });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  symlinkSync(join(ROOT, ".tools"), join(dir, ".tools"));
  return { name: `baseline ${commit}`, dir, home: mkdtempSync(join(tmpdir(), "mmada-bench-base-")) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const now: Impl = { name: "now", dir: ROOT, home: mkdtempSync(join(tmpdir(), "mmada-bench-now-")) };
const base = baseline(BASELINE);
const impls = [base, now];
const load0 = loadavg()[0]!;
try {
  for (const impl of impls) {
    mmada(impl, ["server", "start"]);
    mmada(impl, ["run", "pipelines/examples/diamond.yaml", "--name", "warm"]); // fills the cache, builds bundles
  }
  const samples = new Map<string, Map<string, number[]>>(impls.map((i) => [i.name, new Map()]));
  const add = (impl: Impl, key: string, ms: number) => samples.get(impl.name)!.set(key, [...(samples.get(impl.name)!.get(key) ?? []), ms]);
  for (let rep = 0; rep < REPS; rep++) {
    for (const impl of rep % 2 === 0 ? impls : [...impls].reverse()) {
      add(impl, "`mmada --help`", mmada(impl, ["--help"]).ms);
      add(impl, "`mmada validate diamond.yaml`", mmada(impl, ["validate", "pipelines/examples/diamond.yaml"]).ms);
      add(impl, "`mmada runs`", mmada(impl, ["runs"]).ms);
      add(impl, "`mmada status <run>`", mmada(impl, ["status", "warm"]).ms);
      add(impl, "fully cached `mmada run diamond.yaml`", mmada(impl, ["run", "pipelines/examples/diamond.yaml", "--name", `cached-${rep}`]).ms);
      if (rep < 3) {
        mmada(impl, ["run", "pipelines/examples/noop50.yaml", "--name", `noop-${rep}`]);
        add(impl, "no-op step, workflow time per step", workflowMs(impl, `noop-${rep}`) / NOOP_STEPS);
      }
      process.stderr.write(`rep ${rep + 1}/${REPS}: ${impl.name} done\n`);
    }
  }
  const load1 = loadavg()[0]!;
  const TARGETS: Record<string, number> = {
    "`mmada --help`": 300, "`mmada validate diamond.yaml`": 300, "`mmada runs`": 300, "`mmada status <run>`": 300,
    "fully cached `mmada run diamond.yaml`": 1500, "no-op step, workflow time per step": 30,
  };
  const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
  const rows = Object.entries(TARGETS).map(([key, target]) => {
    const b = median(samples.get(base.name)!.get(key)!);
    const n = median(samples.get(now.name)!.get(key)!);
    return { key, b, n, target, ratio: b / n };
  });
  const header = `| measure | ${base.name} | now | speed-up | target | met |\n|---|---:|---:|---:|---:|:---:|`;
  const table = [header, ...rows.map((r) => `| ${r.key} | ${fmt(r.b)} | ${fmt(r.n)} | ${r.ratio.toFixed(1)}x | <= ${fmt(r.target)} | ${r.n <= r.target ? "yes" : "no"} |`)].join("\n");
  const machine = `${cpus().length}-core ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}, embedded Temporal dev server`;
  const note = `Median of ${REPS} runs (no-op steps: of 3), reps alternating between the two; ${machine}; ${new Date().toISOString().slice(0, 10)}; load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}.`;
  process.stdout.write(`\n${table}\n${note}\n`);
  if (WRITE) {
    writeSection(
      "Engine",
      [
        "`npm run bench:engine` (bench/engine.ts): CLI start-up, a fully cached rerun of",
        "`pipelines/examples/diamond.yaml` and the workflow time of a no-op step (`pipelines/examples/noop50.yaml`,",
        `50 \`true\` steps in 5 parallel chains, cache off: the run's recorded start -> finish over 50), for this checkout`,
        `and for the baseline commit ${BASELINE} (before the compiled CLI, the long-lived workers and the local`,
        "bookkeeping activities) in the same run.",
        "",
        table,
        "",
        note,
      ].join("\n"),
    );
    process.stdout.write("wrote the Engine section of BENCHMARKS.md\n");
  }
} finally {
  for (const impl of impls) spawnSync(process.execPath, ["bin/mmada.js", "server", "stop"], { cwd: impl.dir, env: { ...process.env, MMADA_HOME: impl.home }, stdio: "ignore" });
  for (const impl of impls) rmSync(impl.home, { recursive: true, force: true });
  rmSync(base.dir, { recursive: true, force: true });
}
