// `npm run bench:answers`: what a trained checkpoint gets wrong, beyond its accuracy (BENCHMARKS.md
// "Main job: what was wrong"). With the evaluate step's sampler settings it prints
//   1. arithmetic on the first --n test AND training questions: answers right, and how often the
//      reasoning's first and later equations are true (a model that gets training questions as
//      wrong as test ones is underfit, not failing to generalise), with a few wrong answers;
//   2. yes/no on the first 100 test items: what it says against the truth, and whether its yes/no
//      agrees with its own reading of the same image ("what digit is this?").
//   npm run bench:answers -- --checkpoint FILE --dataset DIR --tokens DIR [--n 200]
// (paths from `mmada lineage <run>`)
import { type DatasetSplit, type Split, type Tokens, imageCodes, readDataset, readTokens, rngFor } from "../mmada/data.ts";
import { type TextPrompt, type TextSampling, cotPrompt, digitsNamed, equations, generateText, reasoningCorrect, responseText, thinkPart, vqaPrompt } from "../mmada/eval.ts";
import { loadModelCheckpoint } from "../mmada/training.ts";
import { initBackend } from "../model/backend.ts";
import { layoutContext, type LayoutContext } from "../model/layouts.ts";
import { disposeModel, logitsFn } from "../model/transformer.ts";
import type { LogitsFn } from "../model/ops.ts";
import { MAIN_JOB_TEXT, readFlags } from "./kit.ts";

const READ_QUESTION = "what digit is this?";
const YESNO_ITEMS = 100;
const SHOWN_WRONG = 4;

const flags = readFlags(process.argv.slice(2), "npm run bench:answers -- --checkpoint FILE --dataset DIR --tokens DIR");

function options() {
  return { checkpoint: flags.text("--checkpoint"), dataset: flags.text("--dataset"), tokens: flags.text("--tokens"), n: flags.positive("--n", "200", true) };
}

/** `a<op>b=c` holds (the operators rewards.ts `equations` reads). */
function equationTrue(eq: string): boolean {
  const m = /^(-?\d+)([-+*/%])(-?\d+)=(-?\d+)$/.exec(eq);
  if (!m) return false;
  const [a, b, c] = [Number(m[1]), Number(m[3]), Number(m[4])];
  const value = { "+": a + b, "-": a - b, "*": a * b, "/": a / b, "%": a % b }[m[2] as "+" | "-" | "*" | "/" | "%"];
  return value === c;
}

async function answersTo(logits: LogitsFn, ctx: LayoutContext, prompts: TextPrompt[], s: TextSampling, stream: string): Promise<string[]> {
  const gen = await generateText(logits, prompts.map((p) => p.layout), s, { textVocabSize: ctx.textVocabSize, rng: rngFor(0, stream), maxBatch: 64 });
  return gen.responses.map((ids) => responseText(ctx.tokenizer, ids));
}

async function arithmetic(logits: LogitsFn, ctx: LayoutContext, split: DatasetSplit, name: Split, n: number): Promise<void> {
  const records = split.records.cot.slice(0, n);
  const texts = await answersTo(logits, ctx, records.map((r) => cotPrompt(ctx, r)), MAIN_JOB_TEXT.gsm8k, `answers/${name}`);
  let right = 0;
  const first = { true: 0, written: 0 };
  const later = { true: 0, written: 0 };
  const wrong: string[] = [];
  records.forEach((r, i) => {
    const text = texts[i]!;
    if (reasoningCorrect(text, r.answer)) right++; // exact match as the evaluate step scores it
    else if (wrong.length < SHOWN_WRONG) wrong.push(`"${r.question}" -> "${text}" (reference "${r.reasoning}", ${r.answer})`);
    equations(thinkPart(text)).forEach((eq, k) => {
      const tally = k === 0 ? first : later;
      tally.written++;
      if (equationTrue(eq)) tally.true++;
    });
  });
  console.log(
    `${name} arithmetic: ${right}/${records.length} answers right; first equation true ${first.true}/${first.written}, later equations true ${later.true}/${later.written}`,
  );
  for (const w of wrong) console.log(`  ${w}`);
}

async function yesno(logits: LogitsFn, ctx: LayoutContext, split: DatasetSplit, tokens: Tokens): Promise<void> {
  const label = (image: number) => split.images.labels[image]!;
  const items = split.records.vqa.filter((r) => r.kind === "yesno" && label(r.image) >= 0).slice(0, YESNO_ITEMS);
  const prompt = (r: (typeof items)[number], question = r.question) => vqaPrompt(ctx, { ...r, question }, imageCodes(tokens, "test", r.image), label(r.image));
  const said = (await answersTo(logits, ctx, items.map((r) => prompt(r)), MAIN_JOB_TEXT.pope, "answers/yesno")).map((t) => t.trim());
  const read = await answersTo(logits, ctx, items.map((r) => prompt(r, READ_QUESTION)), MAIN_JOB_TEXT.vqa, "answers/read");
  const tally = new Map<string, number>();
  let readRight = 0;
  let readAsAsked = 0;
  let agrees = 0;
  items.forEach((r, i) => {
    const key = `truth ${r.answer}, said ${JSON.stringify(said[i])}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    const reading = digitsNamed(read[i]!);
    if (reading.length === 1 && reading[0] === label(r.image)) readRight++;
    const asked = digitsNamed(r.question)[0] ?? -1; // "is this a seven?" and "is it a 7?" alike
    const implied = reading.length === 1 && reading[0] === asked ? "yes" : "no";
    if (implied === "yes") readAsAsked++;
    if (said[i] === implied) agrees++;
  });
  console.log(`test yes/no (${items.length} items): ${[...tally].map(([k, v]) => `${k}: ${v}`).join("; ")}`);
  // A yes/no that ignored the reading would agree with it about p(yes) * asAsked + p(no) * (n - asAsked) times.
  const yes = said.filter((x) => x === "yes").length / items.length;
  const independent = yes * readAsAsked + (1 - yes) * (items.length - readAsAsked);
  console.log(
    `  "${READ_QUESTION}" about the same images: ${readRight}/${items.length} read right, ${readAsAsked} read as the asked digit; ` +
      `the yes/no agrees with that reading ${agrees}/${items.length} (${independent.toFixed(0)} expected if it ignored the reading)`,
  );
}

async function main(): Promise<void> {
  const o = options();
  console.log(`backend ${await initBackend()}`);
  const dataset = await readDataset(o.dataset);
  const tokens = await readTokens(o.tokens);
  const { model, tokenizer } = await loadModelCheckpoint(o.checkpoint);
  try {
    const ctx = layoutContext(model.config, tokenizer);
    const logits = logitsFn(model);
    await arithmetic(logits, ctx, dataset.splits.test, "test", o.n);
    await arithmetic(logits, ctx, dataset.splits.train, "train", o.n);
    await yesno(logits, ctx, dataset.splits.test, tokens);
  } finally {
    disposeModel(model);
  }
}

try {
  await main();
} catch (err) {
  console.error(`bench:answers: ${(err as Error).message}`);
  process.exitCode = 1;
}
