// mmada: the command-line entry. Every user-facing failure ends as one `error: ...` line and
// exit code 1; MMADA_DEBUG=1 shows stack traces.
import { CliError, HelpRequested, systemErrorAsCliError } from "./terminal.ts";
import { workspaceRoot } from "../engine/store/workspace.ts";

const COMMANDS: Record<string, { summary: string; load: () => Promise<(argv: string[]) => Promise<number>>; hidden?: boolean }> = {
  validate: { summary: "check a spec; every error with file:line:col", load: async () => (await import("./commands/validate.ts")).validateCommand },
  plan: { summary: "show the DAG and what would run or be reused", load: async () => (await import("./commands/plan.ts")).planCommand },
  run: { summary: "run a pipeline (embedded Temporal unless TEMPORAL_ADDRESS)", load: async () => (await import("./commands/run.ts")).runCommand },
  resume: { summary: "rerun a failed run, reusing every unchanged step", load: async () => (await import("./commands/run.ts")).resumeCommand },
  cancel: { summary: "cancel a running run (its steps stop; the run ends cancelled)", load: async () => (await import("./commands/cancel.ts")).cancelCommand },
  runs: { summary: "list runs", load: async () => (await import("./commands/inspect.ts")).runsCommand },
  status: { summary: "one run's steps, states and metrics", load: async () => (await import("./commands/inspect.ts")).statusCommand },
  compare: { summary: "runs side by side: differing params, stage benchmarks with intervals, curves", load: async () => (await import("./commands/compare.ts")).compareCommand },
  lineage: { summary: "what produced a run's or an artifact's data, and what used it", load: async () => (await import("./commands/inspect.ts")).lineageCommand },
  report: { summary: "write a run's HTML report (curves, benchmarks, samples)", load: async () => (await import("./commands/report.ts")).reportCommand },
  ui: { summary: "the web UI over the run database (runs, a run, compare, lineage)", load: async () => (await import("./commands/ui.ts")).uiCommand },
  sample: { summary: "generate text or a digit image from a run's checkpoint", load: async () => (await import("./commands/sample.ts")).sampleCommand },
  gc: { summary: "list (and with --yes delete) stored artifacts and checkpoints no run references", load: async () => (await import("./commands/gc.ts")).gcCommand },
  server: { summary: "start/stop/status of the embedded Temporal dev server and the workspace's workers", load: async () => (await import("./commands/server.ts")).serverCommand },
  worker: { summary: "run a worker for step queues (and the run database)", load: async () => (await import("./commands/server.ts")).workerCommand },
  pool: { summary: "the workspace's long-lived workers (started by run and server start)", load: async () => (await import("./commands/server.ts")).poolCommand, hidden: true },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: mmada <command> [options]   (mmada <command> --help for its options)",
    "",
    ...Object.entries(COMMANDS).filter(([, c]) => !c.hidden).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "environment: MMADA_HOME (workspace, default ./.mmada), TEMPORAL_ADDRESS (use a cluster), MMADA_STORE (s3://bucket/prefix: artifacts in a bucket), MMADA_BACKEND (auto|tensorflow|wasm|cpu)",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    const close = Object.keys(COMMANDS).find((c) => c.startsWith(name.slice(0, 3)));
    throw new CliError(`unknown command '${name}'${close ? ` (did you mean '${close}'?)` : ""}; \`mmada --help\` lists them`);
  }
  try {
    return await (await command.load())(rest);
  } catch (err) {
    if (!(err instanceof HelpRequested)) throw err;
    process.stdout.write(`${err.message}\n`);
    return 0;
  }
}

/** Exit only after stdout and stderr are flushed (pipes are asynchronous in Node). */
function exit(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (thrown: unknown) => {
    if (process.env.MMADA_DEBUG) console.error(thrown);
    const err = systemErrorAsCliError(thrown, workspaceRoot()) ?? thrown;
    const msg = err instanceof Error ? err.message : String(err);
    // located spec errors come first, one per line; the summary is the `error:` line
    const lines = msg.split("\n");
    const summary = err instanceof CliError && lines.length > 1 && !lines[lines.length - 1]!.startsWith("usage:") ? lines.pop()! : lines.shift()!;
    const rest = lines.length ? `${lines.join("\n")}\n` : "";
    process.stderr.write(err instanceof CliError && rest && !rest.startsWith("usage:") ? `${rest}error: ${summary}\n` : `error: ${summary}\n${rest}`);
    exit(err instanceof CliError ? err.exitCode : 1);
  },
);
