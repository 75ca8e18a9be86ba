// The built-in `command` step kind: a shell command with declared input and output files
// (DVC-style). Inputs arrive as artifacts (env MMADA_IN_<NAME>), outputs are written under
// $MMADA_OUT and stored as artifacts. stdout/stderr go to the step log; the tail of stderr is
// the error message when the command fails.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ArtifactRef, StepResult } from "../../contract/step-io.ts";
import { BadInputError } from "../../contract/failures.ts";
import { type StepContext, stepOptions } from "../kit/step-context.ts";
import type { CommandWith } from "./kind.ts";

/** The inputs hold artifacts; a gather step's input holds one per matrix branch (their paths are
 *  joined by spaces). */
type CommandOptions = Omit<CommandWith, "inputs"> & { inputs?: Record<string, ArtifactRef | ArtifactRef[]> };

const STDERR_TAIL_LINES = 8;

function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

export async function run(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const w = stepOptions<CommandOptions>(ctx, raw);
  const out = join(ctx.scratch, "out");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MMADA_OUT: out,
    MMADA_RUN_ID: ctx.input.runId,
    MMADA_STEP_ID: ctx.input.step.id,
    MMADA_HOME: ctx.root,
  };
  for (const [name, ref] of Object.entries(w.inputs ?? {})) {
    env[`MMADA_IN_${envName(name)}`] = (Array.isArray(ref) ? ref : [ref]).map((r) => ctx.pathOf(r)).join(" ");
  }
  await import("node:fs/promises").then((fs) => fs.mkdir(out, { recursive: true }));

  const started = Date.now();
  const ticker = setInterval(() => ctx.progress({ message: `running for ${Math.round((Date.now() - started) / 1000)}s` }), 1000);
  let code: number | null;
  let stderrTail: string[] = [];
  try {
    ({ code, stderrTail } = await spawnShell("bash", w.run, env, ctx));
  } finally {
    clearInterval(ticker);
  }
  if (ctx.signal.aborted) throw new Error("command cancelled");
  if (code !== 0) {
    const tail = stderrTail.length ? `: ${stderrTail.join(" | ")}` : "";
    throw new Error(`command exited with code ${code}${tail}`);
  }

  const artifacts: Record<string, ArtifactRef> = {};
  for (const [name, decl] of Object.entries(w.outputs ?? {})) {
    const { path, kind } = typeof decl === "string" ? { path: decl, kind: undefined } : decl;
    const file = join(out, path);
    if (!existsSync(file)) {
      throw new BadInputError(`declared output '${name}' (${path}) was not written under $MMADA_OUT by the command`);
    }
    artifacts[name] = await ctx.store(file, kind ?? "file");
  }
  return { artifacts, metrics: [{ key: "duration_s", value: (Date.now() - started) / 1000 }] };
}

function spawnShell(
  shell: string,
  script: string,
  env: NodeJS.ProcessEnv,
  ctx: StepContext,
): Promise<{ code: number | null; stderrTail: string[] }> {
  return new Promise((resolve, reject) => {
    // detached: the command gets its own process group, so cancelling kills its children too
    const child = spawn(shell, ["-c", script], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const tail: string[] = [];
    child.stdout.on("data", (b: Buffer) => ctx.log(b.toString()));
    child.stderr.on("data", (b: Buffer) => {
      const text = b.toString();
      ctx.log(text);
      for (const line of text.split("\n").filter((l) => l.trim())) {
        tail.push(line.trim());
        if (tail.length > STDERR_TAIL_LINES) tail.shift();
      }
    });
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    };
    // The command has its own process group (so a cancel reaches its children), which also means
    // it would outlive a worker killed with -9: a detached watchdog ends the group when we die.
    const watchdog = child.pid ? orphanGuard(process.pid, child.pid) : undefined;
    ctx.signal.addEventListener("abort", kill, { once: true });
    child.on("error", (err) => reject(new BadInputError(`cannot start shell '${shell}': ${err.message}`)));
    child.on("close", (code) => {
      ctx.signal.removeEventListener("abort", kill);
      watchdog?.kill("SIGKILL");
      resolve({ code, stderrTail: tail });
    });
  });
}

const WATCH_INTERVAL_S = 1;

function orphanGuard(workerPid: number, groupPid: number) {
  const script = `while kill -0 ${workerPid} 2>/dev/null; do sleep ${WATCH_INTERVAL_S}; done; kill -KILL -${groupPid} 2>/dev/null`;
  const guard = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  guard.unref();
  return guard;
}
