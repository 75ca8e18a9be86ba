// A real S3-compatible server for tests: moto's standalone server (`bash scripts/install-test-tools.sh`
// installs it into .tools/moto), started on a free port and stopped by its pid. Without it the tests
// that need it are skipped, visibly; with MMADA_REQUIRE_S3=1 (CI) they fail instead.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../engine/project.ts";

const SITE = join(PROJECT_ROOT, ".tools", "moto", "site");
const pythonEnv = () => ({ ...process.env, PYTHONPATH: [SITE, process.env.PYTHONPATH].filter(Boolean).join(":") });

/** Why the server cannot start here (undefined when it can). */
export function s3Missing(): string | undefined {
  const r = spawnSync("python3", ["-c", "import moto.server, flask"], { env: pythonEnv(), encoding: "utf8" });
  if (r.status === 0) return undefined;
  return `no S3 test server: python3 cannot import moto.server (${(r.error?.message ?? r.stderr).trim().split("\n").pop()}); bash scripts/install-test-tools.sh installs it into .tools/moto`;
}

/** `skip` for a test that needs the server: the reason, or false (MMADA_REQUIRE_S3=1 never skips). */
export function s3Skip(): string | false {
  const missing = s3Missing();
  if (missing && process.env["MMADA_REQUIRE_S3"] === "1") throw new Error(`MMADA_REQUIRE_S3=1 but ${missing}`);
  return missing ?? false;
}

export interface S3Server {
  endpoint: string;
  pid: number;
  /** The environment a client of this server needs (endpoint, region, test credentials). */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `auth`: the server checks access keys (moto knows none, so every request is refused). */
export async function startS3Server(opts: { auth?: boolean } = {}): Promise<S3Server> {
  const port = await freePort();
  const env = { ...pythonEnv(), ...(opts.auth ? { INITIAL_NO_AUTH_ACTION_COUNT: "0" } : {}) };
  const child: ChildProcess = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto server exited (${child.exitCode}): ${stderr}`);
    const up = await fetch(`${endpoint}/moto-api/`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moto server did not answer on ${endpoint} within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    pid: child.pid!,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(child.pid!, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) process.kill(child.pid!, "SIGKILL");
    },
  };
}

/** Creates a bucket on the server (moto accepts any credentials). */
export async function createBucket(server: S3Server, name: string): Promise<void> {
  const r = await fetch(`${server.endpoint}/${name}`, { method: "PUT" });
  if (!r.ok) throw new Error(`creating bucket ${name}: HTTP ${r.status} ${await r.text()}`);
}
