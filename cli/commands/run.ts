// `mmada run` and `mmada resume`: compile, make sure Temporal and the workspace's workers are up,
// submit the plan, follow it, print the outcome. Exit code 0 only when the run succeeded; 130 when
// Ctrl-C (or SIGTERM) cancelled it. The first interrupt cancels the run through Temporal and waits
// for its steps to stop; a second one leaves the run going and returns.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { ServiceError, type WorkflowHandle } from "@temporalio/client";
import { dbQueueName } from "../../contract/ids.ts";
import type { Plan } from "../../contract/plan.ts";
import type { RunPipelineInput, RunStatus } from "../../contract/run.ts";
import { ensurePool } from "../../engine/pool/pool.ts";
import { stageInputs } from "../../engine/store/stage-inputs.ts";
import { openWorkspace, workspaceDiskFull } from "../../engine/store/workspace.ts";
import { connectClient, endpoint } from "../../engine/temporal/connection.ts";
import { finalStatus, startRun } from "../../engine/temporal/submit.ts";
import { writeRunReport } from "../../ui/export-run.ts";
import { getRun, openRuns, type RunDetail } from "../../runs/index.ts";
import { diskFullAdvice, fetchRunFiles, log, withDb, withDbAsync, withStore } from "../context.ts";
import { follow, statusFromDb } from "../follow.ts";
import { stageTableText } from "../stage-table.ts";
import { sweepText } from "../sweep-table.ts";
import { sweepOf } from "../../results/sweep.ts";
import { CliError, duration, parse, requirePositional, table, type Options } from "../terminal.ts";
import { compileFile, compileStored, declaredParams } from "./validate.ts";

const RUN_OPTIONS = {
  set: { type: "string", multiple: true },
  name: { type: "string" },
  "no-cache": { type: "boolean" },
  force: { type: "string", multiple: true },
  json: { type: "boolean" },
  "no-worker": { type: "boolean" },
  queues: { type: "string" },
  workers: { type: "string" },
} satisfies Options;

const RUN_USAGE = "<spec.yaml> [--set k=v]... [--name N] [--no-cache] [--force <step>]... [--json] [--workers N] [--queues q1,q2] [--no-worker]";
const RESUME_USAGE = "<run-id> [--set k=v]... [--spec edited.yaml] [--name N] [--json] | --continue-stopped <run-id> [branch]...";
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Exit code of a run stopped by Ctrl-C / SIGTERM (128 + SIGINT). */
export const INTERRUPTED = 130;
const ERROR_LINE_MAX = 400;

type RunValues = { "no-cache"?: boolean; force?: string[]; json?: boolean; "no-worker"?: boolean; queues?: string; workers?: string };

export async function runCommand(argv: string[]): Promise<number> {
  const interrupt = onInterrupt(); // Ctrl-C is ours from the start: before the run starts it stops the command
  const { values, positionals } = parse("run", argv, RUN_OPTIONS, RUN_USAGE);
  requirePositional(positionals, 1, "run", RUN_USAGE);
  const file = positionals[0]!;
  if (!existsSync(file)) throw new CliError(`spec file '${file}' does not exist`);
  const { plan, specText } = compileFile(file, values.set as string[] | undefined);
  return execute({ plan, specText, runId: values.name ?? newRunId(plan), values: values as RunValues }, interrupt);
}

export async function resumeCommand(argv: string[]): Promise<number> {
  const interrupt = onInterrupt();
  const { values, positionals } = parse("resume", argv, { ...RUN_OPTIONS, spec: { type: "string" }, "continue-stopped": { type: "boolean" } }, RESUME_USAGE);
  requirePositional(positionals, 1, "resume", RESUME_USAGE);
  const [oldId, ...branches] = positionals as [string, ...string[]];
  if (branches.length > 0 && !values["continue-stopped"]) throw new CliError(`unexpected argument '${branches[0]}'\nusage: mmada resume ${RESUME_USAGE}`);
  const old = withDb((db) => getRun(db, oldId));
  if (!old) throw new CliError(`unknown run '${oldId}'; \`mmada runs\` lists the runs`);
  if (old.run.status === "running") throw new CliError(`run '${oldId}' is still running; wait for it or \`mmada cancel ${oldId}\``);
  const specFile = values.spec ?? old.pipeline.specPath;
  if (values.spec && !existsSync(values.spec)) throw new CliError(`spec file '${values.spec}' does not exist`);
  const specText = values.spec ? readFileSync(values.spec, "utf8") : old.pipeline.specText;
  // the old run's params that the (possibly edited) spec still declares; this command's --set wins
  const stored = JSON.parse(old.run.paramsJson) as Record<string, string | number | boolean>;
  const declared = declaredParams(specText, specFile);
  const kept = Object.fromEntries(Object.entries(stored).filter(([k]) => declared.includes(k)));
  const dropped = Object.keys(stored).filter((k) => !declared.includes(k));
  if (dropped.length > 0 && !values.json) log(`not carried over from ${oldId}: param${dropped.length === 1 ? "" : "s"} ${dropped.join(", ")} (${specFile} no longer declares ${dropped.length === 1 ? "it" : "them"})`);
  const compiled = compileStored(specText, specFile, (values.set as string[] | undefined) ?? [], kept);
  const keepStopped = values["continue-stopped"] ? stoppedToKeep(old, branches, compiled.plan, !values.json) : undefined;
  return execute({ ...compiled, runId: values.name ?? newRunId(compiled.plan), resumedFrom: oldId, keepStopped, values: values as RunValues }, interrupt);
}

/** `--continue-stopped`: the branches the search stopped in `old` that stay stopped (all but
 *  `named`, or none when no branch is named), with why; the others run to their full budget. */
function stoppedToKeep(old: RunDetail, named: string[], plan: Plan, say: boolean): { [stepId: string]: string } {
  const stopped = old.executions.filter((e) => e.execution.state === "stopped").map((e) => e.execution);
  if (stopped.length === 0) throw new CliError(`run '${old.run.id}' has no stopped branch; resume it without --continue-stopped`);
  const ids = stopped.map((e) => e.stepId);
  for (const n of named) if (!ids.includes(n)) throw new CliError(`'${n}' is not a stopped branch of run '${old.run.id}'; stopped: ${ids.join(", ")}`);
  const going = named.length > 0 ? named : ids;
  const inPlan = new Set(plan.steps.map((s) => s.id));
  const keep = Object.fromEntries(stopped.filter((e) => !going.includes(e.stepId) && inPlan.has(e.stepId)).map((e) => [e.stepId, `stopped in run ${old.run.id}: ${e.error ?? "by the search"}`]));
  if (say) log(`continuing ${going.join(", ")} to the full budget; the search judges nothing in this run${Object.keys(keep).length ? `, ${Object.keys(keep).length} other stopped branch(es) stay stopped` : ""}`);
  return keep;
}

interface ExecuteArgs {
  plan: Plan;
  specText: string;
  runId: string;
  resumedFrom?: string;
  keepStopped?: { [stepId: string]: string };
  values: RunValues;
}

function newRunId(plan: Plan): string {
  const t = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${plan.pipeline}-${t}-${randomBytes(2).toString("hex")}`;
}

function gitCommit(): string | undefined {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { stdio: ["ignore", "pipe", "ignore"], encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function workerCount(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= 256)) throw new CliError(`--workers takes a whole number from 1 to 256 (got '${v}')`);
  return n;
}

async function execute(a: ExecuteArgs, interrupt: Interrupt): Promise<number> {
  if (!RUN_ID.test(a.runId)) throw new CliError(`run name '${a.runId}' must match ${RUN_ID.source}`);
  const known = new Set(a.plan.steps.flatMap((s) => [s.id, s.specId]));
  for (const f of a.values.force ?? []) if (!known.has(f)) throw new CliError(`--force ${f}: no such step in ${a.plan.pipeline}`);
  const workers = workerCount(a.values.workers);
  const ws = openWorkspace();
  if (workspaceDiskFull(ws.root)) throw new CliError(`no space left on the device that holds ${ws.root}: a run could not record anything; free some space and run the command again`);
  withDb(() => undefined); // a damaged run database is reported here, before anything starts
  // project files named as inputs enter the store (an unreachable bucket is reported here, too)
  const plan = await withStore((store) => stageInputs(a.plan, store), "owner");
  const say = a.values.json ? () => {} : log;
  const ep = await endpoint(ws.root, say);
  const { client, close } = await connectClient(ep);
  try {
    if (!a.values["no-worker"]) {
      const queues = a.values.queues ? a.values.queues.split(",").filter(Boolean) : [...new Set(a.plan.steps.map((s) => s.queue))];
      await ensurePool(ws.root, ep, { queues, workers, busy: () => withDb((db) => openRuns(db).length > 0), log: say });
    }
    const input: RunPipelineInput = {
      runId: a.runId,
      plan,
      specText: a.specText,
      workspaceId: ws.id,
      dbQueue: dbQueueName(ws.id),
      resumedFrom: a.resumedFrom,
      gitCommit: gitCommit(),
      noCache: a.values["no-cache"],
      force: a.values.force,
      ...(a.keepStopped ? { keepStopped: a.keepStopped } : {}),
    };
    if (interrupt.requested()) throw new CliError("interrupted before the run started; nothing was run", INTERRUPTED);
    let handle: WorkflowHandle;
    try {
      handle = await startRun(client, input);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    interrupt.attach(handle, a.runId);
    say(`run ${a.runId}${a.resumedFrom ? ` (resumes ${a.resumedFrom})` : ""}: ${a.plan.steps.length} steps` + (ep.uiUrl ? `, Temporal UI ${ep.uiUrl}` : ""));
    const started = Date.now();
    const following = follow(handle, say);
    const disk = watchDisk(ws.root, a.runId);
    const outcome = await Promise.race([
      finalStatus(handle).then((s) => ({ status: s })),
      interrupt.detached.then(() => ({ detached: true as const })),
      disk.full,
    ]).catch(async (err: unknown) => {
      disk.stop();
      interrupt.dispose();
      await following.stop();
      if (!(err instanceof ServiceError)) throw err;
      throw new CliError(
        `lost the Temporal server at ${ep.address} while following run ${a.runId} (${err.message}); the run is kept in the server's state` +
          (ep.embedded ? ": `mmada server start` brings the server back and the run continues" : "") + `; \`mmada status ${a.runId}\` follows it`,
      );
    });
    disk.stop();
    interrupt.dispose();
    if ("detached" in outcome) {
      await following.stop();
      process.stderr.write(`left run ${a.runId} running; \`mmada status ${a.runId}\` follows it, \`mmada cancel ${a.runId}\` stops it\n`);
      return INTERRUPTED;
    }
    const status = outcome.status ?? withDb((db) => statusFromDb(db, a.runId));
    await following.stop(status);
    // the evaluation reports and logs the report shows may have been written on other machines
    await withStore((store) => withDbAsync((db) => fetchRunFiles(store, db, [a.runId]))).catch(() => {});
    const { report, stages, sweep } = withDb((db) => {
      const detail = getRun(db, a.runId);
      return { report: writeRunReport(db, ws.root, a.runId) ?? "(none)", stages: stageTableText(db, ws.root, a.runId), sweep: detail && sweepOf(db, detail) };
    });
    printOutcome(a, status, report, started, a.values.json);
    if (sweep && !a.values.json) process.stdout.write(`\n${sweepText(sweep)}\n`);
    if (stages && !a.values.json) process.stdout.write(`\n${stages}\n`);
    if (status.status === "succeeded") return 0;
    return interrupt.requested() && status.status === "cancelled" ? INTERRUPTED : 1;
  } finally {
    interrupt.dispose();
    await close();
  }
}

function printOutcome(a: ExecuteArgs, status: RunStatus, report: string, started: number, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...status, report }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `${table(["step", "status", "time", "error"], status.steps.map((s) => [s.id, s.status, s.finishedAt && s.startedAt ? duration(s.finishedAt - s.startedAt) : undefined, s.error?.split("\n")[0]?.slice(0, ERROR_LINE_MAX)]))}\n`,
    );
    process.stdout.write(`run ${a.runId} ${status.status} in ${duration(Date.now() - started)}; report ${report}\n`);
  }
  if (status.status === "failed") {
    const first = (status.error ?? status.status).split("\n").map((l) => l.trim()).filter(Boolean).join(" ").slice(0, ERROR_LINE_MAX);
    process.stderr.write(`error: run ${a.runId} failed: ${first}; \`mmada resume ${a.runId}\` continues it\n`);
  } else if (status.status === "cancelled") {
    process.stderr.write(`run ${a.runId} cancelled; \`mmada resume ${a.runId}\` continues it\n`);
  }
}

type Interrupt = ReturnType<typeof onInterrupt>;

/** First SIGINT / SIGTERM: cancel the run (Temporal cancels its steps and waits for them), or, before
 *  it started, stop starting it. Second: detach, leaving the run going. */
function onInterrupt() {
  let count = 0;
  let run: { handle: WorkflowHandle; id: string } | undefined;
  let detach!: () => void;
  const detached = new Promise<void>((r) => (detach = r));
  const cancel = (r: NonNullable<typeof run>) => r.handle.cancel().catch((err: Error) => process.stderr.write(`warning: cannot cancel run ${r.id}: ${err.message}\n`));
  const handler = () => {
    count++;
    if (count > 1) return detach();
    process.stderr.write(run ? `cancelling run ${run.id} (its steps stop first; Ctrl-C again leaves it running)\n` : "interrupted: stopping before the run starts\n");
    if (run) void cancel(run);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    detached,
    requested: () => count > 0,
    /** The run started: an interrupt that came while it was starting cancels it now. */
    attach(handle: WorkflowHandle, id: string) {
      run = { handle, id };
      if (count > 0) {
        process.stderr.write(`cancelling run ${id}, which started as it was interrupted\n`);
        void cancel(run);
      }
    },
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** The disk is checked this often while a run is followed, and counts as full after this long. */
const DISK_CHECK_MS = 2000;
const DISK_FULL_FOR_MS = 10_000;

/** Rejects (with what to do) once the workspace's disk has stayed full: the run cannot be recorded,
 *  so following it would wait forever. The run itself goes on once there is room. */
function watchDisk(root: string, runId: string): { full: Promise<never>; stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const full = new Promise<never>((_, reject) => {
    let since: number | undefined;
    timer = setInterval(() => {
      const advice = diskFullAdvice(root, runId);
      if (!advice) since = undefined;
      else if (Date.now() - (since ??= Date.now()) >= DISK_FULL_FOR_MS) reject(new CliError(advice.text));
    }, DISK_CHECK_MS);
  });
  full.catch(() => {}); // handled by the race; a late rejection after the run ended is nobody's
  return { full, stop: () => clearInterval(timer) };
}
