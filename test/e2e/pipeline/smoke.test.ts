// Pipeline acceptance 1: pipelines/mmada-smoke.yaml (every MMaDA step kind at tiny sizes) runs end to
// end on a real Temporal dev server; every stage leaves its metrics in the run database and the run's
// HTML report holds the benchmark table and the generated digits as an inline PNG.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cli, cliJson, dispose, makeWorkspace, runRow, type RunStatusJson, stepsOf, stepStates, type TestWorkspace } from "../engine/helpers.ts";
import { metricsOf, SMOKE, startOwnServer } from "./helpers.ts";

const RUN = "smoke";
const STEPS = ["data", "classifier", "vq", "tokens", "stage1", "stage2", "stage3", "eval_stage3"];
/** The tiny analogues of the paper's benchmarks (docs/mmada.md §6) that `evaluate` must report. */
const BENCHMARKS = ["gsm8k_acc", "vqa_acc", "pope_acc", "caption_acc", "mmcot_acc", "geneval_acc", "clip_score", "text_nll"];
/** Benchmarks that are fractions of correct answers. */
const ACCURACIES = BENCHMARKS.filter((k) => k.endsWith("_acc"));
/** Per training step kind: a metric it must record with training steps (a curve, not one value). */
const CURVES: Record<string, string> = { vq: "loss", classifier: "loss", stage1: "loss", stage2: "loss", stage3: "reward" };
const PNG_DATA_URI = /data:image\/png;base64,([A-Za-z0-9+/=]+)/;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let ws: TestWorkspace;
before(async () => {
  ws = makeWorkspace("smoke");
  await startOwnServer(ws);
});
after(() => dispose(ws));

test("mmada-smoke: every step succeeds, every stage has metrics, the report has benchmarks and images", { timeout: 240_000 }, async () => {
  const started = Date.now();
  const r = await cliJson<RunStatusJson & { report?: string }>(ws, ["run", SMOKE, "--name", RUN, "--json"]);
  const seconds = (Date.now() - started) / 1000;
  assert.equal(r.code, 0, `run exited ${r.code}: ${r.stderr}`);
  assert.equal(r.json.status, "succeeded");
  assert.deepEqual(stepStates(r.json), Object.fromEntries(STEPS.map((s) => [s, "succeeded"])));
  assert.equal(runRow(ws, RUN)?.status, "succeeded");
  for (const e of Object.values(stepsOf(ws, RUN))) assert.equal(e.state, "succeeded", `${e.step_id} is ${e.state} in the database`);

  // every step recorded metrics; training steps a curve with step numbers
  for (const step of STEPS) assert.ok(metricsOf(ws, RUN, step).length > 0, `${step} recorded no metrics`);
  for (const [step, key] of Object.entries(CURVES)) {
    const curve = metricsOf(ws, RUN, step).filter((m) => m.key === key && m.step > 0);
    assert.ok(curve.length > 0, `${step} recorded no '${key}' with a step`);
    for (const m of curve) assert.ok(Number.isFinite(m.value), `${step} ${key} at step ${m.step} is ${m.value}`);
  }
  for (const stage of ["stage1", "stage2"]) {
    const finals = new Map(metricsOf(ws, RUN, stage).filter((m) => m.step === -1).map((m) => [m.key, m.value]));
    assert.ok(Number.isFinite(finals.get("val_loss")), `${stage} has no final val_loss`);
    assert.equal(finals.get("resumed_from_step"), 0, `${stage} of an uninterrupted run resumed from a checkpoint`);
  }

  // the benchmark suite, as final values of the evaluate step
  const evals = new Map(metricsOf(ws, RUN, "eval_stage3").filter((m) => m.step === -1).map((m) => [m.key, m.value]));
  for (const k of BENCHMARKS) assert.ok(Number.isFinite(evals.get(k)), `eval_stage3 has no finite ${k}: ${evals.get(k)}`);
  for (const k of ACCURACIES) assert.ok(evals.get(k)! >= 0 && evals.get(k)! <= 1, `${k} = ${evals.get(k)} is not a fraction`);
  assert.ok(evals.get("text_nll")! > 0, "a masked-token NLL of an untrained-size model cannot be 0");

  // the HTML report: benchmark table (one row per benchmark) and a real PNG inlined
  assert.ok(r.json.report, "run --json printed no report path");
  assert.ok(existsSync(r.json.report), `report ${r.json.report} does not exist`);
  const html = readFileSync(r.json.report, "utf8");
  assert.match(html, /Benchmarks per stage/);
  assert.match(html, /<th data-stage="eval_stage3">eval_stage3/, "the benchmark table has no eval_stage3 column");
  for (const k of BENCHMARKS) assert.match(html, new RegExp(`<tr data-benchmark="${k}"><th>${k}</th>`), `the benchmark table has no ${k} row`);
  const png = PNG_DATA_URI.exec(html);
  assert.ok(png, "the report has no PNG data URI");
  assert.deepEqual(Buffer.from(png[1]!, "base64").subarray(0, PNG_SIGNATURE.length), PNG_SIGNATURE, "the data URI is not a PNG");

  console.log(`smoke: run took ${seconds.toFixed(1)} s; benchmarks ${BENCHMARKS.map((k) => `${k}=${evals.get(k)?.toPrecision(3)}`).join(" ")}`);
});

// `mmada sample` on the same run (the checkpoint of its last trained stage, or --stage).
test("mmada sample: text from a stage's checkpoint, and a PNG grid of generated digits", { timeout: 120_000 }, async () => {
  const text = await cli(ws, ["sample", "--run", RUN, "--stage", "stage2", "--prompt", "3+4=?"]);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout.trim().split("\n").length, 1, "one prompt -> one generated line");
  const out = join(ws.home, "sample.png");
  const image = await cli(ws, ["sample", "--run", RUN, "--image-prompt", "a handwritten 7", "--count", "4", "--out", out]);
  assert.equal(image.code, 0, image.stderr);
  assert.match(image.stdout, /4 images of "a handwritten 7" from stage3/);
  assert.deepEqual(readFileSync(out).subarray(0, PNG_SIGNATURE.length), PNG_SIGNATURE);
  const bad = await cli(ws, ["sample", "--run", RUN, "--stage", "nope", "--prompt", "x"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: --stage nope: run 'smoke' has no trained step of that id \(it has stage1, stage2, stage3\)$/m);
});
