// The UI server without a browser: its pages answer from the run database, it changes nothing (GET and
// HEAD only, a database connection SQLite refuses writes on), it serves no file outside the workspace's
// artifacts/ and logs/ (.., encoded .., symlinks out), it answers only to loopback Host names, and
// `mmada ui` binds 127.0.0.1 and prints its URL.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { closeRunDb, getRun, openRunDbReadOnly, type RunDb } from "../../runs/index.ts";
import { createUiApp, startUi } from "../../ui/server.ts";
import { loopbackHosts } from "../../ui/security.ts";
import { REPO_ROOT, STACK_FRAME } from "../e2e/engine/helpers.ts";
import { EVAL, fixtureWorkspace, type FixtureWorkspace, RUN_A, RUN_B } from "./fixture-workspace.ts";

const PORT = 8799;
const HOST = `127.0.0.1:${PORT}`;

let ws: FixtureWorkspace;
let outside: FixtureWorkspace;
let db: RunDb;
let app: ReturnType<typeof createUiApp>;
let reportUri: string;

const get = (path: string, init: RequestInit = {}) =>
  app.request(`http://${HOST}${path}`, { ...init, headers: { host: HOST, ...(init.headers as Record<string, string>) } });

before(() => {
  ws = fixtureWorkspace();
  outside = fixtureWorkspace();
  writeFileSync(join(outside.home, "secret.txt"), "secret");
  mkdirSync(join(ws.home, "artifacts", "planted"), { recursive: true });
  symlinkSync(outside.home, join(ws.home, "artifacts", "planted", "out"));
  symlinkSync(join(outside.home, "secret.txt"), join(ws.home, "artifacts", "planted", "secret.txt"));
  mkdirSync(join(ws.home, "logs", RUN_A), { recursive: true });
  writeFileSync(join(ws.home, "logs", RUN_A, "eval.log"), "evaluating\n");
  db = openRunDbReadOnly(ws.dbFile);
  app = createUiApp({ db, root: ws.home, allowedHosts: () => loopbackHosts(PORT) });
  reportUri = getRun(db, RUN_A)!.executions.find((e) => e.execution.stepId === EVAL)!.outputs["report"]!.uri;
});
after(() => {
  closeRunDb(db);
  ws.cleanup();
  outside.cleanup();
});

describe("pages and JSON", () => {
  it("lists the runs, filters by pipeline and status, and shows a run's stage table with exact values", async () => {
    const runs = await (await get("/")).text();
    assert.match(runs, new RegExp(`data-run="${RUN_A}"`));
    assert.match(runs, new RegExp(`data-run="${RUN_B}"`));
    assert.doesNotMatch(await (await get("/?status=failed")).text(), /data-run="ui-/);
    assert.doesNotMatch(await (await get("/?pipeline=other")).text(), /data-run="ui-/);
    assert.match(await (await get("/?pipeline=tiny&status=succeeded")).text(), new RegExp(`data-run="${RUN_A}"`));

    const run = await get(`/runs/${RUN_A}`);
    assert.equal(run.status, 200);
    const page = await run.text();
    assert.match(page, /data-key="gsm8k_acc" data-value="0.25" data-n="8"/);
    assert.match(page, /<span class="ci" title="95% Wilson interval">\[0\.071, 0\.591\]<\/span>/);
    assert.match(page, /&lt;b&gt;3&lt;\/b&gt;/, "a generated answer is text, never markup");
    // its boxes are links, which an image (presentational content) may not hold: axe's nested-interactive
    assert.match(page, /<svg class="dag" id="dag" [^>]*role="group" aria-label="steps of the run and their dependencies">/);
    assert.equal((await get("/runs/nope")).status, 404);
  });

  it("compares runs and traces lineage", async () => {
    const cmp = await (await get(`/compare?run=${RUN_A}&run=${RUN_B}`)).text();
    assert.match(cmp, /<tr data-param="lr"><th>lr<\/th><td><code>0\.001<\/code><\/td><td><code>0\.01<\/code><\/td><\/tr>/);
    assert.equal((await get(`/compare?run=${RUN_A}&run=zzz`)).status, 404);
    assert.match(await (await get(`/lineage/${RUN_A}`)).text(), /Lineage of run/);
    const redirect = await get("/lineage?target=ui-a");
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get("location"), "/lineage/ui-a");
  });

  it("answers the live JSON a running run page polls", async () => {
    const live = (await (await get(`/api/runs/${RUN_A}/live`)).json()) as { status: string; steps: Array<{ id: string; state: string }> };
    assert.equal(live.status, "succeeded");
    assert.deepEqual(live.steps.map((s) => s.state), ["succeeded", "succeeded", "succeeded", "succeeded"]);
    const curves = (await (await get(`/api/runs/${RUN_A}/curves`)).json()) as Array<{ stepId: string; families: Array<{ name: string; series: Array<{ key: string }> }> }>;
    assert.deepEqual(curves[0]!.families.map((f) => [f.name, f.series.map((s) => s.key)]), [["loss", ["loss", "loss.t2i"]]]);
    assert.equal((await get("/api/runs/nope/live")).status, 404);
  });
});

describe("read-only", () => {
  it("answers GET and HEAD only", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const r = await get(`/runs/${RUN_A}`, { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get("allow"), "GET, HEAD");
    }
    assert.equal((await get("/", { method: "HEAD" })).status, 200);
  });

  it("holds a database connection SQLite refuses writes on", () => {
    assert.throws(() => db.sqlite.prepare("DELETE FROM runs").run(), /readonly/i);
  });
});

describe("files", () => {
  it("serves an artifact and a step log with their types, and assets from the allow-list", async () => {
    const report = await get(`/files/${reportUri}`);
    assert.equal(report.status, 200);
    assert.match(report.headers.get("content-type")!, /^application\/json/);
    assert.equal(report.headers.get("x-content-type-options"), "nosniff");
    assert.equal(await (await get(`/files/logs/${RUN_A}/eval.log`)).text(), "evaluating\n");
    const uplot = await get("/assets/uplot.js");
    assert.equal(uplot.status, 200);
    assert.match(uplot.headers.get("content-type")!, /^text\/javascript/);
    assert.equal((await get("/assets/package.json")).status, 404);
  });

  it("is 404 for anything outside artifacts/ and logs/, however the path is spelled", async () => {
    for (const path of [
      "/files/runs.db",
      "/files/workspace.json",
      "/files/artifacts/..%2f..%2fruns.db",
      "/files/artifacts/%2e%2e/runs.db",
      "/files/%2e%2e/%2e%2e/etc/passwd",
      "/files/..%2f..%2f..%2fetc%2fpasswd",
      "/files/%2Fetc%2Fpasswd",
      "/files//etc/passwd",
      "/files/artifacts/planted/out/secret.txt",
      "/files/artifacts/planted/secret.txt",
      "/files/artifacts/planted",
      "/files/artifacts/%ZZ",
      "/files/artifacts/x%00.png",
      "/assets/..%2f..%2fpackage.json",
    ]) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(await r.text(), /secret|SQLite format/, path);
    }
  });
});

describe("network", () => {
  it("answers only to loopback Host names (no DNS rebinding) and forbids framing and foreign scripts", async () => {
    assert.equal((await get("/", { headers: { host: "evil.example:8799" } })).status, 403);
    assert.equal((await get("/", { headers: { host: "127.0.0.1:1" } })).status, 403);
    for (const host of [`localhost:${PORT}`, `[::1]:${PORT}`]) assert.equal((await get("/", { headers: { host } })).status, 200, host);
    const csp = (await get("/")).headers.get("content-security-policy")!;
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
  });

  it("startUi binds 127.0.0.1 by default", async () => {
    const ui = await startUi({ db, root: ws.home, port: 0 });
    try {
      assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const r = await fetch(`${ui.url}runs/${RUN_A}`);
      assert.equal(r.status, 200);
    } finally {
      await ui.close();
    }
  });

  it("mmada ui prints its URL and stops on SIGTERM; without a run database it says what to do", async () => {
    const child = spawn(process.execPath, ["bin/mmada.js", "ui", "--port", "0"], { cwd: REPO_ROOT, env: { ...process.env, MMADA_HOME: ws.home }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mmada ui printed no URL: ${out}`)), 30_000);
      child.stdout.on("data", () => {
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) (clearTimeout(timer), resolve(m[1]!));
      });
    });
    assert.equal((await fetch(url)).status, 200);
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);

    const empty = fixtureWorkspace();
    const noDb = spawn(process.execPath, ["bin/mmada.js", "ui"], { cwd: REPO_ROOT, env: { ...process.env, MMADA_HOME: join(empty.home, "nowhere") }, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    noDb.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => noDb.on("close", resolve));
    empty.cleanup();
    assert.equal(code, 1);
    assert.match(err, /^error: no run database in the workspace .*nowhere; run a pipeline first, or point MMADA_HOME at a workspace/m);
    assert.doesNotMatch(err, STACK_FRAME);
  });
});
