// `mmada run` and `mmada resume`: compile, make sure Temporal and a worker are there, submit
// the plan, follow it, print the outcome. Exit code 0 only when the run succeeded.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dbQueueName } from "../../contract/ids.ts";
import { openWorkspace } from "../../engine/store/workspace.ts";
import { connectClient, endpoint } from "../../engine/temporal/connection.ts";
import { stageInputs } from "../../engine/store/stage-inputs.ts";
import { startRun } from "../../engine/temporal/submit.ts";
import { spawnStepWorker } from "../../engine/temporal/step-worker-process.ts";
import { startWorkers } from "../../engine/temporal/worker.ts";
import type { Plan } from "../../contract/plan.ts";
import { getRun } from "../../runs/index.ts";
import { writeRunReport } from "../../report/html-report.ts";
import type { RunPipelineInput, RunStatus } from "../../contract/run.ts";
import { parse, requirePositional, type Options } from "../args.ts";
import { compileFile, compileStored } from "../compile.ts";
import { log, withDb } from "../context.ts";
import { CliError } from "../errors.ts";
import { follow } from "../follow.ts";
import { duration, table } from "../render.ts";

const RUN_OPTIONS = {
  set: { type: "string", multiple: true },
  name: { type: "string" },
  "no-cache": { type: "boolean" },
  force: { type: "string", multiple: true },
  json: { type: "boolean" },
  "no-worker": { type: "boolean" },
  queues: { type: "string" },
} satisfies Options;

const RUN_USAGE = "<spec.yaml> [--set k=v]... [--name N] [--no-cache] [--force <step>]... [--json] [--no-worker] [--queues q1,q2]";
const RESUME_USAGE = "<run-id> [--set k=v]... [--spec edited.yaml] [--name N] [--json]";
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("run", argv, RUN_OPTIONS, RUN_USAGE);
  requirePositional(positionals, 1, "run", RUN_USAGE);
  const file = positionals[0]!;
  if (!existsSync(file)) throw new CliError(`spec file '${file}' does not exist`);
  const { plan, specText } = compileFile(file, values.set as string[] | undefined);
  return execute({ plan, specText, runId: values.name ?? newRunId(plan), values });
}

export async function resumeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("resume", argv, { ...RUN_OPTIONS, spec: { type: "string" } }, RESUME_USAGE);
  requirePositional(positionals, 1, "resume", RESUME_USAGE);
  const oldId = positionals[0]!;
  const old = withDb((db) => getRun(db, oldId));
  if (!old) throw new CliError(`unknown run '${oldId}'; \`mmada runs\` lists the runs`);
  if (old.run.status === "running") throw new CliError(`run '${oldId}' is still running; wait for it or cancel it first`);
  const specFile = values.spec ?? old.pipeline.specPath;
  if (values.spec && !existsSync(values.spec)) throw new CliError(`spec file '${values.spec}' does not exist`);
  const specText = values.spec ? readFileSync(values.spec, "utf8") : old.pipeline.specText;
  // the old run's params, then this command's --set on top (later wins)
  const params = JSON.parse(old.run.paramsJson) as Record<string, string | number | boolean>;
  const set = [...Object.entries(params).map(([k, v]) => `${k}=${v}`), ...((values.set as string[] | undefined) ?? [])];
  const compiled = compileStored(specText, specFile, set);
  return execute({ ...compiled, runId: values.name ?? newRunId(compiled.plan), resumedFrom: oldId, values });
}

interface ExecuteArgs {
  plan: Plan;
  specText: string;
  runId: string;
  resumedFrom?: string;
  values: { "no-cache"?: boolean; force?: string[] | string[]; json?: boolean; "no-worker"?: boolean; queues?: string };
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

async function execute(a: ExecuteArgs): Promise<number> {
  if (!RUN_ID.test(a.runId)) throw new CliError(`run name '${a.runId}' must match ${RUN_ID.source}`);
  const known = new Set(a.plan.steps.flatMap((s) => [s.id, s.specId]));
  for (const f of a.values.force ?? []) if (!known.has(f)) throw new CliError(`--force ${f}: no such step in ${a.plan.pipeline}`);
  const ws = openWorkspace();
  const quiet = !!a.values.json;
  const say = quiet ? () => {} : log;
  const ep = await endpoint(ws.root, say);
  const { client, close } = await connectClient(ep);
  const queues = a.values.queues ? a.values.queues.split(",").filter(Boolean) : a.plan.steps.map((s) => s.queue);
  const local = !a.values["no-worker"];
  // the step worker process starts while this process bundles and starts its own worker
  const [workers, stepWorker] = await Promise.all([
    local ? startWorkers({ ws, ep, queues: [], serveDb: true }) : undefined,
    local && queues.length ? spawnStepWorker(ep, ws.root, queues) : undefined,
  ]);
  const input: RunPipelineInput = {
    runId: a.runId,
    plan: await stageInputs(a.plan, ws.root),
    specText: a.specText,
    dbQueue: dbQueueName(ws.id),
    resumedFrom: a.resumedFrom,
    gitCommit: gitCommit(),
    noCache: a.values["no-cache"],
    force: a.values.force,
  };
  let handle;
  try {
    handle = await startRun(client, input);
  } catch (err) {
    workers?.shutdown();
    await stepWorker?.stop();
    await close();
    throw new CliError((err as Error).message);
  }
  say(`run ${a.runId}${a.resumedFrom ? ` (resumes ${a.resumedFrom})` : ""}: ${a.plan.steps.length} steps` + (ep.uiUrl ? `, UI ${ep.uiUrl}` : ""));
  const onSigint = () => {
    say("cancelling (Ctrl-C again to leave it running)...");
    void handle.signal("cancel");
    process.once("SIGINT", () => process.exit(130));
  };
  process.once("SIGINT", onSigint);
  const stopFollowing = follow(handle, say);
  const started = Date.now();
  let status: RunStatus;
  try {
    const result = (handle.result() as Promise<RunStatus>).finally(stopFollowing);
    status = workers ? await workers.run(result) : await result;
  } finally {
    process.off("SIGINT", onSigint);
    await stepWorker?.stop();
    await close();
  }
  const report = withDb((db) => writeRunReport(db, ws.root, a.runId));
  if (a.values.json) process.stdout.write(`${JSON.stringify({ ...status, report }, null, 2)}\n`);
  else {
    process.stdout.write(
      `${table(["step", "status", "time", "error"], status.steps.map((s) => [s.id, s.status, s.finishedAt && s.startedAt ? duration(s.finishedAt - s.startedAt) : undefined, s.error]))}\n`,
    );
    process.stdout.write(`run ${a.runId} ${status.status} in ${duration(Date.now() - started)}; report ${report}\n`);
  }
  if (status.status !== "succeeded") {
    const ERROR_LINE_MAX = 400;
    const first = (status.error ?? status.status).split("\n").map((l) => l.trim()).filter(Boolean).join(" ").slice(0, ERROR_LINE_MAX);
    process.stderr.write(`error: run ${a.runId} ${status.status}: ${first}; \`mmada resume ${a.runId}\` continues it\n`);
  }
  return status.status === "succeeded" ? 0 : 1;
}
