// Machines that share nothing but Temporal and a bucket. A real S3-compatible server (moto), one
// Temporal dev server as the cluster (the owner's), the owner's run database in its own folder, and
// two step workers "on other machines": each with its OWN MMADA_HOME (its cache), pointed at the
// cluster and the bucket only. The smoke pipeline (stage 1 made long enough to kill) runs with its
// steps split across both: worker A is killed -9 in the middle of stage 1, worker B resumes stage 1
// from the checkpoint A left in the bucket, and every output equals an uninterrupted run's in a
// plain local workspace. Afterwards: no folder holds what another machine wrote, the run database
// lists every artifact and each is in the bucket, `status --log` and the UI show every step's log,
// and `mmada gc` finds only what no run references, on either backend.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stepLogName } from "../../../contract/ids.ts";
import { Bucket } from "../../../engine/store/bucket.ts";
import { createBucket, s3Skip, type S3Server, startS3Server } from "../../store/s3-server.ts";
import {
  cli,
  cliJson,
  dispose,
  killTree,
  makeWorkspace,
  parseJson,
  type RunStatusJson,
  spawnCli,
  stepsOf,
  stepStates,
  type TestWorkspace,
  waitFor,
  waitForStderr,
  withRunDb,
  workerId,
} from "../engine/helpers.ts";
import { derivedSpec, finalMetric, progressOf, SMOKE, startOwnServer } from "../pipeline/helpers.ts";

const skip = s3Skip();
const BUCKET = "mmada-e2e";
const STORE = `s3://${BUCKET}/team`;
const WORKER_READY = /worker \d+ on /;
/** Stage 1 long enough to kill in its middle, with a checkpoint to resume from before the kill. */
const STAGE1 = { steps: 600, every: 100 };

let s3: S3Server;
let owner: TestWorkspace; // the run database and the cluster; runs no step
let machineA: TestWorkspace;
let machineB: TestWorkspace;
let ref: TestWorkspace; // the same pipeline, uninterrupted, local store
let spec: string;

before(async () => {
  if (skip) return;
  s3 = await startS3Server();
  await createBucket(s3, BUCKET);
  owner = makeWorkspace("s3-owner");
  machineA = makeWorkspace("s3-machine-a");
  machineB = makeWorkspace("s3-machine-b");
  ref = makeWorkspace("s3-ref");
  // one backend everywhere (outputs are compared byte for byte) and a speed that leaves time to kill
  for (const w of [owner, machineA, machineB, ref]) Object.assign(w.env, { MMADA_BACKEND: "wasm", MMADA_KERNELS: "tfjs" });
  for (const w of [owner, machineA, machineB]) Object.assign(w.env, s3.env, { MMADA_STORE: STORE });
  spec = derivedSpec(owner, SMOKE, "smoke-long-stage1", [
    [["params", "stage1_steps", "default"], STAGE1.steps],
    [["steps", "stage1", "with", "checkpointEvery"], STAGE1.every],
    [["steps", "stage1", "heartbeatTimeout"], "10s"],
  ]);
  await startOwnServer(owner);
  await startOwnServer(ref);
});
after(async () => {
  if (skip) return;
  for (const w of [owner, machineA, machineB, ref]) await dispose(w);
  await s3.stop();
});

/** The owner's dev server address: the "cluster" the other machines point at. */
function clusterAddress(): string {
  const server = JSON.parse(readFileSync(join(owner.home, "temporal", "server.json"), "utf8")) as { port: number };
  return `127.0.0.1:${server.port}`;
}

/** Files under a folder, relative to it. */
function filesUnder(root: string, rel: string): string[] {
  const abs = join(root, rel);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(root, `${rel}/${e.name}`) : [`${rel}/${e.name}`]));
}

test("two machines, one bucket: a worker killed mid stage 1, the other resumes from the bucket; every output as uninterrupted", { skip, timeout: 420_000 }, async () => {
  const cluster = clusterAddress();
  for (const m of [machineA, machineB]) m.env.TEMPORAL_ADDRESS = cluster;
  // the owner serves the run database only: its step queue is one no step of the pipeline uses
  const ownerWorker = spawnCli(owner, ["worker", "--task-queue", "owner-only"]);
  await waitForStderr(ownerWorker, WORKER_READY);
  const workerA = spawnCli(machineA, ["worker", "--no-db"]);
  await waitForStderr(workerA, WORKER_READY);
  const refRun = cliJson<RunStatusJson>(ref, ["run", spec, "--name", "uninterrupted", "--json"]);
  const run = spawnCli(owner, ["run", spec, "--name", "split", "--no-worker", "--json"]);

  // A trains stage 1 past its first checkpoint (in the bucket), then dies between two checkpoints
  await waitFor(
    "stage1 on machine A past its first checkpoint",
    () => {
      const p = progressOf(owner, "split", "stage1");
      const step = p?.progress?.step ?? 0;
      return p?.state === "running" && p.worker === workerId(workerA.pid!) && step > STAGE1.every && step % STAGE1.every !== 0;
    },
    180_000,
  );
  killTree(workerA.pid!);
  await workerA.output;
  const workerB = spawnCli(machineB, ["worker", "--no-db"]);
  await waitForStderr(workerB, WORKER_READY);

  const result = await run.output;
  assert.equal(result.code, 0, `run exited ${result.code}: ${result.stderr}`);
  const status = parseJson<RunStatusJson>(result, ["run"]);
  assert.ok(Object.values(stepStates(status)).every((s) => s === "succeeded"), JSON.stringify(stepStates(status)));
  const steps = stepsOf(owner, "split");
  const ranOn = (w: { pid?: number }) => Object.keys(steps).filter((id) => steps[id]!.worker === workerId(w.pid!));
  assert.ok(ranOn(workerA).length > 0 && ranOn(workerB).length > 0, `steps split across both machines: A ${ranOn(workerA)}, B ${ranOn(workerB)}`);
  assert.equal(steps.stage1!.attempt, 2);
  assert.equal(steps.stage1!.worker, workerId(workerB.pid!), "attempt 2 of stage 1 ran on machine B");
  const resumed = finalMetric(owner, "split", "stage1", "resumed_from_step");
  assert.ok(typeof resumed === "number" && resumed >= STAGE1.every && resumed % STAGE1.every === 0, `machine B resumed from step ${resumed}, not from a checkpoint A left in the bucket`);

  // every output equals the uninterrupted run's, byte for byte, but those that carry wall-clock
  // timings (UniGRPO's checkpoint keeps its per-step `seconds` curve, the evaluation report its
  // timing); every metric but the timings (and where stage 1 resumed) is equal too
  const r = await refRun;
  assert.equal(r.code, 0, r.stderr);
  const TIMED = new Set(["stage3.checkpoint", "eval_stage3.report"]);
  const outputsOf = (w: TestWorkspace, runId: string) =>
    (
      withRunDb(w, (db) =>
        db
          .prepare("SELECT e.execution_id AS id, e.name AS name, a.sha256 AS sha FROM events e JOIN artifacts a ON a.id = e.artifact_id WHERE e.direction = 'output' AND e.execution_id LIKE ? ORDER BY 1, 2")
          .all(`${runId}/%`),
      ) as { id: string; name: string; sha: string }[]
    ).map((o) => {
      const what = `${o.id.split("/")[1]}.${o.name}`;
      return `${what} ${TIMED.has(what) ? "(timed)" : o.sha}`;
    });
  assert.deepEqual(outputsOf(owner, "split"), outputsOf(ref, "uninterrupted"));
  const metricsOf = (w: TestWorkspace, runId: string) =>
    (withRunDb(w, (db) => db.prepare("SELECT execution_id AS id, key, step, value FROM metrics WHERE run_id = ? ORDER BY 1, 2, 3").all(runId)) as { id: string; key: string; step: number; value: number | null }[])
      .filter((m) => !/seconds|per_second|resumed_from/.test(m.key))
      .map((m) => `${m.id.split("/")[1]} ${m.key}@${m.step} = ${m.value}`);
  const metrics = metricsOf(owner, "split");
  assert.ok(metrics.length > 50);
  assert.deepEqual(metrics, metricsOf(ref, "uninterrupted"));

  // nothing crossed between folders: the owner ran no step (no checkpoint or scratch of its own; the
  // logs it holds are the bucket's, fetched by `run` for its report, each naming the machine that
  // ran the step), and A holds no log of a step only B ran
  assert.deepEqual(filesUnder(owner.home, "checkpoints"), []);
  assert.deepEqual(filesUnder(owner.home, "tmp"), []);
  const machines = [workerA, workerB].map((w) => workerId(w.pid!).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  for (const id of Object.keys(steps)) assert.match(readFileSync(join(owner.home, stepLogName("split", id)), "utf8"), new RegExp(`^\\S+ attempt 1 on (${machines})$`, "m"), `the log of ${id}`);
  for (const id of ranOn(workerB).filter((s) => s !== "stage1")) assert.equal(existsSync(join(machineA.home, stepLogName("split", id))), false, `machine A holds the log of ${id}, which B ran`);

  // the run database lists every artifact, and each is complete in the bucket
  const bucket = new Bucket({ bucket: BUCKET, prefix: "team" }, s3.env);
  try {
    const recorded = withRunDb(owner, (db) => db.prepare("SELECT uri, sha256 FROM artifacts").all()) as { uri: string; sha256: string }[];
    assert.ok(recorded.length > 10);
    for (const a of recorded.filter((x) => x.uri.startsWith("artifacts/"))) assert.equal((await bucket.head(a.uri))?.sha256, a.sha256, `${a.uri} is not complete in the bucket`);
  } finally {
    bucket.close();
  }

  // the logs of steps that ran elsewhere: status --log, and the UI's run page
  const log = await cli(owner, ["status", "split", "--log", "stage1"]);
  assert.equal(log.code, 0, log.stderr);
  assert.match(log.stdout, new RegExp(`resuming from \\S*step-${resumed}\\.ckpt`));
  const ui = spawnCli(owner, ["ui", "--port", "0"]);
  const url = await waitFor("the UI's address", () => /at (http:\/\/\S+\/)/.exec(uiStdout(ui))?.[1]);
  const page = await (await fetch(`${url}runs/split`)).text();
  for (const id of Object.keys(steps)) {
    const href = `/files/${stepLogName("split", id).split("/").map(encodeURIComponent).join("/")}`;
    assert.ok(page.includes(href), `the run page links no log of ${id}`);
    const text = await (await fetch(new URL(href, url))).text();
    assert.ok(text.length > 0, `the log of ${id} is empty`);
  }
  ui.kill("SIGTERM");
  await ui.output;
  workerB.kill("SIGTERM");
  ownerWorker.kill("SIGTERM");
  await Promise.all([workerB.output, ownerWorker.output]);
});

const uiOut = new WeakMap<object, string>();
function uiStdout(child: ReturnType<typeof spawnCli>): string {
  if (!uiOut.has(child)) {
    uiOut.set(child, "");
    child.stdout!.on("data", (d: Buffer) => uiOut.set(child, uiOut.get(child)! + d.toString()));
  }
  return uiOut.get(child)!;
}

test("mmada gc lists what no run references, deletes it only with --yes, on a bucket and on a folder", { skip, timeout: 120_000 }, async () => {
  // a stray in the bucket: an output stored by an attempt that then failed, never recorded
  const bucket = new Bucket({ bucket: BUCKET, prefix: "team" }, s3.env);
  const stray = `artifacts/ab/${"ab".padEnd(64, "0")}/stray.bin`;
  try {
    await bucket.putSmall(stray, Buffer.alloc(2048, 1));
    const listed = await cliJson<{ entries: { uri: string }[]; deleted: boolean }>(owner, ["gc", "--min-age", "0s", "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.json.entries.map((e) => e.uri), [stray]);
    assert.ok(await bucket.head(stray), "gc without --yes deleted something");
    const gone = await cli(owner, ["gc", "--min-age", "0s", "--yes"]);
    assert.equal(gone.code, 0, gone.stderr);
    assert.match(gone.stdout, /deleted 1 entries, 2\.0 KB, from s3:\/\/mmada-e2e\/team/);
    assert.equal(await bucket.head(stray), undefined);
    // what runs reference is all still there
    const recorded = withRunDb(owner, (db) => db.prepare("SELECT uri, sha256 FROM artifacts WHERE uri LIKE 'artifacts/%'").all()) as { uri: string; sha256: string }[];
    for (const a of recorded) assert.equal((await bucket.head(a.uri))?.sha256, a.sha256, `gc took ${a.uri}`);
  } finally {
    bucket.close();
  }

  // the same on the folder backend (the reference workspace): an old stray goes, recent or recorded stays
  const dir = join(ref.home, "artifacts", "cd", "cd".padEnd(64, "0"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "stray.txt"), "x");
  const old = new Date(Date.now() - 3 * 3600_000);
  utimesSync(join(dir, "stray.txt"), old, old);
  utimesSync(dir, old, old);
  const before = await cli(ref, ["gc"]);
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, /artifacts\/cd\/cd0+\/stray\.txt.*recorded by no run/);
  assert.match(before.stdout, /1 entries, 1 B, referenced by no run; `mmada gc --yes` deletes them/);
  assert.ok(existsSync(join(dir, "stray.txt")));
  assert.equal((await cli(ref, ["gc", "--yes"])).code, 0);
  assert.equal(existsSync(join(dir, "stray.txt")), false);
  const reuse = await cliJson<RunStatusJson>(ref, ["run", spec, "--name", "after-gc", "--json"]);
  assert.equal(reuse.code, 0, reuse.stderr);
  assert.ok(Object.values(stepStates(reuse.json)).every((s) => s === "cached"), `after gc every step is reused: ${JSON.stringify(stepStates(reuse.json))}`);
});
