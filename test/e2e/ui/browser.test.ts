// The web UI in a real browser (Debian's chromium through playwright-core) on runs of the smoke
// pipeline: each page shows the numbers of the run database, links lead where they say, the exported
// report shows the same offline, and a running run's page moves by itself; every page passes axe-core's
// WCAG 2 A/AA audit (no serious or critical finding). Screenshots go to test-artifacts/ui/.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { connectClient, endpoint } from "../../../engine/temporal/connection.ts";
import { workflowIdOf } from "../../../contract/ids.ts";
import { fmtAccuracy, fmtInterval } from "../../../results/format.ts";
import { wilsonInterval } from "../../../results/wilson-interval.ts";
import { cliJson, dispose, executionsOf, makeWorkspace, spawnCli, type TestWorkspace, waitFor, withRunDb } from "../engine/helpers.ts";
import { eventsOf, metricsOf, SMOKE, startOwnServer } from "../pipeline/helpers.ts";
import { accessibilityViolations, assertAccessible, browserSkipReason, formatViolations, launchBrowser, openPage, screenshot } from "./browser.ts";

const RUN = "ui-smoke";
/** Same seed, shorter stage 1: the shared steps come from the cache, the params differ in one key. */
const RUN_B = "ui-smoke-b";
const ACCURACIES = ["gsm8k_acc", "mmcot_acc", "vqa_acc", "pope_acc", "caption_acc", "geneval_acc"];

const skip = browserSkipReason() ?? false;

let ws: TestWorkspace;
let browser: Browser;
let base: string;

/** Final values of a step's metrics, as recorded. */
const finals = (runId: string, stepId: string) =>
  new Map(metricsOf(ws, runId, stepId).filter((m) => m.step === -1).map((m) => [m.key, m.value]));

/** A file artifact of a step's output, read from the workspace. */
const outputFile = (runId: string, stepId: string, name: string, file = "") => {
  const uri = eventsOf(ws, runId, stepId, "output").find((e) => e.name === name)!.uri;
  return readFileSync(join(ws.home, uri, file), "utf8");
};

/** Step ids with a curve (metrics with a training step), in plan order. */
const stepsWithCurves = (runId: string) =>
  withRunDb(ws, (db) =>
    db.prepare("SELECT DISTINCT e.step_id AS id FROM metrics m JOIN executions e ON e.id = m.execution_id WHERE m.run_id = ? AND m.step >= 0 ORDER BY e.position").all(runId),
  ).map((r) => (r as { id: string }).id);

function waitForUrl(child: ReturnType<typeof spawnCli>): Promise<string> {
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mmada ui printed no URL: ${out}`)), 60_000);
    child.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) (clearTimeout(timer), resolve(m[1]!));
    });
  });
}

async function cancelRun(runId: string): Promise<void> {
  const { client, close } = await connectClient(await endpoint(ws.home));
  try {
    await client.workflow.getHandle(workflowIdOf(runId)).cancel();
  } finally {
    await close();
  }
}

function noProblems(page: Page & { problems: string[] }): void {
  assert.deepEqual(page.problems.filter((p) => !/ERR_ABORTED/.test(p)), [], "the page had script errors or failed requests");
}

/** Labels of the visible legend entries of a chart panel (each smoothed series; its raw twin has none). */
const legendEntries = (panel: ReturnType<Page["locator"]>) => panel.locator(".u-legend .u-series:not(:first-child):not(.raw-series)");
const legend = (panel: ReturnType<Page["locator"]>) => legendEntries(panel).locator(".u-label").allTextContents();

describe("the UI in a browser", { skip }, () => {
  before(async () => {
    ws = makeWorkspace("ui");
    await startOwnServer(ws);
    for (const [name, extra] of [[RUN, []], [RUN_B, ["--set", "stage1_steps=8"]]] as const) {
      const r = await cliJson<{ status: string }>(ws, ["run", SMOKE, "--name", name, ...extra, "--json"]);
      assert.equal(r.code, 0, `run ${name}: ${r.stderr}`);
    }
    base = await waitForUrl(spawnCli(ws, ["ui", "--port", "0"]));
    browser = await launchBrowser();
  }, { timeout: 420_000 });
  after(async () => {
    await browser?.close();
    if (ws) await dispose(ws);
  });

  it("runs: both runs with status, pipeline and params; filters narrow the list", async () => {
    const page = await openPage(browser);
    await page.goto(base);
    assert.deepEqual(await page.locator("#runs-table tbody tr").evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.run)), [RUN_B, RUN]);
    const row = page.locator(`#runs-table tr[data-run="${RUN}"]`);
    assert.equal(await row.locator(".badge").textContent(), "succeeded");
    assert.equal(await row.locator("td.pipeline").textContent(), "mmada-smoke");
    assert.match((await row.textContent())!, /stage1_steps=12/);
    assert.match((await page.locator(`#runs-table tr[data-run="${RUN_B}"]`).textContent())!, /stage1_steps=8/);
    assert.match((await row.locator(".steps-summary").textContent())!, new RegExp(`${executionsOf(ws, RUN).length} succeeded`));
    await screenshot(page, "runs");
    await Promise.all([page.waitForURL(/status=failed/), page.selectOption('select[name="status"]', "failed")]);
    assert.equal(await page.locator("#runs-table tbody tr").count(), 0);
    assert.ok(await page.locator("#no-runs").isVisible());
    noProblems(page);
    await page.close();
  });

  it("a run: DAG states, the stage table with n and intervals, curves, samples, the Temporal link", async () => {
    const page = await openPage(browser);
    await page.goto(`${base}runs/${RUN}`);
    const execs = executionsOf(ws, RUN);
    assert.deepEqual(
      await page.locator("#dag g.node").evaluateAll((nodes) => nodes.map((n) => [(n as SVGElement).dataset.step, (n as SVGElement).dataset.state])),
      execs.map((e) => [e.step_id, e.state]),
    );

    // the stage table: every value as recorded, n from the step's report, intervals from both
    const evals = finals(RUN, "eval_stage3");
    const counts = (JSON.parse(outputFile(RUN, "eval_stage3", "report")) as { counts: Record<string, number> }).counts;
    for (const key of ACCURACIES) {
      const value = evals.get(key)!;
      const cell = page.locator(`#stage-table tr[data-benchmark="${key}"] td`);
      assert.equal(await cell.getAttribute("data-value"), String(value), key);
      assert.equal(await cell.locator(".value").textContent(), fmtAccuracy(value), key);
      assert.equal(await cell.locator(".n").textContent(), `n=${counts[key]}`, key);
      const interval = wilsonInterval(Math.round(value * counts[key]!), counts[key]!)!;
      assert.equal(await cell.locator(".ci").textContent(), fmtInterval(interval), key);
    }
    assert.equal(await page.locator('#stage-table tr[data-benchmark="text_nll"] td').getAttribute("data-value"), String(evals.get("text_nll")));

    // curves: a panel per training step, stage 1's loss with its per-task series, toggles and smoothing
    const stepIds = stepsWithCurves(RUN);
    assert.deepEqual(await page.locator(".chart-panel").evaluateAll((ps) => ps.map((p) => (p as HTMLElement).dataset.step)), stepIds);
    assert.equal(await page.locator(".chart-panel canvas").count(), stepIds.length);
    const stage1 = page.locator('.chart-panel[data-step="stage1"]');
    assert.equal(await stage1.locator("select").inputValue(), "loss");
    assert.deepEqual(await legend(stage1), ["loss", "loss.lm", "loss.mmu", "loss.t2i"]);
    const lm = legendEntries(stage1).nth(1);
    await lm.click();
    assert.match((await lm.getAttribute("class"))!, /u-off/, "a legend click hides the series");
    await stage1.locator("select").selectOption("lr");
    assert.deepEqual(await legend(stage1), ["lr"]);
    await page.locator("#smoothing").evaluate((el) => {
      (el as HTMLInputElement).value = "0";
      el.dispatchEvent(new Event("input"));
    });
    assert.equal(await page.locator("#smoothing-value").textContent(), "0.00");
    const lastLoss = metricsOf(ws, RUN, "stage1").filter((m) => m.key === "loss" && m.step >= 0).sort((a, b) => b.step - a.step)[0]!;
    await page.locator("details.curve-summary summary").click();
    const lossRow = page.locator('#curve-table tr[data-step="stage1"][data-curve="loss"] td');
    assert.equal(await lossRow.nth(4).getAttribute("data-value"), String(lastLoss.value));

    // samples: digits labelled with the prompted digit, the classifier's reading as recorded
    const predictions = JSON.parse(outputFile(RUN, "eval_stage3", "samples", "predictions.json")) as Array<{ prompted: number; predicted: number }>;
    const heads = await page.locator("table.digits thead th[data-prompted]").allTextContents();
    assert.deepEqual(heads.map((h) => Number(h.trim()[0])), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const cells = await page.locator("table.digits tbody td[data-prompted]").evaluateAll((tds) =>
      tds.map((td) => [Number((td as HTMLElement).dataset.prompted), Number((td.querySelector(".reading") as HTMLElement).dataset.predicted)]),
    );
    assert.deepEqual(cells.sort(), predictions.map((p) => [p.prompted, p.predicted]).sort());
    const report = JSON.parse(outputFile(RUN, "eval_stage3", "report")) as { samples: Record<string, unknown[]> };
    assert.equal(await page.locator("table.answers tbody tr").count(), Object.values(report.samples).flat().length);

    const { uiPort } = JSON.parse(readFileSync(join(ws.home, "temporal", "server.json"), "utf8")) as { uiPort: number };
    assert.equal(await page.locator("#temporal-link").getAttribute("href"), `http://127.0.0.1:${uiPort}/namespaces/default/workflows/mmada-run-${RUN}`);
    await screenshot(page, "run");
    noProblems(page);
    await page.close();
  });

  it("links: runs -> run -> an output's lineage -> its input's producer -> back to that step", async () => {
    const page = await openPage(browser);
    await page.goto(base);
    await Promise.all([page.waitForURL(`${base}runs/${RUN}`), page.locator(`#runs-table tr[data-run="${RUN}"] a.run-link`).click()]);
    await Promise.all([page.waitForURL(/\/lineage\/\d+$/), page.locator('#steps-table tr[data-step="stage2"] a.artifact').click()]);
    assert.match((await page.locator("#produced-by").textContent())!, new RegExp(`${RUN} / stage2`));
    assert.match((await page.locator("#used-by").textContent())!, new RegExp(`${RUN} / stage3`));
    const stage1Checkpoint = eventsOf(ws, RUN, "stage1", "output").find((e) => e.name === "checkpoint")!;
    await Promise.all([page.waitForURL(/\/lineage\/\d+$/), page.locator("#produced-by li", { hasText: "init" }).locator("a.artifact").click()]);
    assert.equal(await page.locator("#artifact-facts code").first().textContent(), stage1Checkpoint.sha256);
    await screenshot(page, "lineage");
    await Promise.all([page.waitForURL(`${base}runs/${RUN}#step-stage1`), page.locator("#produced-by a.execution").click()]);
    assert.equal(await page.locator("#step-stage1").getAttribute("data-state"), "succeeded");
    await page.fill(".lineage-search input", RUN);
    await Promise.all([page.waitForURL(`${base}lineage/${RUN}`), page.press(".lineage-search input", "Enter")]);
    assert.equal(await page.locator("#lineage-table tbody tr").count(), executionsOf(ws, RUN).length);
    noProblems(page);
    await page.close();
  });

  it("compare: pick two runs; the differing param, both stage tables, overlaid curves", async () => {
    const page = await openPage(browser);
    await page.goto(base);
    for (const id of [RUN, RUN_B]) await page.check(`#runs-table tr[data-run="${id}"] input[type=checkbox]`);
    await Promise.all([page.waitForURL(/\/compare\?/), page.click("#compare-selected")]);
    assert.deepEqual(await page.locator("#params-table tbody tr").evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent))), [["stage1_steps", "8", "12"]]);
    for (const [i, id] of [RUN_B, RUN].entries()) {
      const gsm8k = finals(id, "eval_stage3").get("gsm8k_acc");
      assert.equal(await page.locator('#compare-stage-table tr[data-benchmark="gsm8k_acc"] td.num').nth(i).getAttribute("data-value"), String(gsm8k), id);
    }
    const stage1 = page.locator('.chart-panel[data-step="stage1"]');
    assert.deepEqual(await legend(stage1), [RUN_B, RUN]);
    await screenshot(page, "compare");
    await Promise.all([page.waitForURL(/all=1/), page.click("#params-toggle")]);
    assert.deepEqual(await page.locator("#params-table tbody tr th").allTextContents(), ["seed", "stage1_steps", "stage2_lr"]);
    noProblems(page);
    await page.close();
  });

  it("accessibility: every page passes axe-core's WCAG 2 A/AA audit, folded details open", async () => {
    const checkpoint = eventsOf(ws, RUN, "stage1", "output").find((e) => e.name === "checkpoint")!;
    const pages: Array<[string, string]> = [
      ["the runs page", base],
      ["a run page", `${base}runs/${RUN}`],
      ["the compare picker", `${base}compare`],
      ["the compare page", `${base}compare?run=${RUN}&run=${RUN_B}`],
      ["a run's lineage", `${base}lineage/${RUN}`],
      ["an artifact's lineage", `${base}lineage/${checkpoint.sha256.slice(0, 16)}`],
      ["the not-found page", `${base}runs/no-such-run`],
      ["the lineage page without a target", `${base}lineage`],
      ["the exported report", `file://${join(ws.home, "reports", `${RUN}.html`)}`],
    ];
    const failures: string[] = [];
    const page = await openPage(browser);
    for (const [what, url] of pages) {
      await page.goto(url);
      await page.locator("details").evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
      const found = await accessibilityViolations(page);
      if (found.length) failures.push(`${what} (${url}):\n${formatViolations(found)}`);
    }
    await page.close();
    assert.ok(failures.length === 0, `axe-core: serious or critical accessibility violations (WCAG 2 A/AA)\n${failures.join("\n")}`);
  });

  it("the exported report: the same run page, offline (nothing fetched)", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const fetched: string[] = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
      fetched.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`file://${join(ws.home, "reports", `${RUN}.html`)}`);
    assert.deepEqual(fetched, [], "the report fetched something");
    assert.deepEqual(errors, []);
    assert.equal(await page.locator(".chart-panel canvas").count(), stepsWithCurves(RUN).length);
    const evals = finals(RUN, "eval_stage3");
    for (const key of ACCURACIES) assert.equal(await page.locator(`#stage-table tr[data-benchmark="${key}"] td`).getAttribute("data-value"), String(evals.get(key)));
    assert.equal(await page.locator("table.digits tbody td[data-prompted]").count(), 10);
    assert.equal(await page.locator('a[href^="/"]').count(), 0, "an exported page links to no server page");
    await screenshot(page, "export");
    await context.close();
  });

  it("a running run: the DAG and progress move without a reload; cancelled, the page says so", { timeout: 240_000 }, async () => {
    const LIVE = "ui-live";
    spawnCli(ws, ["run", SMOKE, "--name", LIVE, "--set", "stage1_steps=5000"]);
    await waitFor("the live run in the database", () => executionsOf(ws, LIVE).length > 0, 120_000);
    const page = await openPage(browser);
    await page.goto(`${base}runs/${LIVE}`);
    assert.equal(await page.locator("#run-status").textContent(), "running");
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    await page.waitForFunction(
      () => {
        const node = document.querySelector('#dag g.node[data-step="stage1"]') as SVGGElement | null;
        const bar = node?.querySelector("rect.bar");
        return node?.dataset.state === "running" && Number(bar?.getAttribute("width")) > 0;
      },
      undefined,
      { timeout: 150_000 },
    );
    assert.equal(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce), true, "the page reloaded instead of updating");
    assert.match((await page.locator('#steps-table tr[data-step="stage1"] .progress-text').textContent())!, /heartbeat \d+ s ago/);
    await screenshot(page, "run-live");
    await assertAccessible(page, "a running run's page");
    await cancelRun(LIVE); // what Ctrl-C on `mmada run` sends
    await page.waitForFunction(() => document.querySelector("#run-status")?.textContent === "cancelled", undefined, { timeout: 120_000 });
    assert.equal(await page.locator('#dag g.node[data-step="stage1"]').getAttribute("data-state"), "cancelled");
    noProblems(page);
    await page.close();
  });
});
