// UniGRPO rollouts (mmada/rl/rollouts.ts, docs/mmada.md §4): G responses per prompt sampled by the
// policy; each group's rows keep the prompt, its response mask covers exactly what was generated
// (the answer region of a text prompt, the image slice of a t2i prompt), and its rewards are the
// scores of those responses.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { layoutContext } from "../../model/layouts.ts";
import { Rng } from "../../model/rng.ts";
import { disposeModel, logitsFn } from "../../model/transformer.ts";
import { MASK_ID } from "../../model/vocab.ts";
import { type LoadedModel, loadModelCheckpoint } from "../../mmada/training/checkpoints.ts";
import { readDataset } from "../../mmada/data/read.ts";
import type { EvalModels } from "../../mmada/eval/generate.ts";
import { samplingOf } from "../../mmada/eval/sampling.ts";
import { disposeScorers, loadScorers, type Scorers } from "../../mmada/eval/scorers.ts";
import { responseText, scoreText } from "../../mmada/eval/scoring.ts";
import type { TextPrompt } from "../../mmada/eval/prompts.ts";
import { promptPools } from "../../mmada/rl/prompt-pool.ts";
import { rollout } from "../../mmada/rl/rollouts.ts";
import { imageCodes, readTokens } from "../../mmada/data/tokens.ts";
import { makeWorkspace, type Workspace } from "./helpers.ts";
import { makeFixture } from "./rl-eval-fixture.ts";

const G = 3;
const SAMPLER = { genLength: 6, steps: 6, blockLength: 3, temperature: 1, imageSteps: 3, guidance: 1, imageTemperature: 1, imageTemperatureSchedule: "compound" as const };

describe("rollout", () => {
  let ws: Workspace;
  let loaded: LoadedModel;
  let scorers: Scorers;
  let m: EvalModels;
  let pools: ReturnType<typeof promptPools>;

  before(async () => {
    ws = await makeWorkspace();
    const fx = await makeFixture(ws);
    loaded = await loadModelCheckpoint(join(ws.root, fx.model.uri));
    if (loaded.optimizerState) tf.dispose(Object.values(loaded.optimizerState.slots));
    scorers = await loadScorers("test", { vq: join(ws.root, fx.vq.uri), classifier: join(ws.root, fx.classifier.uri) });
    const layout = layoutContext(loaded.model.config, loaded.tokenizer);
    m = { logits: logitsFn(loaded.model), layout, vq: scorers.vq, classifier: scorers.classifier, maxBatch: 8 };
    const dataset = await readDataset(join(ws.root, fx.dataset.uri));
    const tokens = await readTokens(join(ws.root, fx.tokens.uri));
    pools = promptPools(layout, { data: dataset.splits.train, codes: (i) => imageCodes(tokens, "train", i) });
  });

  after(async () => {
    disposeModel(loaded.model);
    disposeScorers(scorers);
    await ws.cleanup();
  });

  it("samples G text responses after each prompt: the prompt kept, the answer region masked for the update, each reward its response's score", async () => {
    const prompts = [pools.cot.build(0), pools.mmcot.build(1)] as TextPrompt[];
    const rng = new Rng(1);
    const { groups, stats } = await rollout(m, prompts, G, samplingOf(SAMPLER), { text: rng.fork(), image: rng.fork() });
    const length = m.layout.length;
    assert.equal(groups.length, prompts.length);
    prompts.forEach((p, k) => {
      const g = groups[k]!;
      assert.equal(g.rows.length, G * length);
      assert.equal(g.rewards.length, G);
      const start = p.layout.answerStart;
      for (let j = 0; j < G; j++) {
        const row = g.rows.subarray(j * length, (j + 1) * length);
        assert.deepEqual(row.subarray(0, start), p.layout.ids.subarray(0, start), "the prompt is kept");
        for (let l = 0; l < length; l++) assert.equal(g.responseMask[j * length + l], l >= start && l < start + SAMPLER.genLength ? 1 : 0);
        assert.ok(row.subarray(start, start + SAMPLER.genLength).every((id) => id !== MASK_ID && id < m.layout.textVocabSize), "a text answer of text ids");
        const text = responseText(m.layout.tokenizer, row.subarray(start, start + SAMPLER.genLength));
        assert.equal(g.rewards[j], scoreText(p, text).reward);
      }
      assert.equal(stats[k]!.task, p.task);
    });
  });

  it("samples G images per t2i prompt: the response is the image slice, of image ids, scored by the classifier", async () => {
    const prompt = pools.t2i.build(0);
    const rng = new Rng(2);
    const { groups, stats } = await rollout(m, [prompt], G, samplingOf(SAMPLER), { text: rng.fork(), image: rng.fork() });
    const g = groups[0]!;
    const length = m.layout.length;
    const start = prompt.layout.imageStart;
    const n = m.layout.imageTokens;
    for (let j = 0; j < G; j++) {
      for (let l = 0; l < length; l++) {
        const inImage = l >= start && l < start + n;
        assert.equal(g.responseMask[j * length + l], inImage ? 1 : 0);
        const id = g.rows[j * length + l]!;
        if (inImage) assert.ok(id >= m.layout.textVocabSize && id < m.layout.textVocabSize + m.layout.codebookSize, `image id ${id}`);
      }
      assert.ok(Number.isFinite(g.rewards[j]!));
    }
    assert.equal(stats[0]!.task, "t2i");
    assert.equal(stats[0]!.correct.length, G);
  });
});
