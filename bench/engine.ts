// `npm run bench:engine`: the engine's per-step orchestration overhead, measured through the real
// CLI on the embedded Temporal dev server. pipelines/examples/noop50.yaml is 50 `true` command steps
// (5 parallel chains of 10, concurrency 5, cache off), so all the time is orchestration: the
// workflow, three activities per step (prepare, run, finish), SQLite writes, one shell spawn.
// A cached rerun needs caching on and distinct cache keys, so a derived copy of noop50 is written
// with `cache: true` and `true # <step id>` commands; its reruns never reach a step worker.
// Options: --reps N (default 3, the median is reported), --no-write (leave BENCHMARKS.md alone).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { parse, stringify } from "yaml";
import { temporalBinary } from "../engine/temporal/dev-server.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const NOOP50 = "pipelines/examples/noop50.yaml";
const STEPS = 50;
const CHAIN_LENGTH = 10;
const DEFAULT_REPS = 3;
const COMMAND_TIMEOUT_MS = 600_000;

const args = process.argv.slice(2);
const repsAt = args.indexOf("--reps");
const REPS = repsAt >= 0 ? Number(args[repsAt + 1]) : DEFAULT_REPS;
if (!(Number.isInteger(REPS) && REPS > 0)) throw new Error(`--reps ${args[repsAt + 1]}: give a positive whole number`);
const WRITE = !args.includes("--no-write");

const home = mkdtempSync(join(tmpdir(), "mmada-bench-engine-"));
const env: NodeJS.ProcessEnv = { ...process.env, MMADA_HOME: home };
delete env.TEMPORAL_ADDRESS;

/** Runs the CLI once; returns its wall time (process start to exit, what a user waits). */
function mmada(cliArgs: string[]): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["bin/mmada.js", ...cliArgs], { cwd: ROOT, env, encoding: "utf8", timeout: COMMAND_TIMEOUT_MS });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`mmada ${cliArgs.join(" ")} exited ${r.status}\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

/** Workflow time (start to finish as recorded by the run) and the state of every step. */
function recorded(runId: string): { ms: number; states: Record<string, number> } {
  const db = new Database(join(home, "runs.db"), { readonly: true });
  try {
    const run = db.prepare("SELECT started_at, finished_at FROM runs WHERE id = ?").get(runId) as { started_at: string; finished_at: string };
    const rows = db.prepare("SELECT state, count(*) AS n FROM executions WHERE run_id = ? GROUP BY state").all(runId) as { state: string; n: number }[];
    return { ms: Date.parse(run.finished_at) - Date.parse(run.started_at), states: Object.fromEntries(rows.map((r) => [r.state, r.n])) };
  } finally {
    db.close();
  }
}

/** One run of a spec; checks that all 50 steps ended in `expect`. */
function timedRun(spec: string, name: string, expect: "succeeded" | "cached"): { wallMs: number; workflowMs: number } {
  const { ms } = mmada(["run", spec, "--name", name, "--json"]);
  const r = recorded(name);
  if (r.states[expect] !== STEPS) throw new Error(`${name}: expected ${STEPS} ${expect} steps, got ${JSON.stringify(r.states)}`);
  return { wallMs: ms, workflowMs: r.ms };
}

/** noop50 with caching on and a distinct command per step (else all 50 share one cache key). */
function cachedVariant(): string {
  const spec = parse(readFileSync(join(ROOT, NOOP50), "utf8")) as { name: string; defaults?: object; steps: Record<string, { with: { run: string } }> };
  spec.name = "noop50-cached";
  spec.defaults = { ...spec.defaults, cache: true };
  for (const [id, step] of Object.entries(spec.steps)) step.with.run = `true # ${id}`;
  const file = join(home, "noop50-cached.yaml");
  writeFileSync(file, stringify(spec));
  return file;
}

interface Report {
  rows: [string, string, string][];
  reps: number;
  machine: string;
  date: string;
  load: [number, number];
}

/** The "## Engine" section of BENCHMARKS.md, replaced in place (other sections are left as they are). */
function replaceSection(doc: string, r: Report): string {
  const section = [
    "## Engine",
    "",
    "Per-step orchestration overhead, `npm run bench:engine` (bench/engine.ts): `mmada run` of",
    "`pipelines/examples/noop50.yaml` (50 `true` command steps, 5 parallel chains of 10, concurrency 5,",
    "cache off), and a fully cached rerun of a copy with caching on and a distinct command per step.",
    `Median of ${r.reps} runs. Wall time is what a user waits for \`mmada run\` (tsx start-up, connecting, starting`,
    "the workflow worker and the step worker process, the HTML report included); workflow time is the run's",
    "recorded start -> finish.",
    "'per chained step' divides by the 10 dependent steps on the critical path.",
    "",
    `Machine: ${r.machine}. Measured ${r.date}; load average ${r.load[0].toFixed(1)} -> ${r.load[1].toFixed(1)}`,
    "(the machine is shared with other work: the numbers are upper bounds).",
    "",
    "| what | time | note |",
    "|---|---:|---|",
    ...r.rows.map(([what, value, note]) => `| ${what} | ${value} | ${note} |`),
    "",
  ].join("\n");
  const start = doc.search(/^## Engine\s*$/m);
  if (start < 0) return `${doc.trimEnd()}\n\n${section}`;
  const next = doc.slice(start + 1).search(/^## /m);
  const end = next < 0 ? doc.length : start + 1 + next;
  return `${doc.slice(0, start)}${section}${next < 0 ? "" : "\n"}${doc.slice(end)}`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const perStep = (ms: number, n: number) => `${(ms / n).toFixed(0)} ms`;

function machine(): string {
  const cpu = cpus();
  const temporal = spawnSync(temporalBinary(), ["--version"], { encoding: "utf8" }).stdout.trim();
  return `${cpu.length}-core ${cpu[0]?.model ?? "CPU"}, Node ${process.version}, ${temporal}, embedded dev server (SQLite state), run database SQLite WAL`;
}

try {
  const load0 = loadavg()[0]!;
  const server = mmada(["server", "start"]);
  const variant = cachedVariant();
  // first run in a fresh workspace: also builds and caches the workflow bundle (webpack)
  const first = timedRun(NOOP50, "bench-first", "succeeded");
  const primed = timedRun(variant, "bench-cached-prime", "succeeded");
  const floor = median([0, 1, 2].map(() => mmada(["runs", "--limit", "1"]).ms));

  const cold: { wallMs: number; workflowMs: number }[] = [];
  const cached: { wallMs: number; workflowMs: number }[] = [];
  for (let i = 0; i < REPS; i++) {
    cold.push(timedRun(NOOP50, `bench-cold-${i}`, "succeeded"));
    cached.push(timedRun(variant, `bench-cached-${i}`, "cached"));
    process.stderr.write(`rep ${i + 1}/${REPS}: cold ${s(cold[i]!.wallMs)}, cached ${s(cached[i]!.wallMs)}\n`);
  }
  const load1 = loadavg()[0]!;

  const coldWall = median(cold.map((r) => r.wallMs));
  const coldFlow = median(cold.map((r) => r.workflowMs));
  const cachedWall = median(cached.map((r) => r.wallMs));
  const cachedFlow = median(cached.map((r) => r.workflowMs));
  /** The spread of the repetitions: the machine is shared, so a median alone hides how noisy it was. */
  const range = (xs: number[]) => `range ${(Math.min(...xs) / 1000).toFixed(2)}-${(Math.max(...xs) / 1000).toFixed(2)} s`;
  const rows: [string, string, string][] = [
    ["cold run, `mmada run` wall time", s(coldWall), `${perStep(coldWall, STEPS)} / step; ${range(cold.map((r) => r.wallMs))}`],
    [
      "cold run, workflow start -> finish",
      s(coldFlow),
      `${perStep(coldFlow, STEPS)} / step, ${perStep(coldFlow, CHAIN_LENGTH)} / chained step; ${range(cold.map((r) => r.workflowMs))}`,
    ],
    ["fully cached rerun, `mmada run` wall time", s(cachedWall), `${perStep(cachedWall, STEPS)} / step; ${range(cached.map((r) => r.wallMs))}`],
    [
      "fully cached rerun, workflow start -> finish",
      s(cachedFlow),
      `${perStep(cachedFlow, STEPS)} / step, ${perStep(cachedFlow, CHAIN_LENGTH)} / chained step; ${range(cached.map((r) => r.workflowMs))}`,
    ],
    ["`mmada run` outside the workflow (cached rerun: wall - workflow)", s(cachedWall - cachedFlow), "start-up, workers, step worker process, report"],
    ["fixed cost of any CLI command (`mmada runs`)", s(floor), "tsx start-up + database open"],
    ["first run in a fresh workspace (builds the workflow bundle)", s(first.wallMs), "once per workspace and source version"],
    ["first run of the cached variant (cache lookups, all miss)", s(primed.wallMs), `workflow ${s(primed.workflowMs)}`],
    ["dev server start (`mmada server start`)", s(server.ms), "once per workspace"],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`\nnoop50: ${STEPS} no-op steps, 5 chains of ${CHAIN_LENGTH}, concurrency 5; median of ${REPS}\n`);
  for (const [what, value, note] of rows) process.stdout.write(`${what.padEnd(width)}  ${value.padStart(9)}  ${note}\n`);
  process.stdout.write(`load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}\n`);

  if (WRITE) {
    const file = join(ROOT, "BENCHMARKS.md");
    const before = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
    const date = new Date().toISOString().slice(0, 10);
    writeFileSync(file, replaceSection(before, { rows, reps: REPS, machine: machine(), date, load: [load0, load1] }));
    process.stdout.write(`wrote the Engine section of ${file}\n`);
  }
} finally {
  spawnSync(process.execPath, ["bin/mmada.js", "server", "stop"], { cwd: ROOT, env, stdio: "ignore" });
  rmSync(home, { recursive: true, force: true });
}
