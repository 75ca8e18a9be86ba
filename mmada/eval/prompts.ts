// Prompts for generation (UniGRPO rollouts and the benchmarks): the task layouts of docs/mmada.md §1
// with the response region left as [MASK], plus what a response is scored against. The layouts
// are the training ones (model/layouts.ts), so the model sees at test time exactly the prompt
// skeleton it was trained on.
// Caption records hold only image + caption: ask the fixed question the training batches ask.
import type { CotRecord } from "../data/arithmetic.ts";
import type { CaptionRecord, MmcotRecord, VqaRecord } from "../data/image-tasks.ts";
import { chatLayout, type Layout, type LayoutContext, mmuLayout, t2iLayout } from "../../model/layouts.ts";
import { CAPTION_QUESTION } from "../training/tasks.ts";

/** Tasks whose response is text. */
export type TextTask = "cot" | "mmcot" | "caption" | "vqa";

export interface TextPrompt {
  task: TextTask;
  /** Stable id of the item (`<bench>/<record index>`) when it is a benchmark item. */
  id?: string;
  /** The layout with its answer region masked (answerStart marks where generation starts). */
  layout: Layout;
  question: string;
  /** What the response must say: the final answer (cot, mmcot, vqa) or the caption (reference only). */
  expected: string;
  /** cot and mmcot: the reference reasoning (what the optional step reward compares against);
   *  vqa: set when the question is answered after a reasoning (yes/no in the identify format). */
  reasoning?: string;
  /** The image's digit (mmcot, caption, vqa), -1 for text-only prompts. */
  label: number;
  /** vqa only: "digit" (which digit?) or "yesno" (is it a 7?). */
  vqaKind?: VqaRecord["kind"];
}

export interface ImagePrompt {
  task: "t2i";
  /** The t2i layout with the image slice masked. */
  layout: Layout;
  caption: string;
  /** The digit the caption asks for (scored by the frozen classifier). */
  label: number;
}

export function cotPrompt(ctx: LayoutContext, r: CotRecord): TextPrompt {
  return { task: "cot", layout: chatLayout(ctx, r.question, null), question: r.question, expected: r.answer, reasoning: r.reasoning, label: -1 };
}

export function mmcotPrompt(ctx: LayoutContext, r: MmcotRecord, codes: ArrayLike<number>, label: number): TextPrompt {
  return { task: "mmcot", layout: mmuLayout(ctx, codes, r.question, null), question: r.question, expected: r.answer, reasoning: r.reasoning, label };
}

export function vqaPrompt(ctx: LayoutContext, r: VqaRecord, codes: ArrayLike<number>, label: number): TextPrompt {
  const prompt: TextPrompt = { task: "vqa", layout: mmuLayout(ctx, codes, r.question, null), question: r.question, expected: r.answer, label, vqaKind: r.kind };
  return r.reasoning === undefined ? prompt : { ...prompt, reasoning: r.reasoning };
}

export function captionPrompt(ctx: LayoutContext, r: CaptionRecord, codes: ArrayLike<number>, label: number): TextPrompt {
  return { task: "caption", layout: mmuLayout(ctx, codes, CAPTION_QUESTION, null), question: CAPTION_QUESTION, expected: r.caption, label };
}

export function t2iPrompt(ctx: LayoutContext, caption: string, label: number): ImagePrompt {
  return { task: "t2i", layout: t2iLayout(ctx, caption, null, { dropCaption: false }), caption, label };
}

/** The empty-caption prefix (positions 0 .. imageStart-1) that classifier-free guidance contrasts with. */
export function uncondPrefix(ctx: LayoutContext): Int32Array {
  const empty = t2iLayout(ctx, "", null, { dropCaption: true });
  return empty.ids.slice(0, empty.imageStart);
}
