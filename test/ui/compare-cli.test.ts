// `mmada compare` and `mmada status` over a recorded workspace (no Temporal needed): one run or several,
// only the differing params unless --all, the stage table with n and 95% intervals, min / max / last of
// each curve, --json and --csv; status prints every number of a run.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ComparedResults } from "../../results/compare-results.ts";
import { cli, parseJson, STACK_FRAME, type TestWorkspace } from "../e2e/engine/helpers.ts";
import { EVAL, fixtureWorkspace, RUN_A, RUN_B, TRAIN, type FixtureWorkspace } from "./fixture-workspace.ts";

let fixture: FixtureWorkspace;
let ws: TestWorkspace;

before(() => {
  fixture = fixtureWorkspace();
  ws = { home: fixture.home, env: { ...process.env, MMADA_HOME: fixture.home }, children: [] };
});
after(() => fixture.cleanup());

async function ok(args: string[]): Promise<string> {
  const r = await cli(ws, args);
  assert.equal(r.code, 0, `mmada ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, STACK_FRAME);
  return r.stdout;
}

describe("mmada compare", () => {
  it("one run: every param, its stage table with intervals, its curves", async () => {
    const text = await ok(["compare", RUN_A]);
    assert.match(text, /\nparams:\nparam\s+ui-a\ndataset\s+mnist\nlr\s+0\.001\nsteps\s+100\n/);
    assert.match(text, /^eval\s+gsm8k_acc\s+0\.250 \[0\.071, 0\.591\] n=8$/m);
    assert.match(text, /^eval\s+vqa_acc\s+0\.500 \[0\.150, 0\.850\] n=4$/m);
    assert.match(text, /^eval\s+text_nll\s+3\.200$/m);
    assert.match(text, /^train\[lr=0\.001\]\s+loss\s+1\.250 \(min 1\.250, max 2\)$/m);
  });

  it("several runs: only the params that differ (all with --all), values side by side", async () => {
    const text = await ok(["compare", RUN_A, RUN_B]);
    assert.match(text, /params that differ:\nparam\s+ui-a\s+ui-b\nlr\s+0\.001\s+0\.01\n\n/);
    assert.match(text, /^eval\s+gsm8k_acc\s+0\.250 \[0\.071, 0\.591\] n=8\s+0\.500 \[0\.215, 0\.785\] n=8$/m);
    assert.match(text, /^eval\s+vqa_acc\s+0\.500 \[0\.150, 0\.850\] n=4\s+-$/m);
    assert.match(await ok(["compare", RUN_A, RUN_B, "--all"]), /\nparams:\nparam\s+ui-a\s+ui-b\ndataset\s+mnist\s+mnist\n/);
  });

  it("--json has the stage table and the curves; --csv has every table, one column per run", async () => {
    const json = parseJson<ComparedResults>(await cli(ws, ["compare", RUN_A, RUN_B, "--json"]), ["compare"]);
    const gsm8k = json.stages.rows.find((r) => r.stepId === EVAL && r.key === "gsm8k_acc")!;
    assert.equal(gsm8k.cells[1]!.n, 8);
    assert.ok(Math.abs(gsm8k.cells[1]!.interval!.low - 0.2152) < 1e-4);
    assert.deepEqual(json.curves.find((c) => c.stepId === TRAIN && c.key === "loss")!.cells.map((c) => c?.last), [1.25, 1.5]);

    const csv = (await ok(["compare", RUN_A, RUN_B, "--csv"])).trimEnd().split("\n");
    assert.equal(csv[0], "section,step,key,stat,ui-a,ui-b");
    assert.ok(csv.includes("param,,lr,value,0.001,0.01"), csv.join("\n"));
    assert.ok(csv.includes("benchmark,eval,gsm8k_acc,value,0.25,0.5"));
    assert.ok(csv.includes("benchmark,eval,gsm8k_acc,n,8,8"));
    assert.ok(csv.includes("benchmark,eval,vqa_acc,value,0.5,"));
    assert.ok(csv.includes('curve,train[lr=0.001],loss,min,1.25,1.5'));
    assert.ok(csv.some((l) => /^benchmark,eval,gsm8k_acc,ci95_low,0\.07147\d*,0\.21521\d*$/.test(l)));
  });

  it("says which run ids are unknown, and that --json and --csv exclude each other", async () => {
    const unknown = await cli(ws, ["compare", RUN_A, "nope"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: unknown run 'nope'; `mmada runs` lists the runs$/m);
    const both = await cli(ws, ["compare", RUN_A, "--json", "--csv"]);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /^error: --json and --csv: pick one$/m);
  });
});

describe("mmada status", () => {
  it("prints the steps, then the stage table, every curve and every final metric in full", async () => {
    const text = await ok(["status", RUN_A]);
    assert.match(text, /^eval\s+evaluate\s+succeeded\s+1\s+\S+\s+report,samples$/m);
    assert.match(text, /stages \(accuracy \[95% Wilson interval\] n=items asked\):\nbenchmark\s+eval\ngsm8k_acc\s+0\.250 \[0\.071, 0\.591\] n=8\n/);
    assert.match(text, /^train\[lr=0\.001\]\s+loss\.t2i\s+3\s+2\.500\s+4\s+2\.500$/m);
    assert.match(text, /^data\s+duration_s\s+1$/m);
  });
});
