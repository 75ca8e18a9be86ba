// The `unigrpo` step kind: stage 3 of MMaDA (MMADA.md §4). Each RL step draws prompts from the
// train split with the `mix` weights, samples a group of G responses per prompt with the current
// policy, scores them (activities/rewards.ts) and runs model/unigrpo.ts's update: z-scored group
// advantages, zero-variance groups skipped, mu inner steps on response-only masks with uniformly
// spaced ratios shared by policy, old policy and the frozen reference (the init weights).
// Checkpoints work exactly like the train kind's (activities/mmada/checkpoint-folder.ts); all the
// randomness of RL step s comes from (seed, s), so a resumed run reproduces the uninterrupted one.
import * as tf from "@tensorflow/tfjs-core";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import schema from "../schemas/steps/unigrpo.schema.json" with { type: "json" };
import { initBackend } from "../model/backend.ts";
import { readCheckpointHeader } from "../model/checkpoint.ts";
import { layoutContext } from "../model/layouts.ts";
import { AdamW } from "../model/optim.ts";
import { Rng } from "../model/rng.ts";
import { kernelsSummary } from "../model/native/index.ts";
import { disposeModel, logitsFn, parameterCount, type MMaDA } from "../model/transformer.ts";
import { unigrpoUpdate, type UnigrpoResult } from "../model/unigrpo.ts";
import { MASK_ID } from "../model/vocab.ts";
import type { EvalModels } from "./eval/eval-models.ts";
import { beat } from "./eval/heartbeat.ts";
import { checkMix, drawPrompts, promptPools, RL_TASKS, type RlMix } from "./eval/prompt-pool.ts";
import { rollout, type Rollouts } from "./eval/rollouts.ts";
import { checkImageGrid, checkVqLineage, disposeScorers, loadScorers, type Scorers } from "./eval/scorer-inputs.ts";
import { hashSeed } from "./mmada/batches.ts";
import { checkpointPath, listCheckpoints, newestValid, pruneCheckpoints } from "./mmada/checkpoint-folder.ts";
import { readDataset } from "./mmada/dataset.ts";
import { inputPath, inputSha } from "./mmada/inputs.ts";
import { loadInputModel, loadModelCheckpoint, MODEL_CHECKPOINT_KIND, saveModelCheckpoint, type LoadedModel, type ModelExtra } from "./mmada/model-io.ts";
import { checkTokensMatch, imageCodes, readTokens } from "./mmada/tokens-artifact.ts";
import { withDefaults } from "./mmada/with-defaults.ts";
import { BadInputError, PermanentError, type StepContext } from "./step-context.ts";
import type { MetricPoint, StepResult } from "./types.ts";

export interface UnigrpoWith {
  init: unknown;
  dataset: unknown;
  tokens: unknown;
  classifier: unknown;
  vq: unknown;
  steps: number;
  groupSize: number;
  promptsPerStep: number;
  mu: number;
  eps: number;
  beta: number;
  lr: number;
  weightDecay: number;
  clip: number;
  mix: RlMix;
  sampler: { genLength: number; steps: number; blockLength: number; temperature: number; imageSteps: number; guidance: number; imageTemperature: number };
  seed: number;
  checkpointEvery: number;
  keep: number;
  maxBatch: number;
}

/** Stage name written into the checkpoints (the train kind's resume check compares it). */
export const UNIGRPO_STAGE = "unigrpo";
const OUTPUT_FILE = "model.ckpt";
/** Random stream of the RL steps (the train kind's streams are 1-3, see mmada/batches.ts). */
const STREAM_RL = 11;

/** Everything random about RL step `step`: prompts, sampling noise, masks. */
export function rlStepRng(seed: number, step: number): Rng {
  return new Rng(hashSeed(seed, STREAM_RL, step));
}

export async function runUnigrpo(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const w = withDefaults<UnigrpoWith>(schema, raw);
  const stepId = ctx.input.step.id;
  const backend = await initBackend();
  ctx.progress({ percent: 0, step: 0, totalSteps: w.steps, message: "reading data" });
  const dataset = await readDataset(inputPath(ctx, w.dataset, "dataset", "dataset"));
  const tokens = await readTokens(inputPath(ctx, w.tokens, "tokens", "tokens"));
  checkTokensMatch(tokens, dataset, stepId, inputSha(w.dataset));

  const init = await loadInputModel(inputPath(ctx, w.init, "init", "checkpoint"), "init", stepId);
  if (init.optimizerState) tf.dispose(Object.values(init.optimizerState.slots));
  const policy = init.model;
  const frozen = frozenCopy(policy);
  let scorers: Scorers | undefined;
  let optimizer: AdamW | undefined;
  try {
    scorers = await loadScorers(ctx, w);
    checkImageGrid(stepId, policy.config, tokens.meta, scorers.vq);
    checkVqLineage(stepId, "init", init.extra.vqSha256, tokens.meta.vqSha256, inputSha(w.vq));
    const layout = layoutContext(policy.config, init.tokenizer);
    const pools = promptPools(layout, { data: dataset.splits.train, codes: (i) => imageCodes(tokens, "train", i) });
    const mixProblems = checkMix(w.mix, pools);
    if (mixProblems.length > 0) throw new BadInputError(`unigrpo step '${stepId}': ${mixProblems.join("; ")}`);

    const adamw = (optimizer = new AdamW(policy.params, { weightDecay: w.weightDecay }));
    const resumed = await resume(ctx, w, policy, adamw);
    const history = resumed?.history ?? [];
    const rewards = await knownRewards(ctx.checkpointDir);
    let lastSaved = resumed?.step;
    const m: EvalModels = { logits: logitsFn(policy), layout, vq: scorers.vq, classifier: scorers.classifier, maxBatch: w.maxBatch };
    const reference = logitsFn(frozen);
    ctx.log(`unigrpo: ${parameterCount(policy.config)} parameters, G=${w.groupSize} x ${w.promptsPerStep} prompts, mu=${w.mu}, backend ${backend}, ${kernelsSummary(false)}` +
      (resumed ? `, resuming from step ${resumed.step}` : ""));

    let interval: number[] = [];
    for (let step = resumed?.step ?? 0; step < w.steps; step++) {
      if (ctx.signal.aborted) throw new Error(`unigrpo step '${stepId}' cancelled after ${step} RL steps; ${lastSaved === undefined ? "no checkpoint was written yet" : `checkpoint step-${lastSaved}.ckpt is kept for a resumed run`}`);
      const done = step + 1;
      const t0 = Date.now();
      const rng = rlStepRng(w.seed, step);
      const prompts = drawPrompts(rng, w.promptsPerStep, w.mix, pools);
      const streams = { text: rng.fork(), image: rng.fork(), update: rng.fork() };
      const percent = (100 * step) / w.steps;
      await beat(ctx, { percent, step, totalSteps: w.steps, message: `RL step ${done}/${w.steps}: sampling ${prompts.length * w.groupSize} responses` });
      const rolled = await rollout(m, prompts, w.groupSize, samplers(w), streams);
      await beat(ctx, { percent, step, totalSteps: w.steps, message: `RL step ${done}/${w.steps}: update` });
      let result: UnigrpoResult;
      try {
        result = await unigrpoUpdate({
          policyLogits: m.logits, refLogits: reference, params: policy.params, optimizer: adamw, lr: w.lr, clip: w.clip,
          groups: rolled.groups, maskId: MASK_ID, mu: w.mu, eps: w.eps, beta: w.beta, rng: streams.update,
        });
      } catch (err) {
        if (/gradient norm is/.test((err as Error).message)) throw divergence(stepId, done, w.lr, lastSaved, "gradient norm is not finite");
        throw err;
      }
      if (!Number.isFinite(result.loss) || !Number.isFinite(result.kl)) throw divergence(stepId, done, w.lr, lastSaved, `loss is ${result.loss}`);
      const points = stepMetrics(done, rolled, result, (Date.now() - t0) / 1000);
      history.push(...points);
      interval.push(result.meanReward);
      await beat(ctx, { percent: (100 * done) / w.steps, step: done, totalSteps: w.steps, message: summary(done, w.steps, points) });

      if (done % w.checkpointEvery === 0 || done === w.steps) {
        const reward = interval.reduce((a, r) => a + r, 0) / interval.length;
        interval = [];
        history.push({ key: "checkpoint_reward", value: reward, step: done });
        const file = checkpointPath(ctx.checkpointDir, done);
        await saveModelCheckpoint(file, {
          model: policy, optimizer: adamw, step: done, rng: new Rng(w.seed), // step s draws from (seed, s): nothing to carry
          extra: extra(init, tokens.meta.vqSha256, -reward, history),
        });
        await ctx.checkpoint(done, file);
        lastSaved = done;
        rewards.set(done, reward);
        await pruneCheckpoints(ctx.checkpointDir, w.keep, bestStep(rewards));
      }
    }

    const final = (await listCheckpoints(ctx.checkpointDir)).find((f) => f.step === w.steps);
    if (!final) throw new Error(`unigrpo step '${stepId}': the final checkpoint step-${w.steps}.ckpt is missing from ${ctx.checkpointDir}`);
    const out = join(ctx.scratch, OUTPUT_FILE);
    await copyFile(final.path, out); // the folder keeps its copy for later resumes of this cache key
    const lastReward = rewards.get(w.steps);
    const checkpoint = await ctx.store(out, "checkpoint", {
      name: OUTPUT_FILE,
      meta: { stage: UNIGRPO_STAGE, steps: w.steps, parameters: parameterCount(policy.config), ...(lastReward === undefined ? {} : { mean_reward: lastReward }) },
    });
    ctx.progress({ percent: 100, step: w.steps, totalSteps: w.steps, message: `unigrpo: done after ${w.steps} RL steps` });
    return { artifacts: { checkpoint }, metrics: history };
  } finally {
    optimizer?.dispose();
    disposeModel(policy);
    disposeModel(frozen);
    if (scorers) disposeScorers(scorers);
  }
}

function samplers(w: UnigrpoWith) {
  const s = w.sampler;
  return {
    text: { genLength: s.genLength, steps: s.steps, blockLength: s.blockLength, temperature: s.temperature },
    image: { steps: s.imageSteps, guidance: s.guidance, temperature: s.imageTemperature },
  };
}

/** The frozen reference policy: a copy of the init weights that no optimizer sees. */
function frozenCopy(model: MMaDA): MMaDA {
  const params = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, tf.variable(v, false)]));
  return { config: { ...model.config }, params };
}

/** Continues from the newest valid checkpoint of this step's folder (damaged ones are logged and skipped). */
async function resume(ctx: StepContext, w: UnigrpoWith, policy: MMaDA, optimizer: AdamW): Promise<{ step: number; history: MetricPoint[] } | undefined> {
  const found = await newestValid(ctx.checkpointDir, async (f) => {
    const loaded = await loadModelCheckpoint(f.path);
    const problem =
      loaded.extra.stage !== UNIGRPO_STAGE ? `written by stage '${loaded.extra.stage}', not unigrpo`
      : !loaded.optimizerState ? "holds no optimizer state"
      : loaded.step > w.steps ? `is at step ${loaded.step}, beyond this run's ${w.steps} steps`
      : JSON.stringify(loaded.model.config) !== JSON.stringify(policy.config) ? "has a different model config than init"
      : undefined;
    if (problem) {
      release(loaded);
      throw new Error(problem);
    }
    return loaded;
  }, ctx.log);
  if (!found) return undefined;
  const loaded = found.value;
  for (const [name, v] of Object.entries(policy.params)) v.assign(loaded.model.params[name]!);
  optimizer.setState(loaded.optimizerState!);
  release(loaded);
  ctx.log(`resuming from ${found.path} (RL step ${found.step} of ${w.steps})`);
  return { step: found.step, history: [...loaded.extra.history] };
}

function release(loaded: LoadedModel): void {
  tf.dispose([...Object.values(loaded.model.params), ...Object.values(loaded.optimizerState?.slots ?? {})]);
}

function extra(init: LoadedModel, vqSha256: string, negReward: number, history: MetricPoint[]): ModelExtra {
  return {
    kind: MODEL_CHECKPOINT_KIND,
    stage: UNIGRPO_STAGE,
    tokenizer: init.tokenizer.toJSON(),
    vqSha256,
    cursor: {},
    // The folder keeps the checkpoint with the lowest valLoss: for RL that is the highest mean reward.
    valLoss: negReward,
    history,
  };
}

/** Mean reward of each checkpoint already in the folder (from its header), to keep the best. */
async function knownRewards(dir: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const f of await listCheckpoints(dir)) {
    const header = await readCheckpointHeader(f.path).catch(() => undefined);
    const v = (header?.extra as Partial<ModelExtra> | undefined)?.valLoss;
    if (typeof v === "number") out.set(f.step, -v);
  }
  return out;
}

function bestStep(rewards: Map<number, number>): number | undefined {
  let best: number | undefined;
  for (const [step, r] of rewards) if (best === undefined || r > rewards.get(best)!) best = step;
  return best;
}

function stepMetrics(step: number, rolled: Rollouts, r: UnigrpoResult, seconds: number): MetricPoint[] {
  const all = rolled.stats.flatMap((s) => s.correct);
  const points: MetricPoint[] = [
    { key: "reward", value: r.meanReward, step },
    { key: "accuracy", value: all.filter(Boolean).length / Math.max(1, all.length), step },
    { key: "kl", value: r.kl, step },
    { key: "loss", value: r.loss, step },
    { key: "skipped_groups", value: r.skippedGroups, step },
    { key: "clip_frac", value: r.clipFrac, step },
    { key: "seconds", value: seconds, step },
  ];
  for (const task of RL_TASKS) {
    const groups = rolled.stats.filter((s) => s.task === task);
    if (groups.length === 0) continue;
    const rs = groups.flatMap((g) => g.rewards);
    points.push({ key: `reward.${task}`, value: rs.reduce((a, x) => a + x, 0) / rs.length, step });
  }
  return points;
}

function summary(done: number, steps: number, points: MetricPoint[]): string {
  const v = (k: string) => points.find((p) => p.key === k)?.value ?? Number.NaN;
  return `RL step ${done}/${steps}: reward ${v("reward").toFixed(3)} acc ${v("accuracy").toFixed(2)} kl ${v("kl").toExponential(2)} skipped ${v("skipped_groups")} (${v("seconds").toFixed(1)} s)`;
}

function divergence(stepId: string, step: number, lr: number, lastSaved: number | undefined, what: string): PermanentError {
  const kept = lastSaved === undefined ? "no checkpoint was written before it" : `the last good checkpoint step-${lastSaved}.ckpt is kept`;
  return new PermanentError("NonFiniteLoss", `${stepId}: ${what} at RL step ${step} (lr=${lr.toPrecision(3)}); ${kept}; lower the learning rate`);
}
