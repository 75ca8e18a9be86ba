// `mmada server [start|stop|status]` and `mmada worker`: run the embedded Temporal dev server
// and workers separately (e.g. several workers, or workers on other machines with TEMPORAL_ADDRESS).
import { openWorkspace } from "../../engine/store/workspace.ts";
import { ensureDevServer, stopDevServer } from "../../engine/temporal/dev-server.ts";
import { endpoint } from "../../engine/temporal/connection.ts";
import { startWorkers } from "../../engine/temporal/worker.ts";
import { WORKER_READY_LINE } from "../../engine/temporal/step-worker-process.ts";
import { parse } from "../args.ts";
import { log } from "../context.ts";
import { CliError } from "../errors.ts";

export async function serverCommand(argv: string[]): Promise<number> {
  const usage = "[start|stop|status]";
  const { positionals } = parse("server", argv, {}, usage);
  const action = positionals[0] ?? "start";
  const ws = openWorkspace();
  if (process.env.TEMPORAL_ADDRESS) throw new CliError(`TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS} is set: the cluster is managed outside mmada`);
  if (action === "stop") {
    log((await stopDevServer(ws.root)) ? "stopped the Temporal dev server" : "no Temporal dev server was running");
    return 0;
  }
  if (action !== "start" && action !== "status") throw new CliError(`unknown action '${action}'\nusage: mmada server ${usage}`);
  const s = await ensureDevServer(ws.root, log);
  process.stdout.write(`Temporal dev server ${s.started ? "started" : "running"} at ${s.address} (pid ${s.pid}), Web UI ${s.uiUrl}\n`);
  return 0;
}

export async function workerCommand(argv: string[]): Promise<number> {
  const usage = "[--task-queue q]... [--no-db] [--max-steps N]";
  // --record and --ready-line are for the step worker that `mmada run` starts
  const { values } = parse(
    "worker",
    argv,
    {
      "task-queue": { type: "string", multiple: true },
      "no-db": { type: "boolean" },
      "max-steps": { type: "string" },
      record: { type: "boolean" },
      "ready-line": { type: "boolean" },
    },
    usage,
  );
  const ws = openWorkspace();
  const ep = await endpoint(ws.root, log);
  const queues = (values["task-queue"] as string[] | undefined) ?? ["default"];
  const maxSteps = values["max-steps"] === undefined ? undefined : Number(values["max-steps"]);
  if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps > 0)) throw new CliError("--max-steps takes a positive whole number");
  const workers = await startWorkers({ ws, ep, queues, serveDb: !values["no-db"], recordProgress: values.record, maxConcurrentSteps: maxSteps });
  if (values["ready-line"]) process.stdout.write(`${WORKER_READY_LINE}\n`);
  else log(`worker ${process.pid} on ${ep.address}: step queues ${queues.join(", ")}${values["no-db"] ? "" : " + the run database"} (Ctrl-C to stop)`);
  const stop = () => workers.shutdown();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await workers.runForever();
  return 0;
}
