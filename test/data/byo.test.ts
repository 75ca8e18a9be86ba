// Bring-your-own data: JSONL with broken lines (skip counts them with file:line, fail stops with
// file:line), a missing image folder, and a folder of PNGs read into the dataset.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PNG } from "pngjs";
import { readDatasetSplit, readManifest } from "../../mmada/data/read.ts";
import { PIXELS } from "../../mmada/data/mnist.ts";
import { SPLITS } from "../../mmada/data/vocab.ts";
import { BadInputError } from "../../contract/failures.ts";
import { makeContext, storeInput, type TestContext } from "./step-context.ts";
import { kindRunner } from "../kind-runner.ts";

const prepareData = kindRunner("prepare-data");

/** Small sizes so a test runs in about a second (MNIST is loaded once per process). */
const SMALL = {
  digits: { train: 30, val: 5, test: 5 },
  counts: {
    lm: { train: 4, val: 1, test: 1 },
    cot: { train: 3, val: 1, test: 1 },
    mmcot: { train: 4, val: 2, test: 2 },
    caption: { train: 4, val: 2, test: 2 },
    vqa: { train: 4, val: 2, test: 2 },
    t2i: { train: 4, val: 2, test: 2 },
  },
};

const COT_LINES = [
  '{"question":"2+2=?","reasoning":"2+2=4","answer":"4"}',
  "{not json",
  '{"question":"3+3=?","reasoning":"3+3=6","answer":"6"}',
  '{"question":"4+4=?","answer":"8"}',
  "",
  '{"question":"5+5=?","reasoning":"5+5=10","answer":10}',
  '{"question":"1+1=?","reasoning":"1+1=2","answer":"2"}',
  '{"question":"6+1=?","reasoning":"6+1=7","answer":"7"}',
  '{"question":"7+1=?","reasoning":"7+1=8","answer":"8"}',
  '{"question":"8+1=?","reasoning":"8+1=9","answer":"9"}',
];

let ctx: TestContext;
before(async () => {
  ctx = await makeContext();
});
after(() => ctx.cleanup());

async function projectFile(name: string, text: string): Promise<string> {
  const path = join(ctx.root, "project", name);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text);
  return path;
}

test("broken JSONL lines with onBadRecord skip: counted, located by file:line, logged", async () => {
  const cot = await storeInput(ctx, await projectFile("cot.jsonl", COT_LINES.join("\n")), "file");
  const result = await prepareData(ctx, { ...SMALL, cot });
  const dir = ctx.pathOf(result.artifacts["dataset"]!);
  const m = await readManifest(dir);
  assert.equal(m.badRecords.count, 3);
  assert.match(m.badRecords.first[0]!, /^cot\.jsonl:2: invalid JSON/);
  assert.equal(m.badRecords.first[1], 'cot.jsonl:4: missing field "reasoning"');
  assert.equal(m.badRecords.first[2], 'cot.jsonl:6: field "answer" must be a string, got number');
  assert.equal(result.metrics.find((p) => p.key === "bad_records")?.value, 3);
  assert.equal(result.artifacts["dataset"]!.meta?.["bad_records"], 3);
  assert.ok(ctx.logs.some((l) => l.includes("skipped 3 bad record(s)")));
  assert.ok(ctx.logs.some((l) => l.includes("cot.jsonl:4:")));
  // the 7 good records are split val 1, test 1, train 3 (of 5 left)
  const questions = [];
  for (const s of SPLITS) questions.push(...(await readDatasetSplit(dir, s, m)).records.cot.map((r) => r.question));
  assert.equal(questions.length, 5);
  assert.match(m.sources.cot, /^cot\.jsonl \(sha256 [0-9a-f]{64}\)$/);
});

test("broken JSONL lines with onBadRecord fail: a BadInputError listing file:line", async () => {
  const text = await storeInput(ctx, await projectFile("text.jsonl", '{"text":"call me ishmael, some years ago"}\n{"txt":"x"}\n[1]\n'), "file");
  await assert.rejects(prepareData(ctx, { ...SMALL, text, onBadRecord: "fail" }), (e: Error) => {
    assert.ok(e instanceof BadInputError);
    assert.match(e.message, /2 bad record\(s\)/);
    assert.match(e.message, /text\.jsonl:2: missing field "text"/);
    assert.match(e.message, /text\.jsonl:3: expected a JSON object per line/);
    assert.match(e.message, /onBadRecord: skip/);
    return true;
  });
});

test("brought text replaces Moby-Dick and is normalised into passages", async () => {
  const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ text: `Passage Number ${i}: the WHALE—swam <far> away` }));
  const text = await storeInput(ctx, await projectFile("own-text.jsonl", lines.join("\n")), "file");
  const result = await prepareData(ctx, { ...SMALL, text });
  const dir = ctx.pathOf(result.artifacts["dataset"]!);
  const test1 = await readDatasetSplit(dir, "test");
  assert.match(test1.records.lm[0]!.text, /^passage number \d+: the whale-swam far away$/);
});

test("a missing image folder is a BadInputError naming the field", async () => {
  const captions = await projectFile("captions-none.jsonl", '{"file":"a.png","caption":"a one"}\n');
  await assert.rejects(prepareData(ctx, { ...SMALL, images: join(ctx.root, "project", "no-such-folder"), captions }), (e: Error) => {
    assert.ok(e instanceof BadInputError);
    assert.match(e.message, /with\.images ".*no-such-folder" does not exist/);
    return true;
  });
});

/** A 28x28 PNG whose pixel p has value (p * step + digit) % 256, written as RGBA gray. */
function pngBytes(digit: number, step = 7): { png: Buffer; pixels: Uint8Array } {
  const png = new PNG({ width: 28, height: 28 });
  const pixels = new Uint8Array(PIXELS);
  for (let p = 0; p < PIXELS; p++) {
    const v = (p * step + digit * 13) % 256;
    pixels[p] = v;
    png.data.set([v, v, v, 255], 4 * p);
  }
  return { png: PNG.sync.write(png), pixels };
}

test("a folder of PNGs with captions becomes the digits; bad PNGs are bad records at their captions line", async () => {
  const folder = join(ctx.root, "project", "pngs");
  await mkdir(folder, { recursive: true });
  const expected = new Map<string, Uint8Array>();
  const captionLines: string[] = [];
  for (let i = 0; i < 20; i++) {
    const d = i % 10;
    const { png, pixels } = pngBytes(d, 3 + i);
    await writeFile(join(folder, `img-${i}.png`), png);
    expected.set(`a handwritten digit ${d} number ${i}`, pixels);
    captionLines.push(JSON.stringify({ file: `img-${i}.png`, caption: `a handwritten digit ${d} number ${i}`, ...(i < 16 ? { label: d } : {}) }));
  }
  const wrongSize = new PNG({ width: 32, height: 32 });
  await writeFile(join(folder, "big.png"), PNG.sync.write(wrongSize));
  await writeFile(join(folder, "junk.png"), "not a png");
  captionLines.push('{"file":"big.png","caption":"too big"}', '{"file":"junk.png","caption":"junk"}', '{"file":"gone.png","caption":"gone"}');
  const images = await storeInput(ctx, folder, "dir");
  const captions = await storeInput(ctx, await projectFile("captions.jsonl", captionLines.join("\n")), "file");

  const result = await prepareData(ctx, { ...SMALL, digits: { train: 100, val: 3, test: 3 }, images, captions });
  const dir = ctx.pathOf(result.artifacts["dataset"]!);
  const m = await readManifest(dir);
  assert.equal(m.badRecords.count, 3);
  assert.equal(m.badRecords.first[0], "captions.jsonl:21: big.png is 32x32, expected 28x28");
  assert.match(m.badRecords.first[1]!, /^captions\.jsonl:22: cannot read junk\.png as PNG \(.+\)$/);
  assert.equal(m.badRecords.first[2], "captions.jsonl:23: cannot read gone.png in pngs (ENOENT)");
  assert.equal(m.counts.train.digits + m.counts.val.digits + m.counts.test.digits, 20);
  assert.equal(m.counts.val.digits, 3);
  for (const s of SPLITS) {
    const split = await readDatasetSplit(dir, s, m);
    // every image is captioned once, in caption.jsonl and t2i.jsonl, with its own pixels
    assert.equal(split.records.caption.length, split.images.n);
    assert.deepEqual(split.records.t2i, split.records.caption);
    for (const r of split.records.caption) {
      assert.deepEqual(split.images.pixels.subarray(r.image * PIXELS, (r.image + 1) * PIXELS), expected.get(r.caption), r.caption);
      const label = split.images.labels[r.image]!;
      const n = Number(r.caption.split(" ").at(-1));
      assert.equal(label, n < 16 ? n % 10 : -1, "labels come from the captions file, -1 when absent");
    }
    // mmcot and vqa only use labelled images
    for (const r of [...split.records.mmcot, ...split.records.vqa]) assert.ok(split.images.labels[r.image]! >= 0);
  }
});

test("images without captions is a BadInputError saying they go together", async () => {
  await assert.rejects(prepareData(ctx, { ...SMALL, images: join(ctx.root, "project") }), /`images` and `captions` go together/);
});
