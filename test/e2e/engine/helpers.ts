// Shared helpers for the end-to-end engine tests: a fresh workspace (MMADA_HOME) per test file
// with its own embedded Temporal dev server, and the real CLI run as a subprocess. Re-exports the
// process helpers (processes.ts) and the read-only run-database queries (run-db.ts), so a test
// imports everything from here. No engine code is imported: tests see what a user sees.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { killByEnv, killTree } from "./processes.ts";

export * from "./processes.ts";
export * from "./run-db.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const DIAMOND = "pipelines/examples/diamond.yaml";
export const LONG_STEP = "test/e2e/engine/specs/long-step.yaml";

/** A CLI command that hangs is a failure, not a reason to hang the suite. */
const COMMAND_TIMEOUT_MS = 180_000;
const POLL_MS = 200;
/** A stack frame line, as node prints them: what a user-facing error must never show. */
export const STACK_FRAME = /^\s+at /m;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface TestWorkspace {
  home: string;
  env: NodeJS.ProcessEnv;
  /** Background processes started through `spawnCli`, killed (whole groups) by `dispose`. */
  children: ChildProcess[];
}

/** A fresh workspace. TEMPORAL_ADDRESS is dropped so every test uses the workspace's dev server. */
export function makeWorkspace(label: string): TestWorkspace {
  const home = mkdtempSync(join(tmpdir(), `mmada-e2e-${label}-`));
  const env: NodeJS.ProcessEnv = { ...process.env, MMADA_HOME: home };
  delete env.TEMPORAL_ADDRESS;
  delete env.MMADA_DEBUG;
  return { home, env, children: [] };
}

/** Runs `node bin/mmada.js <args>` from the repo root and waits for it. */
export function cli(ws: TestWorkspace, args: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<CliResult> {
  const child = spawn(process.execPath, ["bin/mmada.js", ...args], { cwd: REPO_ROOT, env: ws.env, stdio: ["ignore", "pipe", "pipe"] });
  return collect(child, `mmada ${args.join(" ")}`, timeoutMs);
}

/** Like `cli`, but parses stdout as JSON (and says which command printed what when it is not). */
export async function cliJson<T>(ws: TestWorkspace, args: string[]): Promise<{ code: number | null; json: T; stderr: string }> {
  const r = await cli(ws, args);
  return { code: r.code, json: parseJson<T>(r, args), stderr: r.stderr };
}

export function parseJson<T>(r: CliResult, args: string[]): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`mmada ${args.join(" ")} printed no JSON (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** Starts the CLI in the background in its own process group (so the test can kill it and its children). */
export function spawnCli(ws: TestWorkspace, args: string[]): ChildProcess & { output: Promise<CliResult> } {
  const child = spawn(process.execPath, ["bin/mmada.js", ...args], {
    cwd: REPO_ROOT,
    env: ws.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  ws.children.push(child);
  return Object.assign(child, { output: collect(child, `mmada ${args.join(" ")}`, COMMAND_TIMEOUT_MS) });
}

function collect(child: ChildProcess, what: string, timeoutMs: number): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      rej(new Error(`${what} did not finish within ${timeoutMs / 1000} s\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", (err) => (clearTimeout(timer), rej(err)));
    child.on("close", (code) => (clearTimeout(timer), res({ code, stdout, stderr })));
  });
}

/** Starts the workspace's dev server up front (without workers: `mmada run` starts those, or a test
 *  runs its own), so the first timed command does not pay for it. */
export async function startServer(ws: TestWorkspace): Promise<void> {
  const r = await cli(ws, ["server", "start", "--workers", "0"]);
  if (r.code !== 0) throw new Error(`mmada server start failed (exit ${r.code}): ${r.stderr}`);
}

/** Kills leftover background processes, stops the dev server, removes the workspace. */
export async function dispose(ws: TestWorkspace): Promise<void> {
  for (const c of ws.children) if (c.pid && c.exitCode === null && c.signalCode === null) killTree(c.pid);
  await cli(ws, ["server", "stop"], 30_000).catch(() => undefined);
  killByEnv("MMADA_HOME", ws.home);
  rmSync(ws.home, { recursive: true, force: true });
}

/** Polls until `probe` returns a value (not undefined/false), or fails saying what it waited for. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Resolves when the background CLI has printed `pattern` on stderr (e.g. a worker's ready line). */
export function waitForStderr(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  let seen = "";
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`timed out waiting for ${pattern} on stderr; got: ${seen}`)), timeoutMs);
    const onData = (b: Buffer) => {
      seen += b.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stderr?.off("data", onData);
        res();
      }
    };
    child.stderr?.on("data", onData);
    child.once("close", (code) => (clearTimeout(timer), rej(new Error(`exited (${code}) before printing ${pattern}: ${seen}`))));
  });
}

// ---- the run's JSON status (`run --json`, workflows/run-pipeline.ts RunStatus) ----------------

export interface StepStatusJson {
  id: string;
  status: string;
  error?: string;
  startedAt?: number;
  finishedAt?: number;
  cachedFrom?: string;
}

export interface RunStatusJson {
  runId: string;
  status: string;
  steps: StepStatusJson[];
  error?: string;
}

export const stepStates = (s: RunStatusJson) => Object.fromEntries(s.steps.map((x) => [x.id, x.status]));
export const stepOf = (s: RunStatusJson, id: string) => s.steps.find((x) => x.id === id);
