// `npm run bench:rl-sanity`: can stage 3 raise a reward at all, and what could it raise?
//  1. The sanity check: UniGRPO (model/unigrpo.ts, the unigrpo step's update and rollouts) from a
//     stage-2 checkpoint on arithmetic prompts, rewarded 1 when the final answer (after `</think>`)
//     starts with a fixed digit and 0 otherwise: a reward the model already earns now and then and
//     can earn always by changing one token. The mean rollout reward must climb to >= 0.9 within a
//     few dozen iterations; if it does not, the update is broken, not the task hard.
//  2. pass@k of the same checkpoint on the rewarded test benchmarks (gsm8k, mmcot) with the
//     rollout sampler: the ceiling RL can turn into pass@1 (what a group of k ever gets right).
// Inputs come from a finished main-job run in a workspace (its data, tokens, VQ, classifier and
// stage-2 checkpoint, read from the run database):
//   npm run bench:rl-sanity -- --run <id> [--workspace DIR] [--stage stage2] [--lrs 3e-5,1e-4,3e-4]
//     [--seeds 0,1,2] [--iterations 40] [--digit 7] [--k 16] [--temperature 1] [--pass-only] [--no-write]
import { join, resolve } from "node:path";
import { artifactPath } from "../engine/store/artifacts.ts";
import { imageCodes, readDataset, readTokens, rlStepRng, rngFor } from "../mmada/data.ts";
import {
  disposeScorers, type EvalModels, generateText, loadScorers, parseReasoning, reasoningCorrect, responseText, samplingOf, textBenchmarkPrompts, type TextPrompt,
} from "../mmada/eval.ts";
import { drawPrompts, promptPools, rollout, type TextScorer } from "../mmada/rl.ts";
import { loadModelCheckpoint } from "../mmada/training.ts";
import { initBackend } from "../model/backend.ts";
import { layoutContext } from "../model/layouts.ts";
import { kernelsSummary } from "../model/native/index.ts";
import { AdamW } from "../model/optim.ts";
import { copyModel, disposeModel, logitsFn, type MMaDA } from "../model/transformer.ts";
import { unigrpoUpdate } from "../model/unigrpo.ts";
import { MASK_ID } from "../model/vocab.ts";
import { closeRunDb, getRun, openRunDbReadOnly } from "../runs/index.ts";
import { readFlags, writeSection } from "./kit.ts";

const USAGE = "npm run bench:rl-sanity -- --run <id> [--workspace DIR] [--stage stage2] [--lrs 3e-5,1e-4,3e-4] [--seeds 0,1,2] [--iterations 40] [--digit 7] [--k 16] [--temperature 1] [--pass-only] [--no-write]";
const SECTION = "UniGRPO sanity and pass@k";
/** The main job's stage 3 (pipelines/mmada-tiny.yaml) where the sanity check does not vary it. */
const MAIN_STAGE3 = { groupSize: 8, promptsPerStep: 4, mu: 2, eps: 0.2, beta: 0.02, clip: 1 };
/** The unigrpo kind's default rollout sampler (activities/unigrpo/kind.ts). */
const ROLLOUT_SAMPLER = { genLength: 32, steps: 16, blockLength: 8, temperature: 1, imageSteps: 8, guidance: 1.5, imageTemperature: 1, imageTemperatureSchedule: "compound" } as const;
const TARGET = 0.9;

const flags = readFlags(process.argv.slice(2), USAGE);
const list = (flag: string, fallback: string) => flags.text(flag, fallback).split(",").map(Number);
const opts = {
  workspace: resolve(flags.text("--workspace", process.env["MMADA_HOME"] ?? ".mmada")),
  run: flags.text("--run"),
  stage: flags.text("--stage", "stage2"),
  lrs: list("--lrs", "3e-5,1e-4,3e-4"),
  seeds: list("--seeds", "0,1,2"),
  iterations: flags.positive("--iterations", "40", true),
  digit: flags.text("--digit", "7"),
  k: flags.positive("--k", "16", true),
  /** The pass@k sampler's temperature (the rollout sampler's, 1, by default). */
  temperature: Number(flags.text("--temperature", "1")),
  /** Only the pass@k table (of any checkpoint: `--stage stage3`). */
  passOnly: flags.has("--pass-only"),
  write: !flags.has("--no-write"),
};
if (!(opts.temperature >= 0)) throw new Error(`--temperature ${opts.temperature}: give a number >= 0`);
if (!/^\d$/.test(opts.digit)) throw new Error(`--digit ${opts.digit}: give one digit`);
if (!opts.lrs.every((x) => x > 0) || !opts.seeds.every((s) => Number.isInteger(s) && s >= 0)) throw new Error(`--lrs and --seeds: give positive numbers and whole seeds (${USAGE})`);

/** Where the run's step outputs are, by the main job's step ids. */
function inputsOf(workspace: string, runId: string, stage: string) {
  const db = openRunDbReadOnly(join(workspace, "runs.db"));
  try {
    const detail = getRun(db, runId);
    if (!detail) throw new Error(`no run '${runId}' in ${workspace}; run the main job there first (MMADA_HOME=${workspace} ./bin/mmada.js run pipelines/mmada-tiny.yaml --name ${runId})`);
    const output = (step: string, name: string) => {
      const ref = detail.executions.find((e) => e.execution.stepId === step)?.outputs[name];
      if (!ref) throw new Error(`run '${runId}' has no ${name} output of step '${step}' (did it finish?)`);
      return artifactPath(workspace, ref);
    };
    const seed = detail.params.find((p) => p.key === "seed")?.value;
    return {
      seed,
      checkpoint: output(stage, "checkpoint"), dataset: output("data", "dataset"), tokens: output("tokens", "tokens"), vq: output("vq", "vq"), classifier: output("classifier", "classifier"),
    };
  } finally {
    closeRunDb(db);
  }
}

/** The sanity reward: 1 when the answer after `</think>` starts with the digit, else 0. */
const startsWithDigit = (digit: string): TextScorer => (_p, text) => {
  const hit = (parseReasoning(text).answer ?? "").startsWith(digit);
  return { text, correct: hit, reward: hit ? 1 : 0 };
};

const paths = inputsOf(opts.workspace, opts.run, opts.stage);
const backend = await initBackend();
const dataset = await readDataset(paths.dataset);
const tokens = await readTokens(paths.tokens);
const scorers = await loadScorers("bench", paths);
const base = await loadModelCheckpoint(paths.checkpoint);
const layout = layoutContext(base.model.config, base.tokenizer);
const pools = promptPools(layout, { data: dataset.splits.train, codes: (i) => imageCodes(tokens, "train", i) });
const sampling = samplingOf(ROLLOUT_SAMPLER);
const models = (policy: MMaDA): EvalModels => ({ logits: logitsFn(policy), layout, vq: scorers.vq, classifier: scorers.classifier, maxBatch: 64 });

interface SanityRun {
  lr: number;
  seed: number;
  rewards: number[];
  kl: number[];
  clipFrac: number[];
  skipped: number[];
  seconds: number;
}

async function sanity(lr: number, seed: number): Promise<SanityRun> {
  const policy = copyModel(base.model, true);
  const reference = copyModel(base.model, false);
  const optimizer = new AdamW(policy.params, { weightDecay: 0 });
  const m = models(policy);
  const refLogits = logitsFn(reference);
  const out: SanityRun = { lr, seed, rewards: [], kl: [], clipFrac: [], skipped: [], seconds: 0 };
  const t0 = Date.now();
  try {
    for (let it = 0; it < opts.iterations; it++) {
      const rng = rlStepRng(seed, it);
      const prompts = drawPrompts(rng, MAIN_STAGE3.promptsPerStep, { cot: 1, mmcot: 0, t2i: 0, caption: 0 }, pools);
      const streams = { text: rng.fork(), image: rng.fork(), update: rng.fork() };
      const rolled = await rollout(m, prompts, MAIN_STAGE3.groupSize, sampling, streams, startsWithDigit(opts.digit));
      const u = await unigrpoUpdate({
        policyLogits: m.logits, refLogits, params: policy.params, optimizer, lr, clip: MAIN_STAGE3.clip,
        groups: rolled.groups, maskId: MASK_ID, mu: MAIN_STAGE3.mu, eps: MAIN_STAGE3.eps, beta: MAIN_STAGE3.beta, rng: streams.update,
      });
      out.rewards.push(u.meanReward);
      out.kl.push(u.kl);
      out.clipFrac.push(u.clipFrac);
      out.skipped.push(u.skippedGroups);
      if ((it + 1) % 10 === 0) console.error(`  lr ${lr} seed ${seed}: iteration ${it + 1}/${opts.iterations}, reward ${mean(out.rewards.slice(-10)).toFixed(2)} (last 10), kl ${u.kl.toExponential(1)}`);
    }
  } finally {
    optimizer.dispose();
    disposeModel(policy);
    disposeModel(reference);
  }
  out.seconds = (Date.now() - t0) / 1000;
  return out;
}

/** Unbiased pass@k from n samples with c right (Chen et al. 2021): 1 - C(n-c, k) / C(n, k). */
function passAtK(n: number, c: number, k: number): number {
  if (n - c < k) return 1;
  let miss = 1;
  for (let i = n - c + 1; i <= n; i++) miss *= 1 - k / i;
  return 1 - miss;
}

async function passTable(): Promise<Array<{ bench: string; items: number; at: Record<number, number> }>> {
  // the items the main job's evaluate step asks (its `samples`: gsm8k 200, mmcot 100)
  const asked = textBenchmarkPrompts(layout, { data: dataset.splits.test, codes: (i) => imageCodes(tokens, "test", i) }, { gsm8k: 200, mmcot: 100, vqa: 0, pope: 0, caption: 0 });
  const sets: Array<[string, TextPrompt[]]> = [["gsm8k", asked.gsm8k], ["mmcot", asked.mmcot]];
  const ks = [1, 4, opts.k].filter((k, i, a) => k <= opts.k && a.indexOf(k) === i);
  const m = models(base.model);
  const rows = [];
  for (const [bench, prompts] of sets) {
    const tiled = prompts.flatMap((p) => Array<TextPrompt>(opts.k).fill(p));
    const gen = await generateText(m.logits, tiled.map((p) => p.layout), { ...sampling.text, temperature: opts.temperature }, { textVocabSize: layout.textVocabSize, rng: rngFor(0, `rl-sanity/${bench}`), maxBatch: 64 });
    const right = prompts.map((p, i) => gen.responses.slice(i * opts.k, (i + 1) * opts.k).filter((ids) => reasoningCorrect(responseText(layout.tokenizer, ids), p.expected)).length);
    const at = Object.fromEntries(ks.map((k) => [k, mean(right.map((c) => passAtK(opts.k, c, k)))]));
    rows.push({ bench, items: prompts.length, at });
    console.error(`  pass@k ${bench}: ${ks.map((k) => `@${k} ${at[k]!.toFixed(3)}`).join(", ")}`);
  }
  return rows;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : Number.NaN;
}

const quarter = (xs: number[], q: 0 | 3) => mean(q === 0 ? xs.slice(0, Math.ceil(xs.length / 4)) : xs.slice(Math.floor((3 * xs.length) / 4)));
/** First iteration whose mean reward over it and the 4 before is >= TARGET (1-based), or null. */
function reached(xs: number[]): number | null {
  for (let i = 4; i < xs.length; i++) if (mean(xs.slice(i - 4, i + 1)) >= TARGET) return i + 1;
  return null;
}

console.error(`rl-sanity: ${opts.run}/${opts.stage} from ${opts.workspace}; backend ${backend}, ${kernelsSummary(false)}`);
const runs: SanityRun[] = [];
if (!opts.passOnly) for (const lr of opts.lrs) for (const seed of opts.seeds) runs.push(await sanity(lr, seed));
console.error(`pass@k of the checkpoint (rollout sampler, temperature ${opts.temperature}):`);
const pass = await passTable();
disposeModel(base.model);
disposeScorers(scorers);

const sanityLines = (): string[] => [
  `\`npm run bench:rl-sanity -- --run ${opts.run}\`: the ${opts.stage} checkpoint of a main-job run (seed ${paths.seed ?? "?"}); backend ${backend}, ${kernelsSummary(false)}; seeds below are the RL seeds (prompts, samples, masks).`,
  "",
  `**Sanity check.** UniGRPO as the main job's stage 3 runs it (G=${MAIN_STAGE3.groupSize} x ${MAIN_STAGE3.promptsPerStep} arithmetic prompts, mu=${MAIN_STAGE3.mu}, eps ${MAIN_STAGE3.eps}, beta ${MAIN_STAGE3.beta}, clip ${MAIN_STAGE3.clip}, the unigrpo kind's rollout sampler) with one reward changed: 1 when the answer after \`</think>\` starts with "${opts.digit}", else 0. Target: the mean rollout reward reaches ${TARGET} (5-iteration mean) within ${opts.iterations} iterations.`,
  "",
  "| lr | seed | reward, first quarter | reward, last quarter | reached 0.9 at | KL, last quarter | clip fraction, last quarter | skipped groups / iteration | s / iteration |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...runs.map((r) =>
    `| ${r.lr} | ${r.seed} | ${quarter(r.rewards, 0).toFixed(2)} | ${quarter(r.rewards, 3).toFixed(2)} | ${reached(r.rewards) ?? "no"} | ${quarter(r.kl, 3).toExponential(1)} | ${quarter(r.clipFrac, 3).toFixed(3)} | ${mean(r.skipped).toFixed(1)} | ${(r.seconds / opts.iterations).toFixed(2)} |`,
  ),
  "",
  ...opts.lrs.map((lr) => {
    const at = runs.filter((r) => r.lr === lr);
    const hit = at.filter((r) => reached(r.rewards) !== null).length;
    return `- lr ${lr}: reached ${TARGET} in ${hit} of ${at.length} seeds; last-quarter reward ${mean(at.map((r) => quarter(r.rewards, 3))).toFixed(2)} (first quarter ${mean(at.map((r) => quarter(r.rewards, 0))).toFixed(2)}).`;
  }),
  "",
];
const lines = [
  ...(opts.passOnly ? [`\`npm run bench:rl-sanity -- --run ${opts.run} --stage ${opts.stage} --pass-only\` (seed ${paths.seed ?? "?"}); backend ${backend}.`, ""] : sanityLines()),
  `**pass@k** of the same checkpoint on the rewarded test benchmarks, ${opts.k} samples per item with the rollout sampler (temperature ${opts.temperature}; the evaluate step's pass@1 is greedy):`,
  "",
  `| benchmark (n) | ${Object.keys(pass[0]!.at).map((k) => `pass@${k}`).join(" | ")} |`,
  `|---|${Object.keys(pass[0]!.at).map(() => "---:").join("|")}|`,
  ...pass.map((p) => `| ${p.bench} (${p.items}) | ${Object.values(p.at).map((v) => v.toFixed(3)).join(" | ")} |`),
];
console.log(lines.join("\n"));
// a pass@k-only run is a diagnostic of one checkpoint, not the benchmark: it never rewrites the section
if (opts.write && !opts.passOnly) writeSection(SECTION, lines.join("\n"));
