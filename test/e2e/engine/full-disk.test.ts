// A real full disk, not a simulated errno: the workspace (its artifact store, scratch space, run
// database and the dev server's state) on an 80 MB tmpfs, and a step that writes 200 MB. The step
// fails with the one-line error, its partial output is removed, the run ends failed in the run
// database and in Temporal within a minute, and once the disk is larger `mmada resume` finishes it
// with the finished steps reused. Needs root for `mount`; skipped, visibly, where mounting is refused.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cli, cliJson, killByEnv, REPO_ROOT, runRow, stepsOf, type TestWorkspace } from "./helpers.ts";

const MOUNT_MB = 80;
const SPEC = `name: fill
steps:
  small:
    uses: command
    with: { run: 'echo hi > "$MMADA_OUT/s.txt"', outputs: { s: s.txt } }
  big:
    uses: command
    with:
      run: 'head -c 200000000 /dev/zero > "$MMADA_OUT/big.bin"'
      inputs: { s: "\${{ steps.small.outputs.s }}" }
      outputs: { big: big.bin }
  after:
    uses: command
    with: { run: 'wc -c < "$MMADA_IN_B" > "$MMADA_OUT/n.txt"', inputs: { b: "\${{ steps.big.outputs.big }}" }, outputs: { n: n.txt } }
`;

interface RunJson {
  runId: string;
  status: string;
  steps: { id: string; status: string; error?: string }[];
}

let mountPoint: string;
let mounted = false;
let refusal = "";
let ws: TestWorkspace;
let spec: string;

before(() => {
  mountPoint = mkdtempSync(join(tmpdir(), "mmada-e2e-fulldisk-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${MOUNT_MB}m`, "tmpfs", mountPoint], { encoding: "utf8" });
  mounted = r.status === 0;
  refusal = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
  const home = join(mountPoint, "ws");
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, MMADA_HOME: home };
  delete env.TEMPORAL_ADDRESS;
  ws = { home, env, children: [] };
  spec = join(mkdtempSync(join(tmpdir(), "mmada-e2e-fulldisk-spec-")), "fill.yaml");
  writeFileSync(spec, SPEC);
});

after(async () => {
  if (mounted) {
    await cli(ws, ["server", "stop"], 30_000).catch(() => undefined);
    killByEnv("MMADA_HOME", ws.home);
    spawnSync("umount", ["-l", mountPoint]);
  }
  rmSync(mountPoint, { recursive: true, force: true });
});

const usedMb = () => {
  const s = statfsSync(mountPoint);
  return ((s.blocks - s.bfree) * s.bsize) / 2 ** 20;
};

/** Temporal's own view of the run: the workflow's status as the dev server reports it. */
function temporalStatus(runId: string): string {
  const server = JSON.parse(readFileSync(join(ws.home, "temporal", "server.json"), "utf8")) as { port: number };
  const r = spawnSync(join(REPO_ROOT, ".tools/temporal/bin/temporal"), ["workflow", "describe", "-w", `mmada-run-${runId}`, "--address", `127.0.0.1:${server.port}`, "-o", "json"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return String((JSON.parse(r.stdout) as { workflowExecutionInfo: { status: string } }).workflowExecutionInfo.status);
}

test("a step that fills the disk fails with the one-line error within a minute; resume finishes the run once there is room", { timeout: 240_000 }, async (t) => {
  if (!mounted) return t.skip(`mounting an ${MOUNT_MB} MB tmpfs is refused here (${refusal}): a real full disk cannot be made`);
  const started = Date.now();
  const r = await cliJson<RunJson>(ws, ["run", spec, "--name", "f1", "--json"]);
  const seconds = (Date.now() - started) / 1000;
  assert.equal(r.code, 1, r.stderr);
  assert.ok(seconds < 60, `the run took ${seconds.toFixed(1)} s to end`);
  const big = r.json.steps.find((s) => s.id === "big")!;
  assert.equal(big.status, "failed");
  assert.match(big.error ?? "", new RegExp(`^no space left on the device that holds ${ws.home} \\(step 'big': .*\\); its partial outputs are removed; free some space, then resume the run`));
  assert.equal(big.error!.split("\n").length, 1, "one line");
  assert.deepEqual(Object.fromEntries(Object.entries(stepsOf(ws, "f1")).map(([id, e]) => [id, e.state])), { small: "succeeded", big: "failed", after: "skipped" });
  assert.equal(runRow(ws, "f1")?.status, "failed");
  assert.match(temporalStatus("f1"), /FAILED/);
  // the partial output is gone: no scratch left, the disk as empty as before the step
  assert.deepEqual(readdirSync(join(ws.home, "tmp")), []);
  assert.ok(usedMb() < MOUNT_MB / 2, `${usedMb().toFixed(0)} MB of ${MOUNT_MB} MB still used after the failure`);

  const grown = spawnSync("mount", ["-o", "remount,size=400m", mountPoint], { encoding: "utf8" });
  assert.equal(grown.status, 0, grown.stderr);
  const resumed = await cliJson<RunJson>(ws, ["resume", "f1", "--name", "f2", "--json"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(Object.fromEntries(resumed.json.steps.map((s) => [s.id, s.status])), { small: "cached", big: "succeeded", after: "succeeded" });
});
