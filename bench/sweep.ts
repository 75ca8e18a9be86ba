// `npm run bench:sweep`: what ASHA saves on a real sweep. pipelines/examples/lr-sweep.yaml (the main
// job's stage 1 over 12 peak learning rates, ASHA on val_loss) runs in one fresh workspace; the same
// sweep without its `search:` block (every branch to the end) runs in another. Reported: the
// configuration ASHA picks and its final val_loss against the best of the full sweep (target: within
// 2%), the training steps ASHA used against the full sweep's (target: at most 35%), the wall time of
// both, and every branch side by side.
// Options: --steps N (stage 1 steps, default the spec's 4,500: a quick check), --no-write.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fmtNumber } from "../results/format.ts";
import { sweepOf } from "../results/sweep.ts";
import { closeRunDb, getRun, openRunDb } from "../runs/index.ts";
import { writeSection } from "./kit.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const SPEC = "pipelines/examples/lr-sweep.yaml";
const args = process.argv.slice(2);
const STEPS = args.includes("--steps") ? Number(args[args.indexOf("--steps") + 1]) : undefined;
const WRITE = !args.includes("--no-write") && STEPS === undefined;

const dir = mkdtempSync(join(tmpdir(), "mmada-bench-sweep-"));
const fullSpec = join(dir, "lr-sweep-full.yaml");
writeFileSync(fullSpec, readFileSync(join(ROOT, SPEC), "utf8").replace(/^search: .*\n/m, "").replace("name: lr-sweep", "name: lr-sweep-full"));

function run(label: string, spec: string): { home: string; seconds: number; load: string } {
  const home = join(dir, label);
  const env: NodeJS.ProcessEnv = { ...process.env, MMADA_HOME: home };
  delete env.TEMPORAL_ADDRESS;
  const load = loadavg()[0]!.toFixed(1);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["bin/mmada.js", "run", spec, "--name", label, ...(STEPS ? ["--set", `stage1_steps=${STEPS}`] : [])], { cwd: ROOT, env, encoding: "utf8", maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  spawnSync(process.execPath, ["bin/mmada.js", "server", "stop"], { cwd: ROOT, env });
  if (r.status !== 0) throw new Error(`${label}: exit ${r.status}\n${r.stderr.slice(-3000)}`);
  process.stderr.write(`${label}: ${(seconds / 60).toFixed(1)} min\n`);
  return { home, seconds, load: `${load} -> ${loadavg()[0]!.toFixed(1)}` };
}

try {
  const asha = run("asha", SPEC);
  const full = run("full", fullSpec);
  const ashaDb = openRunDb(join(asha.home, "runs.db"));
  const sweep = sweepOf(ashaDb, getRun(ashaDb, "asha")!)!;
  closeRunDb(ashaDb);
  const fullDb = openRunDb(join(full.home, "runs.db"));
  const finals = new Map(
    getRun(fullDb, "full")!.executions.flatMap((e) => e.metrics).filter((m) => m.key === "val_loss" && m.stepId.startsWith("stage1[")).map((m) => [m.stepId, m.value]),
  );
  closeRunDb(fullDb);
  const fullSteps = sweep.full;
  const ranked = [...finals.entries()].sort((a, b) => a[1] - b[1]);
  const [bestId, bestValue] = ranked[0]!;
  const picked = sweep.best!;
  const pickedFull = finals.get(picked.id)!;
  const gap = pickedFull / bestValue - 1;
  const share = sweep.trained / fullSteps;
  const rows = sweep.branches.map((b) => {
    const f = finals.get(b.id)!;
    const fullRank = ranked.findIndex(([id]) => id === b.id) + 1;
    const rungs = b.decisions.map((d) => `${d.rung}: ${d.decision === "promoted" ? "went on" : "stopped"} (${d.rank}/${d.of})`).join(", ");
    return `| ${b.config} | ${b.state} at ${b.reached} | ${b.value === undefined ? "-" : fmtNumber(b.value)} | ${rungs} | ${fmtNumber(f)} | ${fullRank} |`;
  });
  const table = [
    "| branch | ASHA: ended | ASHA: val_loss there | rung decisions (rank / compared) | full sweep: final val_loss | full sweep: rank |",
    "|---|---|---:|---|---:|---:|",
    ...rows,
  ].join("\n");
  const verdict =
    `ASHA picked ${picked.config} (final val_loss ${fmtNumber(picked.value)}; ${fmtNumber(pickedFull)} in the full sweep), the full sweep's best is ` +
    `${bestId.replace(/^stage1\[|\]$/g, "")} (${fmtNumber(bestValue)}): ${(100 * gap).toFixed(2)}% worse (target <= 2%: ${gap <= 0.02 ? "met" : "NOT met"}). ` +
    `ASHA trained ${sweep.trained.toLocaleString("en")} of the full sweep's ${fullSteps.toLocaleString("en")} steps, ${(100 * share).toFixed(1)}% ` +
    `(target <= 35%: ${share <= 0.35 ? "met" : "NOT met"}). Wall time: ASHA ${(asha.seconds / 60).toFixed(1)} min (load ${asha.load}), ` +
    `full sweep ${(full.seconds / 60).toFixed(1)} min (load ${full.load}), ${(asha.seconds / full.seconds).toFixed(2)}x.`;
  const intro =
    "`npm run bench:sweep` (bench/sweep.ts): `pipelines/examples/lr-sweep.yaml` (the main job's stage 1, 4,500 steps, over 12 peak " +
    "learning rates, one core per branch, two at once; ASHA on val_loss, rungs at 300, 900 and 2,700 steps, the top third goes on) in " +
    "a fresh workspace, and the same sweep without its `search:` block (every branch to the end) in another; data, VQ and tokens run " +
    `in each. On ${cpus().length} cores, native TensorFlow backend, ${new Date().toISOString().slice(0, 10)}. Training is deterministic on one ` +
    "machine, so a branch ASHA let finish ends with the same val_loss as in the full sweep.";
  console.log(`${table}\n\n${verdict}`);
  if (WRITE) writeSection("Sweeps: ASHA on the main job's stage 1", `${intro}\n\n${verdict}\n\n${table}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
