// Workspaces that share one Temporal (a cluster, or one machine's dev server after a crash) never
// run each other's steps: a step's task queue carries its workspace's id, so every artifact a
// workspace records is in its own store and nothing it runs lands in the other's. Workers whose
// server died do not live on to serve another workspace's server; `server stop` stops the workers
// a workspace started against a cluster.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { alive, cli, cliJson, DIAMOND, dispose, makeWorkspace, waitFor, withRunDb, workerId, type TestWorkspace } from "./helpers.ts";

interface RunJson {
  runId: string;
  status: string;
  steps: { id: string; status: string }[];
}
interface PoolJson {
  pid: number;
  stepWorkerPids: number[];
}

const serverOf = (ws: TestWorkspace) => JSON.parse(readFileSync(join(ws.home, "temporal", "server.json"), "utf8")) as { pid: number; port: number; uiPort: number };
const poolOf = (ws: TestWorkspace): PoolJson | undefined => {
  const file = join(ws.home, "workers", "pool.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as PoolJson) : undefined;
};
const workspaceIdOf = (ws: TestWorkspace) => (JSON.parse(readFileSync(join(ws.home, "workspace.json"), "utf8")) as { id: string }).id;

/** Every file of a workspace's artifact store, as `artifacts/...` paths. */
function storeFiles(ws: TestWorkspace): Set<string> {
  const out = new Set<string>();
  const walk = (rel: string) => {
    const abs = join(ws.home, rel);
    if (!existsSync(abs)) return;
    for (const e of readdirSync(abs, { withFileTypes: true })) e.isDirectory() ? walk(`${rel}/${e.name}`) : out.add(`${rel}/${e.name}`);
  };
  walk("artifacts");
  return out;
}

/** The artifacts a workspace's run database records (outputs and inputs of every run), and the
 *  workers that ran the executions of `runIds`. */
function recorded(ws: TestWorkspace, runIds: string[]): { uris: string[]; workers: string[] } {
  const marks = runIds.map(() => "?").join(", ");
  return withRunDb(ws, (db) => ({
    uris: (db.prepare("SELECT uri FROM artifacts").all() as { uri: string }[]).map((r) => r.uri),
    workers: (db.prepare(`SELECT DISTINCT worker FROM executions WHERE state = 'succeeded' AND run_id IN (${marks})`).all(...runIds) as { worker: string }[]).map((r) => r.worker),
  }));
}

/** An artifact uri names a file in the store, or a folder holding the files of a dir artifact. */
function inStore(files: Set<string>, uri: string): boolean {
  return files.has(uri) || [...files].some((f) => f.startsWith(`${uri}/`));
}

function assertOwnStore(ws: TestWorkspace, other: TestWorkspace, label: string, runIds: string[]): void {
  const mine = storeFiles(ws);
  const theirs = storeFiles(other);
  const { uris, workers } = recorded(ws, runIds);
  assert.ok(uris.length > 0, `${label} recorded no artifact`);
  const missing = uris.filter((u) => !inStore(mine, u));
  assert.deepEqual(missing, [], `${label} records artifacts that are not in its store`);
  // the diamond writes per-workspace content (the workspace's path is in no output, but the run ids
  // differ): nothing of this workspace's own outputs may exist only in the other's store
  const strays = uris.filter((u) => !inStore(mine, u) && inStore(theirs, u));
  assert.deepEqual(strays, [], `${label}'s artifacts landed in the other workspace's store`);
  const pool = poolOf(ws);
  if (pool) {
    const own = new Set([pool.pid, ...pool.stepWorkerPids].map(workerId));
    assert.deepEqual(workers.filter((w) => !own.has(w)), [], `${label}'s steps ran on workers that are not its own (${[...own].join(", ")})`);
  }
}

let cluster: TestWorkspace;
let a: TestWorkspace;
let b: TestWorkspace;
before(() => {
  cluster = makeWorkspace("cluster");
  a = makeWorkspace("shared-a");
  b = makeWorkspace("shared-b");
});
after(async () => {
  for (const ws of [a, b, cluster]) await dispose(ws);
});

test("two workspaces on one Temporal cluster, at once: each runs its own steps into its own store; server stop stops its workers (an owner's killed too)", { timeout: 240_000 }, async () => {
  const started = await cli(cluster, ["server", "start", "--workers", "0"]);
  assert.equal(started.code, 0, started.stderr);
  const address = `127.0.0.1:${serverOf(cluster).port}`;
  for (const ws of [a, b]) ws.env.TEMPORAL_ADDRESS = address;
  // different params give the two workspaces different outputs: a step run by the wrong workspace
  // would leave an artifact recorded in one store and present only in the other
  const [ra, rb] = await Promise.all([
    cliJson<RunJson>(a, ["run", DIAMOND, "--name", "ra", "--set", "n=5", "--json"]),
    cliJson<RunJson>(b, ["run", DIAMOND, "--name", "rb", "--set", "n=7", "--json"]),
  ]);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);
  assert.notEqual(workspaceIdOf(a), workspaceIdOf(b));
  assertOwnStore(a, b, "workspace a", ["ra"]);
  assertOwnStore(b, a, "workspace b", ["rb"]);

  for (const ws of [a, b]) {
    const pool = poolOf(ws);
    assert.ok(pool, "`mmada run` against a cluster starts the workspace's workers");
    if (ws === b) {
      // an owner killed without warning: the step workers it leaves are stopped all the same
      process.kill(pool.pid, "SIGKILL");
      await waitFor("the pool owner to die", () => !alive(pool.pid), 10_000);
    }
    const stop = await cli(ws, ["server", "stop"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stderr, /stopped the workspace's workers; the cluster at .* is managed outside mmada/);
    const pids = [pool.pid, ...pool.stepWorkerPids];
    await waitFor("the workspace's workers to exit", () => pids.every((p) => !alive(p)), 30_000);
  }
  assert.ok(alive(serverOf(cluster).pid), "server stop in a workspace must leave the cluster alone");
});

test("a dev server killed alone: the next workspace's server takes its port, the orphaned workers take none of its steps and stop", { timeout: 300_000 }, async () => {
  for (const ws of [a, b]) delete ws.env.TEMPORAL_ADDRESS;
  const up = await cli(a, ["server", "start", "--workers", "1"]);
  assert.equal(up.code, 0, up.stderr);
  const first = await cliJson<RunJson>(a, ["run", DIAMOND, "--name", "a1", "--json"]);
  assert.equal(first.code, 0, first.stderr);
  const orphans = poolOf(a)!;
  const server = serverOf(a);
  process.kill(server.pid, "SIGKILL"); // the server dies alone: a's workers keep polling its address
  await waitFor("a's dev server to die", () => !alive(server.pid), 10_000);
  const storeOfA = storeFiles(a);

  // b's server takes the freed port, as a crashed server's restart would
  mkdirSync(join(b.home, "temporal"), { recursive: true });
  writeFileSync(join(b.home, "temporal", "server.json"), JSON.stringify({ pid: 0, port: server.port, uiPort: server.uiPort }));
  for (let i = 1; i <= 3; i++) {
    const r = await cliJson<RunJson>(b, ["run", DIAMOND, "--name", `b${i}`, "--set", `n=${10 + i}`, "--json"]);
    assert.equal(r.code, 0, `b's run ${i}: ${r.stderr}`);
    assert.equal(r.json.status, "succeeded");
  }
  assert.equal(serverOf(b).port, server.port, "b's server did not take a's old port: the test did not test the crash case");
  assertOwnStore(b, a, "workspace b", ["b1", "b2", "b3"]);
  assert.deepEqual([...storeFiles(a)].filter((f) => !storeOfA.has(f)), [], "something was written into a's store after its server died");
  const pids = [orphans.pid, ...orphans.stepWorkerPids];
  await waitFor("a's orphaned workers to stop", () => pids.every((p) => !alive(p)), 60_000);
});
