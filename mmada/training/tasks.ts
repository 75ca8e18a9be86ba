// Dataset records -> model layouts, per training mix task (docs/mmada.md §1):
//   t2i    t2i.jsonl       caption -> image                     (loss part t2i, caption dropout)
//   lm     lm.jsonl        plain text                           (loss part lm)
//   mmu    caption.jsonl   image + CAPTION_QUESTION -> caption  (loss part mmu)
//          vqa.jsonl       image + question -> answer (yes/no: after its reasoning, if any)
//   cot    cot.jsonl       question -> <think>reasoning</think> answer   (loss part chat)
//   mmcot  mmcot.jsonl     image + question -> <think>reasoning</think> answer (loss part mmu)
// Records that do not fit the model's sequence (too long, image index out of range) are skipped
// and counted, so one long brought record does not stop a run; a task left with no records fails.
import type { MixTask, Split } from "../data/vocab.ts";
import type { DatasetSplit } from "../data/read.ts";
import { chatLayout, type Layout, type LayoutContext, lmLayout, mmuLayout, t2iLayout } from "../../model/layouts.ts";
import type { Rng } from "../../model/rng.ts";
import { formatCotAnswer } from "../data/templates.ts";
import { vqaAnswerText } from "../data/image-tasks.ts";
import { imageCodes, type Tokens } from "../data/tokens.ts";

/** The question of a captioning sample (caption.jsonl has only image + caption). Evaluation and
 *  RL must ask the same question. */
export const CAPTION_QUESTION = "what is this?";

/** How many skipped records' reasons are kept for the log. */
const SKIP_EXAMPLES = 3;

export interface TaskSource {
  task: MixTask;
  /** Usable records. */
  size: number;
  /** Layout of usable record i. t2i drops its caption with probability 0.1 when `rng` is given
   *  (training), never without (validation). */
  layout(i: number, rng?: Rng): Layout;
}

export interface Skipped {
  count: number;
  examples: string[];
}

export interface SplitSources {
  sources: { [t in MixTask]: TaskSource };
  skipped: { [t in MixTask]: Skipped };
}

/** Every mix task's records of one split, checked against the model's sequence layout. */
export function splitSources(data: DatasetSplit, tokens: Tokens, split: Split, ctx: LayoutContext): SplitSources {
  const r = data.records;
  const images = tokens.meta.counts[split];
  const codes = (image: number): Int32Array => {
    if (!(Number.isInteger(image) && image >= 0 && image < images)) {
      throw new Error(`image ${image} is outside the ${images} ${split} images`);
    }
    return imageCodes(tokens, split, image);
  };
  const skipped = {} as { [t in MixTask]: Skipped };
  const sources = {} as { [t in MixTask]: TaskSource };

  /** Layouts of the records that fit, and which records those are. */
  const fit = (task: MixTask, builders: Array<() => Layout>): { layouts: Layout[]; kept: number[] } => {
    const layouts: Layout[] = [];
    const kept: number[] = [];
    const skip: Skipped = { count: 0, examples: [] };
    builders.forEach((build, i) => {
      try {
        layouts.push(build());
        kept.push(i);
      } catch (err) {
        skip.count++;
        if (skip.examples.length < SKIP_EXAMPLES) skip.examples.push(`${split} record ${i}: ${(err as Error).message}`);
      }
    });
    skipped[task] = skip;
    return { layouts, kept };
  };
  const prebuilt = (task: MixTask, builders: Array<() => Layout>): TaskSource => {
    const { layouts } = fit(task, builders);
    return { task, size: layouts.length, layout: (i) => layouts[i]! };
  };

  sources.lm = prebuilt("lm", r.lm.map((rec) => () => lmLayout(ctx, rec.text)));
  sources.mmu = prebuilt("mmu", [
    ...r.caption.map((rec) => () => mmuLayout(ctx, codes(rec.image), CAPTION_QUESTION, rec.caption)),
    ...r.vqa.map((rec) => () => mmuLayout(ctx, codes(rec.image), rec.question, vqaAnswerText(rec))),
  ]);
  sources.cot = prebuilt("cot", r.cot.map((rec) => () => chatLayout(ctx, rec.question, formatCotAnswer(rec.reasoning, rec.answer))));
  sources.mmcot = prebuilt("mmcot", r.mmcot.map((rec) => () => mmuLayout(ctx, codes(rec.image), rec.question, formatCotAnswer(rec.reasoning, rec.answer))));

  // t2i: checked once with the caption kept (its longest form), built per draw (caption dropout).
  const t2i = fit("t2i", r.t2i.map((rec) => () => t2iLayout(ctx, rec.caption, codes(rec.image), { dropCaption: false })));
  const t2iRecords = t2i.kept.map((i) => r.t2i[i]!);
  sources.t2i = {
    task: "t2i",
    size: t2iRecords.length,
    layout: (i, rng) => {
      if (!rng) return t2i.layouts[i]!;
      const rec = t2iRecords[i]!;
      return t2iLayout(ctx, rec.caption, codes(rec.image), { rng });
    },
  };
  return { sources, skipped };
}
