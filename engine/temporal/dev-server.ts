// The embedded default: a Temporal dev server whose state lives in the workspace
// (<ws>/temporal/), started once and reused by later commands. A lock file keeps two commands
// that start at the same moment from launching two servers.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { join } from "node:path";
import { withFileLock } from "../store/workspace.ts";
import { DEV_SERVER_SEARCH_ATTRIBUTES } from "./search-attributes.ts";
import { PROJECT_ROOT } from "../project.ts";

export interface DevServer {
  address: string;
  uiUrl: string;
  pid: number;
  started: boolean;
}

const DEFAULT_PORT = 7233;
const READY_TIMEOUT_MS = 60_000;
const STALE_LOCK_MS = 90_000;

/** The Temporal CLI: the project-local install (npm install puts it there), else `temporal` on PATH. */
export function temporalBinary(): string {
  const local = join(PROJECT_ROOT, ".tools/temporal/bin/temporal");
  if (existsSync(local)) return local;
  const found = spawnSync("sh", ["-c", "command -v temporal"], { encoding: "utf8" }).stdout.trim();
  if (found) return found;
  throw new Error("the Temporal CLI is not installed: run `npm install` (it installs it into .tools/) or put `temporal` on PATH");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = new Socket();
    s.setTimeout(500);
    s.once("connect", () => (s.destroy(), res(true)));
    s.once("timeout", () => (s.destroy(), res(false)));
    s.once("error", () => res(false));
    s.connect(port, "127.0.0.1");
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once("error", () => res(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => res(true)));
  });
}

async function freePort(preferred: number): Promise<number> {
  for (let p = preferred; p < preferred + 200; p += 2) {
    if ((await portFree(p)) && (await portFree(p + 1000))) return p;
  }
  throw new Error(`no free port for the Temporal dev server near ${preferred}`);
}

interface ServerFile {
  pid: number;
  port: number;
  uiPort: number;
}

/** Starts the workspace's dev server, or returns the one already running. */
export async function ensureDevServer(workspaceRoot: string, log: (msg: string) => void = () => {}): Promise<DevServer> {
  const dir = join(workspaceRoot, "temporal");
  mkdirSync(dir, { recursive: true });
  const infoFile = join(dir, "server.json");
  const running = await current(infoFile);
  if (running) return { ...running, started: false };
  return withFileLock(join(dir, "server.lock"), { timeoutMs: READY_TIMEOUT_MS, staleMs: STALE_LOCK_MS, what: "Temporal dev server" }, async () => {
    const again = await current(infoFile);
    return again ? { ...again, started: false } : launch(dir, infoFile, log);
  });
}

async function current(infoFile: string): Promise<Omit<DevServer, "started"> | undefined> {
  if (!existsSync(infoFile)) return undefined;
  try {
    const info = JSON.parse(readFileSync(infoFile, "utf8")) as ServerFile;
    if (alive(info.pid) && (await portOpen(info.port))) return describe(info);
  } catch {
    // unreadable: start afresh
  }
  return undefined;
}

function describe(info: ServerFile): Omit<DevServer, "started"> {
  return { address: `127.0.0.1:${info.port}`, uiUrl: `http://127.0.0.1:${info.uiPort}`, pid: info.pid };
}

const LAUNCH_TRIES = 5;
/** A server that binds then dies (port taken by a racing launch) shows within this window. */
const SETTLE_MS = 1000;

async function launch(dir: string, infoFile: string, log: (msg: string) => void): Promise<DevServer> {
  // a server restarted after a crash takes its old port back when it can: the workspace's workers,
  // still retrying that address, reconnect and runs continue from the state on disk
  let preferred = previousPort(infoFile) ?? DEFAULT_PORT;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(preferred);
    const started = await tryLaunch(dir, port, log);
    if (started) {
      writeFileSync(infoFile, JSON.stringify(started) + "\n");
      return { ...describe(started), started: true };
    }
    // another workspace's server took the port between our check and its bind: try further up
    if (attempt >= LAUNCH_TRIES) throw new Error(`the Temporal dev server failed to start ${LAUNCH_TRIES} times; see ${join(dir, "server.log")}`);
    preferred = port + 2;
  }
}

function previousPort(infoFile: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(infoFile, "utf8")) as ServerFile).port;
  } catch {
    return undefined;
  }
}

/** Starts a server on `port`; undefined when it exited (e.g. the port was taken meanwhile). */
async function tryLaunch(dir: string, port: number, log: (msg: string) => void): Promise<ServerFile | undefined> {
  const uiPort = port + 1000;
  const out = openSync(join(dir, "server.log"), "a");
  const child = spawn(
    temporalBinary(),
    [
      "server", "start-dev",
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--ui-port", String(uiPort),
      "--db-filename", join(dir, "temporal.db"),
      "--log-level", "warn",
      ...DEV_SERVER_SEARCH_ATTRIBUTES,
    ],
    { detached: true, stdio: ["ignore", out, out] },
  );
  child.unref();
  closeSync(out);
  const info: ServerFile = { pid: child.pid!, port, uiPort };
  log(`starting the Temporal dev server on 127.0.0.1:${port} (UI http://127.0.0.1:${uiPort}, state in ${dir})`);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await portOpen(port))) {
    if (!alive(info.pid)) return undefined;
    if (Date.now() > deadline) throw new Error(`the Temporal dev server did not open port ${port} within 60 s; see ${join(dir, "server.log")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // the open port may belong to a racing launch: ours must still be alive once things settle
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  return alive(info.pid) ? info : undefined;
}

/** The workspace's dev server when it runs (never starts one). */
export async function devServerStatus(workspaceRoot: string): Promise<Omit<DevServer, "started"> | undefined> {
  return current(join(workspaceRoot, "temporal", "server.json"));
}

/** Stops the workspace's dev server if it runs. */
export async function stopDevServer(workspaceRoot: string): Promise<boolean> {
  const infoFile = join(workspaceRoot, "temporal", "server.json");
  const running = await current(infoFile);
  if (!running) return false;
  process.kill(running.pid, "SIGTERM");
  for (let i = 0; i < 50 && alive(running.pid); i++) await new Promise((r) => setTimeout(r, 100));
  rmSync(infoFile, { force: true });
  return true;
}
