// The `unigrpo` step kind: stage 3 of MMaDA (docs/mmada.md §4). Each RL step draws prompts from the
// train split with the `mix` weights, samples a group of G responses per prompt with the current
// policy, scores them (mmada/eval/rewards.ts) and runs model/unigrpo.ts's update: z-scored group
// advantages (or centred ones: `advantage`), zero-variance groups skipped (or replaced by more
// rollouts: `rolloutRounds`), mu inner steps on response-only masks with uniformly spaced ratios
// shared by policy, old policy and the frozen reference (the init weights).
// The shared training loop (activities/kit/training-loop.ts) resumes, checkpoints and cancels as for every
// training kind; all the randomness of RL step s comes from (seed, s), so a resumed run reproduces
// the uninterrupted one. The best checkpoint is the one with the highest mean reward.
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../model/backend.ts";
import { layoutContext } from "../../model/layouts.ts";
import { AdamW } from "../../model/optim.ts";
import { Rng } from "../../model/rng.ts";
import { kernelsSummary } from "../../model/native/index.ts";
import { copyModel, disposeModel, logitsFn, parameterCount } from "../../model/transformer.ts";
import { NonFiniteLossError } from "../../model/gradient-step.ts";
import { type UnigrpoResult, unigrpoUpdate } from "../../model/unigrpo.ts";
import { MASK_ID } from "../../model/vocab.ts";
import { checkImageGrid, checkVqLineage, disposeScorers, type EvalModels, loadScorers, samplingOf, type Scorers } from "../../mmada/eval.ts";
import { checkMix, drawPrompts, paperTextScorer, promptPools, refillInformative, type Refilled, rollout, type Rollouts } from "../../mmada/rl.ts";
import { checkTokensMatch, imageCodes, readDataset, readTokens, RL_TASKS, rlStepRng } from "../../mmada/data.ts";
import { loadInputModel, MODEL_CHECKPOINT_KIND, MODEL_FILE, restoreModelCheckpoint, saveModelCheckpoint } from "../../mmada/training.ts";
import { beat, inputPath, inputSha, type StepContext, stepOptions } from "../kit/step-context.ts";
import { rungResult, storeFinalCheckpoint, trainResumably } from "../kit/training-loop.ts";
import { checkUnigrpo, type UnigrpoOptions } from "./kind.ts";
import { BadInputError } from "../../contract/failures.ts";
import type { MetricPoint, StepResult } from "../../contract/step-io.ts";

/** Stage name written into the checkpoints (the train kind's resume check compares it). */
const UNIGRPO_STAGE = "unigrpo";
export async function run(ctx: StepContext, raw: unknown): Promise<StepResult> {
  const w = stepOptions<UnigrpoOptions>(ctx, raw, checkUnigrpo);
  const stepId = ctx.input.step.id;
  const backend = await initBackend();
  ctx.progress({ percent: 0, step: 0, totalSteps: w.steps, message: "reading data" });
  const dataset = await readDataset(inputPath(ctx, w.dataset, "dataset", "dataset"));
  const tokens = await readTokens(inputPath(ctx, w.tokens, "tokens", "tokens"));
  checkTokensMatch(tokens, dataset, stepId, inputSha(w.dataset));

  const init = await loadInputModel(inputPath(ctx, w.init, "init", "checkpoint"), "init", stepId);
  if (init.optimizerState) tf.dispose(Object.values(init.optimizerState.slots));
  const policy = init.model;
  const frozen = copyModel(policy, false); // the frozen reference: the init weights, which no optimizer sees
  let scorers: Scorers | undefined;
  let optimizer: AdamW | undefined;
  try {
    scorers = await loadScorers(stepId, { vq: inputPath(ctx, w.vq, "vq", "vq"), classifier: inputPath(ctx, w.classifier, "classifier", "classifier") });
    checkImageGrid(stepId, policy.config, tokens.meta, scorers.vq);
    checkVqLineage(stepId, "init", init.extra.vqSha256, tokens.meta.vqSha256, inputSha(w.vq));
    const layout = layoutContext(policy.config, init.tokenizer);
    const pools = promptPools(layout, { data: dataset.splits.train, codes: (i) => imageCodes(tokens, "train", i) });
    const mixProblems = checkMix(w.mix, pools);
    if (mixProblems.length > 0) throw new BadInputError(`unigrpo step '${stepId}': ${mixProblems.join("; ")}`);

    const adamw = (optimizer = new AdamW(policy.params, { weightDecay: w.weightDecay }));
    const m: EvalModels = { logits: logitsFn(policy), layout, vq: scorers.vq, classifier: scorers.classifier, maxBatch: w.maxBatch };
    const reference = logitsFn(frozen);
    ctx.log(`unigrpo: ${parameterCount(policy.config)} parameters, G=${w.groupSize} x ${w.promptsPerStep} prompts, mu=${w.mu}, backend ${backend}, ${kernelsSummary(false)}`);

    /** Mean rewards of the RL steps since the last checkpoint (its score keeps the best policy). */
    let interval: number[] = [];
    let lastReward: number | undefined;
    const result = await trainResumably(ctx, {
      steps: w.steps,
      lrAt: () => w.lr,
      divergenceHint: "lower the learning rate",
      async step(step) {
        const done = step + 1;
        const t0 = Date.now();
        const rng = rlStepRng(w.seed, step);
        const prompts = drawPrompts(rng, w.promptsPerStep, w.mix, pools);
        const streams = { text: rng.fork(), image: rng.fork(), update: rng.fork() };
        const percent = (100 * step) / w.steps;
        const sample = (ps: typeof prompts) => rollout(m, ps, w.groupSize, samplingOf(w.sampler), streams, paperTextScorer(w.stepReward));
        await beat(ctx, { percent, step, totalSteps: w.steps, message: `RL step ${done}/${w.steps}: sampling ${prompts.length * w.groupSize} responses` });
        const rolled = await sample(prompts);
        // the later rounds' prompts come after the first round's draws: rolloutRounds 1 draws as before
        const train = w.rolloutRounds > 1 ? await refillInformative(rolled, (n) => sample(drawPrompts(rng, n, w.mix, pools)), w.promptsPerStep, w.rolloutRounds) : undefined;
        await beat(ctx, { percent, step, totalSteps: w.steps, message: `RL step ${done}/${w.steps}: update` });
        const update = await unigrpoUpdate({
          policyLogits: m.logits, refLogits: reference, params: policy.params, optimizer: adamw, lr: w.lr, clip: w.clip,
          groups: (train ?? rolled).groups, maskId: MASK_ID, mu: w.mu, eps: w.eps, beta: w.beta, rng: streams.update, advantage: w.advantage,
        });
        if (!Number.isFinite(update.loss) || !Number.isFinite(update.kl)) throw new NonFiniteLossError(step, update.loss, Number.NaN, {});
        const points = stepMetrics(done, rolled, update, (Date.now() - t0) / 1000, train);
        interval.push(meanRewardOf(rolled));
        return { loss: update.loss, metrics: points, message: summary(done, w.steps, points) };
      },
      checkpoints: {
        every: w.checkpointEvery,
        keep: w.keep,
        restore: (f) =>
          restoreModelCheckpoint(f.path, policy, adamw, (loaded) =>
            loaded.extra.stage !== UNIGRPO_STAGE ? `written by stage '${loaded.extra.stage}', not unigrpo`
            : loaded.step > w.steps ? `is at step ${loaded.step}, beyond this run's ${w.steps} steps`
            : undefined,
          ),
        async score(done) {
          const reward = interval.reduce((a, r) => a + r, 0) / Math.max(1, interval.length);
          interval = [];
          lastReward = reward;
          // the lowest score is kept: for RL that is the highest mean reward
          return { value: -reward, metrics: [{ key: "checkpoint_reward", value: reward, step: done }] };
        },
        async save(file, done, history, score) {
          return saveModelCheckpoint(file, {
            model: policy, optimizer: adamw, step: done, rng: new Rng(w.seed), // step s draws from (seed, s): nothing to carry
            extra: { kind: MODEL_CHECKPOINT_KIND, stage: UNIGRPO_STAGE, tokenizer: init.tokenizer.toJSON(), vqSha256: tokens.meta.vqSha256, cursor: {}, ...(score === undefined ? {} : { valLoss: score }), history },
          });
        },
      },
    });
    const atRung = rungResult(result, w.steps);
    if (atRung) return atRung;

    const meta = { stage: UNIGRPO_STAGE, steps: w.steps, parameters: parameterCount(policy.config), ...(lastReward === undefined ? {} : { mean_reward: lastReward }) };
    const checkpoint = await storeFinalCheckpoint(ctx, result, MODEL_FILE, meta);
    ctx.progress({ percent: 100, step: w.steps, totalSteps: w.steps, message: `unigrpo: done after ${w.steps} RL steps` });
    return { artifacts: { checkpoint }, metrics: result.history };
  } finally {
    optimizer?.dispose();
    disposeModel(policy);
    disposeModel(frozen);
    if (scorers) disposeScorers(scorers);
  }
}

/** Mean reward of the first rollout round: what the policy earns on prompts drawn with the mix. */
function meanRewardOf(rolled: Rollouts): number {
  const rs = rolled.stats.flatMap((s) => s.rewards);
  return rs.reduce((a, x) => a + x, 0) / Math.max(1, rs.length);
}

function stepMetrics(step: number, rolled: Rollouts, r: UnigrpoResult, seconds: number, train?: Refilled): MetricPoint[] {
  const all = rolled.stats.flatMap((s) => s.correct);
  const points: MetricPoint[] = [
    { key: "reward", value: meanRewardOf(rolled), step },
    { key: "accuracy", value: all.filter(Boolean).length / Math.max(1, all.length), step },
    { key: "kl", value: r.kl, step },
    { key: "loss", value: r.loss, step },
    { key: "skipped_groups", value: r.skippedGroups, step },
    { key: "clip_frac", value: r.clipFrac, step },
    { key: "seconds", value: seconds, step },
  ];
  if (train) points.push({ key: "rollout_rounds", value: train.rounds, step }, { key: "trained_groups", value: train.groups.length, step });
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
