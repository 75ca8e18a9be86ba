// Sequence layouts of docs/mmada.md §1. Every task yields the same length L = T + N + 3 so one
// forward pass serves a mixed [t2i | lm | mmu | chat] batch. Each layout also carries a role per
// position, which is all the masking rules need:
//   ROLE_PROMPT  never masked (t2i caption and pads, mmu image + question, chat question);
//   ROLE_ANSWER  text masked LLaDA-style (lm text, mmu/chat answers INCLUDING the EOS padding);
//   ROLE_IMAGE   image tokens masked MaskGIT-style (the t2i target image).
// Passing `null` for the answer or the image fills those positions with MASK_ID: the prompt a
// sampler starts from.
import { imageTokenCount, type ModelConfig, seqLength } from "./config.ts";
import type { Rng } from "./rng.ts";
import type { TextTokenizer } from "./text-tokenizer.ts";
import { ASSISTANT_ID, BOS_ID, EOI_ID, EOS_ID, imageTokenId, IPAD_ID, MASK_ID, MMU_ID, SOI_ID, T2I_ID, USER_ID } from "./vocab.ts";

export const ROLE_PROMPT = 0;
export const ROLE_ANSWER = 1;
export const ROLE_IMAGE = 2;
export type Role = typeof ROLE_PROMPT | typeof ROLE_ANSWER | typeof ROLE_IMAGE;

export type Task = "t2i" | "lm" | "mmu" | "chat";
export const TASKS: readonly Task[] = ["t2i", "lm", "mmu", "chat"];

/** MMaDA drops the t2i caption with this probability so classifier-free guidance has an unconditional model. */
export const CAPTION_DROP_PROB = 0.1;

export interface Layout {
  task: Task;
  /** [L] token ids. */
  ids: Int32Array;
  /** [L] ROLE_* per position. */
  roles: Uint8Array;
  /** First image token position (t2i, mmu), else -1. */
  imageStart: number;
  /** First answer position (mmu, chat; 0 for lm), else -1. Answers run to the end of the row. */
  answerStart: number;
}

/** Sizes and tokenizer the layouts need; build it once with layoutContext(config, tokenizer). */
export interface LayoutContext {
  /** L = T + N + 3. */
  length: number;
  textLength: number;
  imageTokens: number;
  textVocabSize: number;
  codebookSize: number;
  tokenizer: TextTokenizer;
}

export function layoutContext(config: ModelConfig, tokenizer: TextTokenizer): LayoutContext {
  if (tokenizer.vocabSize !== config.textVocabSize) {
    throw new Error(
      `layouts: tokenizer has ${tokenizer.vocabSize} text ids but model.textVocabSize is ${config.textVocabSize}; ` +
        "set textVocabSize from the tokenizer that made the data",
    );
  }
  return {
    length: seqLength(config),
    textLength: config.textLength,
    imageTokens: imageTokenCount(config),
    textVocabSize: config.textVocabSize,
    codebookSize: config.codebookSize,
    tokenizer,
  };
}

/** Text as a string (tokenized here) or as ids already. */
export type TextInput = string | readonly number[];

/**
 * t2i: `[iPAD]… <|t2i|> BOS caption EOS <|soi|> img_1..img_N <|eoi|>`, text left-padded to T.
 * The caption is dropped (empty `BOS EOS`) when `drop.dropCaption` is true, or with probability
 * CAPTION_DROP_PROB when an rng is given instead.
 */
export function t2iLayout(ctx: LayoutContext, caption: TextInput, codes: ArrayLike<number> | null, drop: { rng: Rng } | { dropCaption: boolean }): Layout {
  const dropped = "rng" in drop ? drop.rng.uniform() < CAPTION_DROP_PROB : drop.dropCaption;
  const captionIds = toIds(ctx, caption);
  const room = ctx.textLength - 2; // BOS and EOS
  // Checked even when dropped, so a caption that does not fit fails every time, not 90% of the time.
  if (captionIds.length > room) {
    throw new Error(
      `t2i layout: caption ${preview(ctx, captionIds)} is ${captionIds.length} tokens but textLength T=${ctx.textLength} leaves ${room} ` +
        "(T minus BOS and EOS); shorten the caption or raise model.textLength",
    );
  }
  const text = dropped ? [] : captionIds;
  const b = new Builder(ctx, "t2i");
  b.push(Array(room - text.length).fill(IPAD_ID), ROLE_PROMPT);
  b.push([T2I_ID, BOS_ID, ...text, EOS_ID, SOI_ID], ROLE_PROMPT);
  b.pushImage(codes, ROLE_IMAGE);
  b.push([EOI_ID], ROLE_PROMPT);
  return b.done();
}

/** mmu: `<|mmu|> <|soi|> img <|eoi|> BOS <user> question <assistant> answer EOS EOS…`. */
export function mmuLayout(ctx: LayoutContext, codes: ArrayLike<number>, question: TextInput, answer: TextInput | null): Layout {
  const b = new Builder(ctx, "mmu");
  b.push([MMU_ID, SOI_ID], ROLE_PROMPT);
  b.pushImage(codes, ROLE_PROMPT);
  b.push([EOI_ID], ROLE_PROMPT);
  return chatTail(ctx, b, "mmu", question, answer);
}

/** chat / chain-of-thought: `BOS <user> question <assistant> answer EOS EOS…` over the whole row. */
export function chatLayout(ctx: LayoutContext, question: TextInput, answer: TextInput | null): Layout {
  return chatTail(ctx, new Builder(ctx, "chat"), "chat", question, answer);
}

/** lm: `BOS text EOS EOS…`, every position maskable (no prompt). */
export function lmLayout(ctx: LayoutContext, text: TextInput): Layout {
  const ids = toIds(ctx, text);
  const room = ctx.length - 2; // BOS and at least one EOS
  if (ids.length > room) {
    throw new Error(
      `lm layout: text ${preview(ctx, ids)} is ${ids.length} tokens but L=${ctx.length} leaves ${room} (L minus BOS and one EOS); ` +
        "split the text into shorter chunks",
    );
  }
  const b = new Builder(ctx, "lm");
  b.answerStart = 0;
  b.push([BOS_ID, ...ids], ROLE_ANSWER);
  b.fill(EOS_ID, ROLE_ANSWER);
  return b.done();
}

/** The shared `BOS <user> q <assistant> answer EOS…` tail; the prompt ends at the assistant header. */
function chatTail(ctx: LayoutContext, b: Builder, task: "mmu" | "chat", question: TextInput, answer: TextInput | null): Layout {
  const q = toIds(ctx, question);
  const a = answer === null ? [] : toIds(ctx, answer);
  const room = ctx.length - b.length - 4; // BOS, <user>, <assistant>, and at least one EOS
  if (q.length + a.length > room) {
    throw new Error(
      `${task} layout: question ${preview(ctx, q)} (${q.length} tokens) + answer (${a.length} tokens) exceed the ${room} text positions ` +
        `left by textLength T=${ctx.textLength} (minus BOS, <|user|>, <|assistant|> and one EOS); shorten them or raise model.textLength`,
    );
  }
  b.push([BOS_ID, USER_ID, ...q, ASSISTANT_ID], ROLE_PROMPT);
  b.answerStart = b.length;
  if (answer === null) {
    b.fill(MASK_ID, ROLE_ANSWER);
  } else {
    b.push(a, ROLE_ANSWER);
    b.fill(EOS_ID, ROLE_ANSWER);
  }
  return b.done();
}

function toIds(ctx: LayoutContext, text: TextInput): number[] {
  return typeof text === "string" ? ctx.tokenizer.encode(text) : [...text];
}

function preview(ctx: LayoutContext, ids: number[]): string {
  const MAX_PREVIEW_CHARS = 40;
  const s = ctx.tokenizer.decode(ids);
  return JSON.stringify(s.length > MAX_PREVIEW_CHARS ? `${s.slice(0, MAX_PREVIEW_CHARS)}…` : s);
}

/** Appends ids and roles up to exactly L positions. */
class Builder {
  private readonly ids: Int32Array;
  private readonly roles: Uint8Array;
  length = 0;
  imageStart = -1;
  answerStart = -1;

  constructor(
    private readonly ctx: LayoutContext,
    private readonly task: Task,
  ) {
    this.ids = new Int32Array(ctx.length);
    this.roles = new Uint8Array(ctx.length);
  }

  push(ids: readonly number[], role: Role): void {
    if (this.length + ids.length > this.ids.length) throw new Error(`${this.task} layout: ${this.length + ids.length} tokens exceed L=${this.ids.length}`);
    this.ids.set(ids, this.length);
    this.roles.fill(role, this.length, this.length + ids.length);
    this.length += ids.length;
  }

  pushImage(codes: ArrayLike<number> | null, role: Role): void {
    const n = this.ctx.imageTokens;
    if (codes !== null && codes.length !== n) {
      throw new Error(`${this.task} layout: image has ${codes.length} codes but the model expects N=${n} (gridH*gridW); check the VQ grid`);
    }
    this.imageStart = this.length;
    const ids = codes === null ? Array<number>(n).fill(MASK_ID) : Array.from(codes, (c) => imageTokenId(this.ctx, c));
    this.push(ids, role);
  }

  fill(id: number, role: Role): void {
    this.push(Array<number>(this.ids.length - this.length).fill(id), role);
  }

  done(): Layout {
    if (this.length !== this.ids.length) throw new Error(`${this.task} layout: built ${this.length} of L=${this.ids.length} positions (a bug in layouts.ts)`);
    return { task: this.task, ids: this.ids, roles: this.roles, imageStart: this.imageStart, answerStart: this.answerStart };
  }
}
