// Dataset records -> layouts per mix task (mmada/training/tasks.ts) and the tokens
// artifact round trip (mmada/data/tokens.ts). No model needed: codes are made up.
import assert from "node:assert/strict";
import { truncate } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Dataset, readDataset } from "../../mmada/data/read.ts";
import { CAPTION_QUESTION, splitSources } from "../../mmada/training/tasks.ts";
import { checkTokensMatch, codesFile, readTokens, type Tokens, TOKENS_FORMAT, TOKENS_FORMAT_VERSION, writeTokens } from "../../mmada/data/tokens.ts";
import { BadInputError } from "../../contract/failures.ts";
import { makeConfig } from "../../model/config.ts";
import { layoutContext, ROLE_ANSWER, ROLE_IMAGE, ROLE_PROMPT } from "../../model/layouts.ts";
import { Rng } from "../../model/rng.ts";
import { CharTokenizer } from "../../model/text-tokenizer.ts";
import { THINK_ID } from "../../model/vocab.ts";
import { makeWorkspace, tinyDataset, type Workspace } from "./helpers.ts";

const N = 4;
const K = 16;
let ws: Workspace;
let dataset: Dataset;
let tokens: Tokens;

before(async () => {
  ws = await makeWorkspace();
  const ref = await tinyDataset(ws);
  dataset = await readDataset(join(ws.root, ref.uri));
  const codes = (n: number) => Int32Array.from({ length: n * N }, (_, i) => (i * 5) % K);
  tokens = {
    meta: { format: TOKENS_FORMAT, version: TOKENS_FORMAT_VERSION, tokensPerImage: N, gridH: 2, gridW: 2, codebookSize: K, vqSha256: "v".repeat(64), datasetSha256: ref.sha256, counts: { train: 40, val: 12, test: 12 } },
    codes: { train: codes(40), val: codes(12), test: codes(12) },
  };
});

after(async () => {
  await ws.cleanup();
});

function sources(textLength: number) {
  const tokenizer = new CharTokenizer();
  const config = makeConfig({ textVocabSize: tokenizer.vocabSize, codebookSize: K, gridH: 2, gridW: 2, textLength });
  return { ...splitSources(dataset.splits.train, tokens, "train", layoutContext(config, tokenizer)), tokenizer };
}

describe("splitSources", () => {
  it("maps each mix task to its layout: cot is a chat answer with <think>, mmu holds captions and QA", () => {
    const { sources: s, tokenizer } = sources(40);
    assert.deepEqual([s.t2i.size, s.lm.size, s.mmu.size, s.cot.size, s.mmcot.size], [24, 24, 48, 24, 24]);
    const cot = s.cot.layout(0);
    assert.equal(cot.task, "chat");
    assert.equal(cot.ids[cot.answerStart], THINK_ID);
    assert.equal(s.mmcot.layout(0).task, "mmu");
    const caption = s.mmu.layout(0);
    const prompt = tokenizer.decode(caption.ids.subarray(0, caption.answerStart));
    assert.ok(prompt.includes(CAPTION_QUESTION), prompt);
    assert.ok(tokenizer.decode(caption.ids.subarray(caption.answerStart)).startsWith("a handwritten"));
    const vqa = s.mmu.layout(24);
    assert.ok(tokenizer.decode(vqa.ids).includes("which digit?"));
    const t2i = s.t2i.layout(0);
    assert.equal(t2i.roles.filter((r) => r === ROLE_IMAGE).length, N);
    assert.equal(s.lm.layout(0).roles.every((r) => r === ROLE_ANSWER), true);
    assert.ok(cot.roles.slice(0, cot.answerStart).every((r) => r === ROLE_PROMPT));
  });

  it("a yes/no question in the identify format is answered after its reasoning, as mmcot is", () => {
    const tokenizer = new CharTokenizer();
    const config = makeConfig({ textVocabSize: tokenizer.vocabSize, codebookSize: K, gridH: 2, gridW: 2, textLength: 40 });
    const train = dataset.splits.train;
    const asked = { ...train.records.vqa[0]!, question: "is it a 4?", answer: "no", kind: "yesno" as const, reasoning: "it is 1" };
    const vqa = [asked, ...train.records.vqa.slice(1)];
    const s = splitSources({ ...train, records: { ...train.records, vqa } }, tokens, "train", layoutContext(config, tokenizer)).sources;
    const layout = s.mmu.layout(train.records.caption.length);
    const answer = tokenizer.decode(layout.ids.subarray(layout.answerStart));
    assert.ok(answer.startsWith("<think>it is 1</think> no"), answer);
    assert.ok(layout.roles.slice(layout.answerStart).every((r) => r === ROLE_ANSWER), "the reasoning is part of the masked answer");
  });

  it("t2i drops its caption about 10% of the time in training, never in validation", () => {
    const { sources: s } = sources(40);
    const rng = new Rng(5);
    const full = s.t2i.layout(3);
    let dropped = 0;
    const draws = 400;
    for (let i = 0; i < draws; i++) if (s.t2i.layout(3, rng).ids.join() !== full.ids.join()) dropped++;
    assert.ok(dropped > draws * 0.04 && dropped < draws * 0.2, `${dropped} of ${draws} dropped`);
    assert.deepEqual(s.t2i.layout(3).ids, full.ids);
  });

  it("records that do not fit are skipped and counted with a reason", () => {
    const { sources: s, skipped } = sources(20);
    assert.equal(s.mmcot.size, 0);
    assert.equal(skipped.mmcot.count, 24);
    assert.match(skipped.mmcot.examples[0]!, /train record 0: mmu layout: .*raise model\.textLength/);
    assert.equal(skipped.lm.count, 0);
  });
});

describe("tokens artifact", () => {
  it("round-trips, and a damaged codes file or another dataset is a BadInputError saying what to re-run", async () => {
    const dir = join(ws.root, "tmp", "tokens");
    await writeTokens(dir, tokens);
    const back = await readTokens(dir);
    assert.deepEqual(back.meta, tokens.meta);
    assert.deepEqual(back.codes.val, tokens.codes.val);
    checkTokensMatch(back, dataset, "t", tokens.meta.datasetSha256);
    assert.throws(() => checkTokensMatch(back, dataset, "t", "f".repeat(64)), /tokens were made from dataset/);
    await truncate(join(dir, codesFile("val")), 10);
    await assert.rejects(readTokens(dir), (e: unknown) => e instanceof BadInputError && /val\.i32 has 10 bytes.*re-run tokenize-images/.test(e.message));
  });
});
